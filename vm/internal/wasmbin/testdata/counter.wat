;; counter.wat: the budget counter of the vm (vm/meter.go, counterModule,
;; for an i64 parameter), for BenchmarkBudgetLoop: usegas adds its argument
;; to "used" and traps once used > "limit".
(module
  (global $used (export "used") (mut i64) (i64.const 0))
  (global $limit (export "limit") (mut i64) (i64.const 0))
  (func (export "usegas") (param i64)
    (global.set $used (i64.add (global.get $used) (local.get 0)))
    (if (i64.gt_s (global.get $used) (global.get $limit))
      (then unreachable)))
)
