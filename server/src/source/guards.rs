//! Guards: the `if`/`elif`/`else` and `try`/`except` blocks an install line sits in.
//!
//! Notebooks install differently per platform (`if "COLAB_" not in ...: ... else: ...`) or only
//! when a package is missing (`if importlib.util.find_spec("torch") is None:`). The arms of one
//! chain are alternatives, not a sequence, and an install that runs only when a package is
//! missing cannot replace a copy of it that is already imported. The scan is line based, like
//! the masking it is part of: headers are read by their indentation.

/// The block an install line sits in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    /// Where the chain's first header (`if` or `try`) starts: the same for all its arms.
    pub chain: usize,
    /// 0 for the `if`/`try` body, then one per `elif`/`else`/`except`.
    pub arm: usize,
    /// The header of the arm, as written (`else:`).
    pub header: String,
    /// The chain's first header (`if "COLAB_" not in "".join(os.environ.keys()):`).
    pub chain_header: String,
    /// The module whose absence the arm requires, when the guard says so alone:
    /// `if find_spec("torch") is None:`, or `except ImportError:` after `try: import torch`.
    pub missing: Option<String>,
}

impl Guard {
    pub fn offset(mut self, delta: usize) -> Self {
        self.chain += delta;
        self
    }

    /// How the arm reads in a message: `` `if "COLAB_" not in ...:` `` or `` `else:` of `if x:` ``.
    pub fn label(&self) -> String {
        if self.arm == 0 {
            format!("`{}`", self.chain_header)
        } else {
            format!("`{}` of `{}`", self.header, self.chain_header)
        }
    }
}

/// An open block header, innermost last.
#[derive(Clone, Debug)]
struct Open {
    indent: usize,
    guard: Option<Guard>,
}

/// Follows block headers line by line and says which guard each line is under.
#[derive(Default)]
pub(super) struct GuardTracker {
    open: Vec<Open>,
    /// The last chain started at each indentation, for its `elif`/`else`/`except` arms, and
    /// the modules its `try` body imports.
    chains: Vec<(usize, Guard, Vec<String>)>,
}

impl GuardTracker {
    /// Reads one non-blank, non-comment line (`trimmed` of it, at `start` with `indent`).
    pub(super) fn line(&mut self, start: usize, indent: usize, trimmed: &str) {
        self.open.retain(|o| o.indent < indent);
        // A line at a chain's indentation that does not continue it ends it.
        let continues = ["elif ", "elif(", "else:", "except", "finally:"]
            .iter()
            .any(|p| trimmed.starts_with(p));
        if !continues {
            self.chains.retain(|(level, _, _)| *level < indent);
        }
        // Imports in a `try` body name what its `except ImportError:` installs.
        if let Some(module) = imported_module(trimmed) {
            if let Some((_, guard, modules)) = self.chains.last_mut() {
                if guard.arm == 0 && guard.chain_header.starts_with("try") {
                    modules.push(module);
                }
            }
        }
        let header = trimmed.trim_end();
        if !header.ends_with(':') {
            return;
        }
        let header = header.to_string();
        let keyword = header
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .next()
            .unwrap_or("");
        let guard = match keyword {
            "if" | "try" => {
                let guard = Guard {
                    chain: start,
                    arm: 0,
                    header: header.clone(),
                    chain_header: header.clone(),
                    missing: if keyword == "if" {
                        missing_module(&header)
                    } else {
                        None
                    },
                };
                self.chains.retain(|(level, _, _)| *level < indent);
                self.chains.push((indent, guard.clone(), Vec::new()));
                Some(guard)
            }
            "elif" | "else" | "except" => {
                match self.chains.iter_mut().rev().find(|(l, _, _)| *l == indent) {
                    Some((_, last, modules)) => {
                        let missing = match keyword {
                            "elif" => missing_module(&header),
                            "except" if catches_import_error(&header) => modules.first().cloned(),
                            _ => None,
                        };
                        let guard = Guard {
                            chain: last.chain,
                            arm: last.arm + 1,
                            header: header.clone(),
                            chain_header: last.chain_header.clone(),
                            missing,
                        };
                        *last = guard.clone();
                        Some(guard)
                    }
                    None => None,
                }
            }
            _ => None,
        };
        self.open.push(Open { indent, guard });
    }

    /// The guard a shell line at `indent` runs under: the innermost open block's, if that
    /// block is a guard. The line closes the blocks and chains it is not inside.
    pub(super) fn shell_line(&mut self, indent: usize) -> Option<Guard> {
        self.open.retain(|o| o.indent < indent);
        self.chains.retain(|(level, _, _)| *level < indent);
        self.open.last().and_then(|o| o.guard.clone())
    }
}

/// `find_spec("torch") is None` (or `not ...find_spec("torch")`) as the whole condition: the
/// module the arm requires to be missing. A condition with `or` can hold anyway.
fn missing_module(header: &str) -> Option<String> {
    let condition = header
        .trim_end_matches(':')
        .trim_start_matches("elif")
        .trim_start_matches("if")
        .trim();
    if condition.contains(" or ") {
        return None;
    }
    let after = condition.split("find_spec(").nth(1)?;
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let module = after[1..].split(quote).next()?;
    let rest = &after[1 + module.len() + 1..];
    let negated = condition.starts_with("not ")
        || rest.trim_start().starts_with(") is None")
        || rest.trim_start().starts_with(")is None");
    (negated && !module.is_empty()).then(|| module.to_string())
}

/// `except:`, `except ImportError:`, `except (ImportError, ModuleNotFoundError) as e:`.
fn catches_import_error(header: &str) -> bool {
    let caught = header
        .trim_start_matches("except")
        .trim_end_matches(':')
        .trim();
    caught.is_empty()
        || caught.contains("ImportError")
        || caught.contains("ModuleNotFoundError")
        || caught.starts_with("Exception")
}

/// The module of `import x` / `from x import y` at the start of a line.
fn imported_module(trimmed: &str) -> Option<String> {
    let rest = trimmed
        .strip_prefix("import ")
        .or_else(|| trimmed.strip_prefix("from "))?;
    let module: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .collect();
    (!module.is_empty()).then_some(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guards(src: &str) -> Vec<Option<Guard>> {
        let mut tracker = GuardTracker::default();
        let mut out = Vec::new();
        let mut offset = 0;
        for line in src.split_inclusive('\n') {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            if !trimmed.trim().is_empty() {
                if trimmed.starts_with('!') {
                    out.push(tracker.shell_line(indent));
                } else {
                    tracker.line(offset, indent, trimmed);
                }
            }
            offset += line.len();
        }
        out
    }

    #[test]
    fn the_arms_of_one_if_chain_share_the_chain() {
        let g = guards("if \"COLAB_\" not in x:\n    !pip install unsloth\nelse:\n    !pip install --no-deps unsloth\n!pip install trl\n");
        let (a, b) = (g[0].clone().unwrap(), g[1].clone().unwrap());
        assert_eq!((a.chain, a.arm, b.chain, b.arm), (0, 0, 0, 1));
        assert_eq!(b.label(), "`else:` of `if \"COLAB_\" not in x:`");
        assert_eq!(g[2], None);
    }

    #[test]
    fn a_find_spec_guard_names_the_missing_module_unless_or_lets_it_run_anyway() {
        let g = guards("if importlib.util.find_spec(\"torch\") is None:\n    !pip install torch\nelif not find_spec('unsloth'):\n    !pip install unsloth\n");
        assert_eq!(g[0].as_ref().unwrap().missing.as_deref(), Some("torch"));
        assert_eq!(g[1].as_ref().unwrap().missing.as_deref(), Some("unsloth"));
        let g = guards("if importlib.util.find_spec(\"torch\") is None or \"COLAB_\" in k:\n    !pip install torch\n");
        assert_eq!(g[0].as_ref().unwrap().missing, None);
    }

    #[test]
    fn except_import_error_installs_what_the_try_imported() {
        let g = guards("try:\n    import peft\nexcept ImportError:\n    !pip install peft\n");
        let guard = g[0].clone().unwrap();
        assert_eq!((guard.arm, guard.missing.as_deref()), (1, Some("peft")));
    }

    #[test]
    fn a_nested_block_hides_the_outer_guard_and_a_new_statement_ends_the_chain() {
        let g = guards("if a:\n    for x in y:\n        !pip install x\n!pip install z\nif b:\n    pass\nelse:\n    !pip install w\n");
        assert_eq!(g[0], None);
        assert_eq!(g[1], None);
        assert_eq!(g[2].as_ref().unwrap().arm, 1);
    }
}
