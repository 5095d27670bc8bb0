; Calls; the callee's kind (a name or an attribute chain) is checked in Rust, which keeps this
; query cheap to compile.
(call
  function: (_) @callee
  arguments: (argument_list) @arguments) @call
