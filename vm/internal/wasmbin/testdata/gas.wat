;; gas.wat: small functions whose gas meter_test.go computes by hand.
(module
  ;; blocks: [local.get if] [local.get i32.const i32.add else] [i32.const end] [end]
  (func (export "branch") (param $x i32) (result i32)
    (if (result i32) (local.get $x)
      (then (i32.add (local.get $x) (i32.const 1)))
      (else (i32.const 0))))
  ;; blocks: [loop] [local.get i32.const i32.add local.set local.get local.get i32.lt_u br_if]
  ;;         [end] [local.get end]
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (loop $top
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
  ;; blocks: [loop] [br] [end] [end]: an endless loop
  (func (export "spin") (loop (br 0)))
  ;; blocks: [end]: costs nothing
  (func (export "empty"))
)
