;; typesonly.wat: a type section and nothing after it. The reference adds
;; the usegas type but no import section: it only creates a section in
;; front of a later one.
(module (type (func (param i32))))
