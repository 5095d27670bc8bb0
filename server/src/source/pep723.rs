//! PEP 723 inline script metadata: the `# /// script` block at the top of a script.

use crate::text::TextRange;

/// The TOML inside a script's `# /// script` block, as the byte range of each content line's
/// text (after `# `) and the TOML built from them. `None` when the script has no block.
pub fn script_metadata_block(text: &str) -> Option<(String, Vec<TextRange>)> {
    let mut offset = 0;
    let mut inside = false;
    let mut toml = String::new();
    let mut ranges = Vec::new();
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        if !inside {
            if content == "# /// script" {
                inside = true;
            }
            continue;
        }
        if content == "# ///" {
            return Some((toml, ranges));
        }
        let (body, skip) = if let Some(rest) = content.strip_prefix("# ") {
            (rest, 2)
        } else if content == "#" {
            ("", 1)
        } else {
            // PEP 723: every line of the block starts with `#`; anything else ends it unclosed.
            return None;
        };
        ranges.push(TextRange::new(start + skip, start + skip + body.len()));
        toml.push_str(body);
        toml.push('\n');
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_block_and_maps_lines_back() {
        let text = "# /// script\n# dependencies = [\n#   \"peft\",\n# ]\n# ///\nimport peft\n";
        let (toml, ranges) = script_metadata_block(text).unwrap();
        assert_eq!(toml, "dependencies = [\n  \"peft\",\n]\n");
        assert_eq!(ranges[1].slice(text), "  \"peft\",");
    }

    #[test]
    fn an_unclosed_block_is_ignored() {
        assert!(script_metadata_block("# /// script\n# x = 1\n").is_none());
    }
}
