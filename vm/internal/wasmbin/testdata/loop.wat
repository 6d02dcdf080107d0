;; loop.wat: a tight loop for BenchmarkBudgetLoop. Each turn is one metered
;; block: [local.get local.get i64.add local.set local.get i64.const i64.add
;; local.tee local.get i64.lt_u br_if].
(module
  (func (export "loop") (param $n i64) (result i64) (local $i i64) (local $acc i64)
    (loop $top
      (local.set $acc (i64.add (local.get $acc) (local.get $i)))
      (br_if $top (i64.lt_u
        (local.tee $i (i64.add (local.get $i) (i64.const 1)))
        (local.get $n))))
    (local.get $acc))
)
