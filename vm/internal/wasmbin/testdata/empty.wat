;; empty.wat: no sections at all; the reference leaves it unchanged.
(module)
