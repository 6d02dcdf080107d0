;; tiny.wat: no type and no import section: the metering pass must create
;; both, in front of the memory section.
(module
  (memory 1)
  (data (i32.const 0) "hi"))
