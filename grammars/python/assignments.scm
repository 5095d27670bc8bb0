; Simple assignments of a value to a name, so that `model_name = name` can be followed back to
; `name = "unsloth/gemma-2-9b"`; only literal values are kept (checked in Rust).
(expression_statement
  (assignment
    left: (identifier) @name
    right: (_) @value))
