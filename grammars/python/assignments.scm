; Simple assignments of a literal to a name, so that `model_name = name` can be followed
; back to `name = "unsloth/gemma-2-9b"`.
(expression_statement
  (assignment
    left: (identifier) @name
    right: [(string) (integer) (float) (true) (false) (none) (list)] @value))
