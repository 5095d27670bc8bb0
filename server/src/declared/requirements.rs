//! pip requirements files: one requirement a line, `\` continuations, `#` comments, options
//! (`-r`, `-c`, `-e`, `--hash`, `--index-url`), environment markers and `name @ url`.

use super::{DeclaredFile, DeclaredRequirement, FileProblem, Include};
use crate::requirement::parse_requirement;
use crate::text::TextRange;

pub fn parse_requirements(text: &str) -> DeclaredFile {
    let mut file = DeclaredFile::default();
    let mut offset = 0;
    let mut line_no = 0;
    let mut logical = String::new();
    // Each logical line keeps a map from its characters back to byte offsets in `text`.
    let mut map: Vec<usize> = Vec::new();
    let mut first_line = 0;
    for physical in text.split_inclusive('\n') {
        line_no += 1;
        let start = offset;
        offset += physical.len();
        let content = physical.trim_end_matches(['\n', '\r']);
        if logical.is_empty() {
            first_line = line_no;
        }
        let (body, continued) = match content.strip_suffix('\\') {
            Some(b) => (b, true),
            None => (content, false),
        };
        for (i, ch) in body.char_indices() {
            logical.push(ch);
            // One entry per byte, so that a range can end inside the text exactly.
            for b in 0..ch.len_utf8() {
                map.push(start + i + b);
            }
        }
        if continued {
            continue;
        }
        handle_line(&logical, &map, first_line, &mut file);
        logical.clear();
        map.clear();
    }
    if !logical.is_empty() {
        handle_line(&logical, &map, first_line, &mut file);
    }
    file
}

fn handle_line(line: &str, map: &[usize], line_no: usize, file: &mut DeclaredFile) {
    // A comment starts at `#` at the line start or after whitespace.
    let mut end = line.len();
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            end = i;
            break;
        }
    }
    let content = &line[..end];
    let trimmed_start = content.len() - content.trim_start().len();
    let content = content.trim();
    if content.is_empty() {
        return;
    }
    let range_of = |from: usize, len: usize| -> TextRange {
        let s = map.get(from).copied().unwrap_or(0);
        let e = if len == 0 {
            s
        } else {
            map.get(from + len - 1).map_or(s, |&p| p + 1)
        };
        TextRange::new(s, e.max(s))
    };
    if content.starts_with('-') {
        let (opt, rest) = content.split_once([' ', '=']).unwrap_or((content, ""));
        let value = rest.trim();
        let value_at = trimmed_start + content.len() - rest.trim_start().len();
        match opt {
            "-r" | "--requirement" | "-c" | "--constraint" => file.includes.push(Include {
                path: value.to_string(),
                range: range_of(value_at, value.len()),
                constraint: opt.starts_with("-c") || opt == "--constraint",
            }),
            "-e" | "--editable" => push(file, value, range_of(value_at, value.len()), line_no),
            _ => {}
        }
        return;
    }
    // Per-requirement options (`--hash=...`) follow the requirement after whitespace.
    let req_len = content
        .find(" --")
        .or_else(|| content.find("\t--"))
        .unwrap_or(content.len());
    let req_text = content[..req_len].trim_end();
    push(
        file,
        req_text,
        range_of(trimmed_start, req_text.len()),
        line_no,
    );
}

fn push(file: &mut DeclaredFile, text: &str, range: TextRange, line_no: usize) {
    match parse_requirement(text) {
        Ok(requirement) => file.requirements.push(DeclaredRequirement {
            requirement,
            range,
            context: format!("line {line_no}"),
            pep508: true,
        }),
        Err(e) => file.problems.push(FileProblem {
            range,
            message: format!("cannot read requirement `{text}`: {e}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirement::RequirementSpec;

    #[test]
    fn requirements_with_everything_pip_allows() {
        let text = "# pins\npeft==0.12.0  # founding case\n-r base.txt\n-c constraints.txt\ntrl>=0.9 \\\n    --hash=sha256:abc\nnumpy; python_version < \"3.12\"\nunsloth @ git+https://github.com/unslothai/unsloth.git@f20bc23e84\n--index-url https://x\n!!bad\n";
        let file = parse_requirements(text);
        let names: Vec<_> = file
            .requirements
            .iter()
            .map(|r| r.requirement.name.as_str())
            .collect();
        assert_eq!(names, ["peft", "trl", "numpy", "unsloth"]);
        assert_eq!(file.requirements[0].range.slice(text), "peft==0.12.0");
        assert_eq!(file.requirements[1].range.slice(text), "trl>=0.9");
        assert_eq!(file.requirements[1].context, "line 5");
        assert!(matches!(
            file.requirements[3].requirement.spec,
            RequirementSpec::Url { .. }
        ));
        assert_eq!(file.includes.len(), 2);
        assert!(file.includes[1].constraint);
        assert_eq!(file.includes[0].range.slice(text), "base.txt");
        assert_eq!(file.problems.len(), 1);
    }

    #[test]
    fn ranges_end_on_character_boundaries() {
        // Found by fuzzing: a requirement ending in a multi-byte character.
        let text = "peft==0.1\u{78c} \\\n  --hash=x\n";
        let file = parse_requirements(text);
        for r in file
            .requirements
            .iter()
            .map(|r| r.range)
            .chain(file.problems.iter().map(|p| p.range))
        {
            assert!(
                text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
                "{r:?}"
            );
        }
    }
}
