; Calls whose callee is a name or an attribute chain: `f(...)`, `a.b.c(...)`.
(call
  function: [(identifier) (attribute)] @callee
  arguments: (argument_list) @arguments) @call
