; Every way a module or a name from it is bound: `import a.b`, `import a.b as c`,
; `from a import b`, `from a import b as c`, `from a import *`.
(import_statement
  name: (dotted_name) @module) @import

(import_statement
  name: (aliased_import
    name: (dotted_name) @module
    alias: (identifier) @alias)) @import

(import_from_statement
  module_name: (dotted_name) @module
  name: (dotted_name) @name) @import

(import_from_statement
  module_name: (dotted_name) @module
  name: (aliased_import
    name: (dotted_name) @name
    alias: (identifier) @alias)) @import

(import_from_statement
  module_name: (dotted_name) @module
  (wildcard_import)) @import
