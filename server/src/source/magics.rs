//! IPython syntax inside code cells: cell magics, line magics and `!` shell lines.
//!
//! Masking replaces such lines with Python of exactly the same byte length (`...` followed by
//! spaces, or spaces only), so offsets into the masked text are offsets into the original.
//! An indented `!pip` inside an `if` becomes `...`, which keeps the block valid Python.

use super::guards::{Guard, GuardTracker};
use crate::text::TextRange;

/// How a cell's first line (after leading `#@title`-style comments) changes what its body is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellMagic {
    /// No cell magic: the body is Python.
    None,
    /// `%%capture`, `%%time` and other magics whose body is still Python.
    PythonBody,
    /// `%%bash`, `%%sh`, `%%script bash|sh`: the body is shell, read for install commands.
    Shell,
    /// `%%writefile`, `%%html` and the like: the body is neither Python nor shell.
    Foreign,
}

/// How a shell line was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShellPrefix {
    /// `!cmd`
    Bang,
    /// `%pip`, `%uv`, `%conda`, `%mamba` line magics.
    LineMagic,
    /// A line in a `%%bash` body.
    CellMagic,
}

/// One shell command line (with its backslash continuations) in a cell or document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellLine {
    /// From the `!`/`%` (or the first character of a `%%bash` line) to the end of the last
    /// continuation line, without the final newline.
    pub range: TextRange,
    pub prefix: ShellPrefix,
    /// The `if`/`else` or `try`/`except` arm the line is indented inside, if any.
    pub condition: Option<Guard>,
}

impl ShellLine {
    pub fn offset(mut self, delta: usize) -> Self {
        self.range = self.range.offset(delta);
        self.condition = self.condition.map(|g| g.offset(delta));
        self
    }
}

/// A cell's source with IPython syntax masked.
#[derive(Clone, Debug)]
pub struct MaskedCell {
    pub python: String,
    pub magic: CellMagic,
    pub shell_lines: Vec<ShellLine>,
}

const PYTHON_BODY_MAGICS: &[&str] = &["capture", "time", "timeit", "prun", "debug", "px"];
const SHELL_MAGICS: &[&str] = &["bash", "sh", "script", "system"];

/// Masks one cell's source. The result has the same length as `source`.
pub fn mask_cell(source: &str) -> MaskedCell {
    let mut out: Vec<u8> = source.as_bytes().to_vec();
    let mut shell_lines = Vec::new();
    let mut magic = CellMagic::None;

    let lines: Vec<(usize, &str)> = line_spans(source);
    let mut i = 0;
    // Leading comment lines (Colab's `#@title ... { display-mode: "form" }`) may come before
    // the cell magic; Colab accepts that and so do we.
    while i < lines.len() && lines[i].1.trim_start().starts_with('#') {
        i += 1;
    }
    if let Some(&(start, line)) = lines.get(i) {
        if let Some(rest) = line.trim_start().strip_prefix("%%") {
            let name = rest.split_whitespace().next().unwrap_or("");
            let args: Vec<&str> = rest.split_whitespace().skip(1).collect();
            magic = if PYTHON_BODY_MAGICS.contains(&name) {
                CellMagic::PythonBody
            } else if SHELL_MAGICS.contains(&name)
                && (name != "script" || args.first().is_some_and(|a| a.ends_with("sh")))
            {
                CellMagic::Shell
            } else {
                CellMagic::Foreign
            };
            blank(&mut out, start, start + line.len());
            i += 1;
            if magic != CellMagic::PythonBody {
                let body_start = lines.get(i).map_or(source.len(), |l| l.0);
                blank(&mut out, body_start, source.len());
                if magic == CellMagic::Shell {
                    collect_bash_lines(source, &lines[i..], &mut shell_lines);
                }
                return finish(out, magic, shell_lines);
            }
        }
    }

    let mut guards = GuardTracker::default();
    while i < lines.len() {
        let (start, line) = lines[i];
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let shell = if trimmed.starts_with('!') {
            Some(ShellPrefix::Bang)
        } else if trimmed.starts_with('%') {
            Some(ShellPrefix::LineMagic)
        } else {
            None
        };
        let Some(prefix) = shell else {
            guards.line(start, indent, trimmed);
            i += 1;
            continue;
        };
        // The command runs on over backslash-continued lines.
        let mut end_line = i;
        while lines[end_line]
            .1
            .trim_end_matches(['\r', '\n'])
            .ends_with('\\')
            && end_line + 1 < lines.len()
        {
            end_line += 1;
        }
        let cmd_start = start + indent;
        let last = lines[end_line];
        let cmd_end = last.0 + last.1.trim_end_matches(['\r', '\n']).len();
        let is_install_magic = prefix == ShellPrefix::Bang || is_install_line_magic(trimmed);
        if is_install_magic {
            let condition = guards.shell_line(indent);
            shell_lines.push(ShellLine {
                range: TextRange::new(cmd_start, cmd_end),
                prefix,
                condition,
            });
        }
        // `...` keeps an indented block non-empty; shorter lines become a literal `0`.
        let first_end = start + line.trim_end_matches(['\r', '\n']).len();
        blank(&mut out, cmd_start, first_end);
        let width = first_end - cmd_start;
        let stub: &[u8] = if width >= 3 { b"..." } else { b"0" };
        out[cmd_start..cmd_start + stub.len()].copy_from_slice(stub);
        for &(s, l) in &lines[i + 1..=end_line] {
            blank(&mut out, s, s + l.trim_end_matches(['\r', '\n']).len());
        }
        i = end_line + 1;
    }
    finish(out, magic, shell_lines)
}

fn finish(out: Vec<u8>, magic: CellMagic, shell_lines: Vec<ShellLine>) -> MaskedCell {
    // Only ASCII bytes were written over whole UTF-8 sequences, so this cannot fail; fall back
    // to a lossy copy rather than panic if that reasoning is ever wrong.
    let python = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    MaskedCell {
        python,
        magic,
        shell_lines,
    }
}

fn is_install_line_magic(trimmed: &str) -> bool {
    let name = trimmed
        .trim_start_matches('%')
        .split_whitespace()
        .next()
        .unwrap_or("");
    matches!(name, "pip" | "uv" | "conda" | "mamba")
}

fn collect_bash_lines(source: &str, lines: &[(usize, &str)], out: &mut Vec<ShellLine>) {
    let mut i = 0;
    while i < lines.len() {
        let (start, line) = lines[i];
        let trimmed = line.trim_start();
        if trimmed.trim().is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let mut end_line = i;
        while lines[end_line]
            .1
            .trim_end_matches(['\r', '\n'])
            .ends_with('\\')
            && end_line + 1 < lines.len()
        {
            end_line += 1;
        }
        let last = lines[end_line];
        let end = (last.0 + last.1.trim_end_matches(['\r', '\n']).len()).min(source.len());
        let begin = start + (line.len() - trimmed.len());
        out.push(ShellLine {
            range: TextRange::new(begin, end),
            prefix: ShellPrefix::CellMagic,
            condition: None,
        });
        i = end_line + 1;
    }
}

/// Every line with its start offset; each line keeps its terminator.
fn line_spans(source: &str) -> Vec<(usize, &str)> {
    let mut offset = 0;
    source
        .split_inclusive('\n')
        .map(|line| {
            let start = offset;
            offset += line.len();
            (start, line)
        })
        .collect()
}

/// Overwrites `start..end` with spaces, keeping line terminators.
fn blank(out: &mut [u8], start: usize, end: usize) {
    for b in &mut out[start..end] {
        if *b != b'\n' && *b != b'\r' {
            *b = b' ';
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_length_and_python_validity() {
        let src = "%%capture\nimport os\nif x:\n    !pip install peft\nelse:\n    %pip install trl\n!ls\n";
        let masked = mask_cell(src);
        assert_eq!(masked.python.len(), src.len());
        assert_eq!(masked.magic, CellMagic::PythonBody);
        assert!(masked.python.contains("    ...              \n"));
        assert_eq!(masked.shell_lines.len(), 3, "{:?}", masked.shell_lines);
        assert_eq!(masked.shell_lines[0].range.slice(src), "!pip install peft");
        let arm = |i: usize| {
            masked.shell_lines[i]
                .condition
                .as_ref()
                .map(|g| g.header.as_str())
        };
        assert_eq!(arm(0), Some("if x:"));
        assert_eq!(arm(1), Some("else:"));
        assert!(masked.python.ends_with("...\n"));
    }

    #[test]
    fn continuation_lines_belong_to_one_command() {
        let src = "!uv pip install -qqq \\\n    peft trl\nimport unsloth\n";
        let masked = mask_cell(src);
        assert_eq!(
            masked.shell_lines[0].range.slice(src),
            "!uv pip install -qqq \\\n    peft trl"
        );
        assert!(masked.python.contains("import unsloth"));
        assert!(!masked.python.contains("peft"));
    }

    #[test]
    fn bash_bodies_are_shell_and_title_comments_may_precede_the_magic() {
        let src = "#@title Install { display-mode: \"form\" }\n%%bash\npip install peft==0.12.0\n# comment\nuv pip install --system trl\n";
        let masked = mask_cell(src);
        assert_eq!(masked.magic, CellMagic::Shell);
        assert_eq!(masked.shell_lines.len(), 2);
        assert!(masked.python.trim_start().starts_with("#@title"));
        assert!(!masked.python.contains("pip"));
    }

    #[test]
    fn non_ascii_in_masked_lines_stays_aligned() {
        let src = "!echo 日本\nx = 1\n";
        let masked = mask_cell(src);
        assert_eq!(masked.python.len(), src.len());
        assert!(masked.python.ends_with("x = 1\n"));
    }
}
