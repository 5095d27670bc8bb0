//! Rewriting a notebook's JSON in place: only the `source` values of changed cells are
//! replaced and new cells are spliced in, so every other byte (indent, key order, escapes,
//! outputs, metadata, trailing newline) stays exactly as it was.

use crate::text::TextRange;

/// Where the cells sit in a notebook's raw JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotebookLayout {
    pub cells: Vec<CellLayout>,
    pub nbformat_minor: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellLayout {
    /// The cell object, `{` to `}`.
    pub object: TextRange,
    /// The value of its `"source"` key.
    pub source: Option<TextRange>,
    /// The cell's keys in file order.
    pub keys: Vec<String>,
}

/// A change to a notebook's cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CellChange {
    /// Replace the source of the cell at this index (0-based among all cells).
    SetSource { cell: usize, source: String },
    /// Insert a new code cell before the cell at this index.
    InsertBefore { cell: usize, source: String },
}

impl NotebookLayout {
    /// Scans raw notebook JSON for cell and source positions. `None` when it is not JSON of
    /// the expected shape (callers have parsed it already, so that means a bug or a race).
    pub fn scan(raw: &str) -> Option<NotebookLayout> {
        let mut s = Scanner {
            b: raw.as_bytes(),
            i: 0,
            depth: 0,
        };
        let mut layout = NotebookLayout::default();
        s.ws();
        s.expect(b'{')?;
        loop {
            s.ws();
            if s.peek()? == b'}' {
                break;
            }
            let key = s.string()?;
            s.ws();
            s.expect(b':')?;
            s.ws();
            match key.as_str() {
                "cells" => {
                    s.expect(b'[')?;
                    loop {
                        s.ws();
                        if s.peek()? == b']' {
                            s.i += 1;
                            break;
                        }
                        layout.cells.push(s.cell()?);
                        s.ws();
                        if s.peek()? == b',' {
                            s.i += 1;
                        }
                    }
                }
                "nbformat_minor" => {
                    let r = s.value()?;
                    layout.nbformat_minor = raw[r.start..r.end].trim().parse().ok();
                }
                _ => {
                    s.value()?;
                }
            }
            s.ws();
            match s.peek()? {
                b',' => s.i += 1,
                b'}' => break,
                _ => return None,
            }
        }
        Some(layout)
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn string(&mut self) -> Option<String> {
        let start = self.i;
        self.skip_string()?;
        serde_json::from_slice(&self.b[start..self.i]).ok()
    }

    fn skip_string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            match self.peek()? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                _ => self.i += 1,
            }
        }
    }

    fn value(&mut self) -> Option<TextRange> {
        self.depth += 1;
        if self.depth > 256 {
            return None;
        }
        let start = self.i;
        match self.peek()? {
            b'"' => self.skip_string()?,
            b'{' | b'[' => {
                let close = if self.peek()? == b'{' { b'}' } else { b']' };
                self.i += 1;
                loop {
                    self.ws();
                    if self.peek()? == close {
                        self.i += 1;
                        break;
                    }
                    if close == b'}' {
                        self.skip_string()?;
                        self.ws();
                        self.expect(b':')?;
                        self.ws();
                    }
                    self.value()?;
                    self.ws();
                    if self.peek()? == b',' {
                        self.i += 1;
                    }
                }
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
                {
                    self.i += 1;
                }
            }
        }
        self.depth -= 1;
        Some(TextRange::new(start, self.i))
    }

    fn cell(&mut self) -> Option<CellLayout> {
        let start = self.i;
        self.expect(b'{')?;
        let mut source = None;
        let mut keys = Vec::new();
        loop {
            self.ws();
            if self.peek()? == b'}' {
                self.i += 1;
                break;
            }
            let key = self.string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            let v = self.value()?;
            if key == "source" {
                source = Some(v);
            }
            keys.push(key);
            self.ws();
            if self.peek()? == b',' {
                self.i += 1;
            }
        }
        Some(CellLayout {
            object: TextRange::new(start, self.i),
            source,
            keys,
        })
    }
}

/// Escapes a string the way Python's `json.dumps(..., ensure_ascii=False)` does, which is how
/// Jupyter and Colab write notebooks.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The whitespace at the start of the line that holds `offset`.
fn indent_at(raw: &str, offset: usize) -> &str {
    let line_start = raw[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &raw[line_start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// Serialises a source as nbformat does: a list of lines, each keeping its `\n`.
fn source_value(
    source: &str,
    as_string: bool,
    item_indent: &str,
    close_indent: &str,
    newline: &str,
) -> String {
    if as_string {
        return json_string(source);
    }
    if source.is_empty() {
        return "[]".into();
    }
    let items: Vec<String> = source
        .split_inclusive('\n')
        .map(|l| format!("{newline}{item_indent}{}", json_string(l)))
        .collect();
    format!("[{}{newline}{close_indent}]", items.join(","))
}

/// Applies cell changes to raw notebook JSON. Returns `None` when the JSON cannot be scanned.
pub fn rewrite_notebook(raw: &str, changes: &[CellChange]) -> Option<String> {
    let layout = NotebookLayout::scan(raw)?;
    let newline = if raw.contains("\r\n") { "\r\n" } else { "\n" };
    // Splices are collected as (range, text) and applied from the end so offsets stay valid.
    let mut splices: Vec<(TextRange, String)> = Vec::new();
    for change in changes {
        match change {
            CellChange::SetSource { cell, source } => {
                let cell = layout.cells.get(*cell)?;
                let range = cell.source?;
                let old = &raw[range.start..range.end];
                let key_indent = indent_at(raw, range.start);
                let cell_indent = indent_at(raw, cell.object.start);
                let unit = key_indent.len().saturating_sub(cell_indent.len()).max(1);
                let item_indent = format!("{key_indent}{}", &" ".repeat(unit));
                let compact = !old.contains('\n') && old.starts_with('[') && old.len() > 2;
                let value = if compact {
                    let items: Vec<String> =
                        source.split_inclusive('\n').map(json_string).collect();
                    format!("[{}]", items.join(", "))
                } else {
                    source_value(
                        source,
                        old.starts_with('"'),
                        &item_indent,
                        key_indent,
                        newline,
                    )
                };
                splices.push((range, value));
            }
            CellChange::InsertBefore { cell, source } => {
                let target = layout.cells.get(*cell)?;
                let cell_indent = indent_at(raw, target.object.start).to_string();
                let key_indent = target
                    .source
                    .map(|r| indent_at(raw, r.start).to_string())
                    .filter(|k| k.len() > cell_indent.len())
                    .unwrap_or_else(|| format!("{cell_indent} "));
                let unit = key_indent.len() - cell_indent.len();
                let item_indent = format!("{key_indent}{}", " ".repeat(unit));
                let mut keys: Vec<&str> = target
                    .keys
                    .iter()
                    .map(String::as_str)
                    .filter(|k| {
                        matches!(
                            *k,
                            "cell_type"
                                | "execution_count"
                                | "id"
                                | "metadata"
                                | "outputs"
                                | "source"
                        )
                    })
                    .collect();
                for k in [
                    "cell_type",
                    "execution_count",
                    "metadata",
                    "outputs",
                    "source",
                ] {
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
                if layout.nbformat_minor.unwrap_or(0) >= 5 && !keys.contains(&"id") {
                    keys.push("id");
                    keys.sort();
                }
                let id = format!("{:08x}", fnv(source.as_bytes()) ^ (*cell as u32));
                let fields: Vec<String> = keys
                    .iter()
                    .map(|k| {
                        let v = match *k {
                            "cell_type" => "\"code\"".to_string(),
                            "execution_count" => "null".into(),
                            "id" => json_string(&id),
                            "metadata" => "{}".into(),
                            "outputs" => "[]".into(),
                            _ => source_value(source, false, &item_indent, &key_indent, newline),
                        };
                        format!("{newline}{key_indent}{}: {v}", json_string(k))
                    })
                    .collect();
                let new_cell = format!(
                    "{{{}{newline}{cell_indent}}},{newline}{cell_indent}",
                    fields.join(",")
                );
                splices.push((TextRange::empty(target.object.start), new_cell));
            }
        }
    }
    splices.sort_by_key(|(r, _)| std::cmp::Reverse((r.start, r.end)));
    let mut out = raw.to_string();
    for (range, text) in splices {
        out.replace_range(range.start..range.end, &text);
    }
    Some(out)
}

fn fnv(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c9dc5;
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x01000193);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    const NB: &str = "{\n \"cells\": [\n  {\n   \"cell_type\": \"code\",\n   \"execution_count\": 1,\n   \"metadata\": {},\n   \"outputs\": [],\n   \"source\": [\n    \"!pip install peft\\n\",\n    \"import é\"\n   ]\n  }\n ],\n \"metadata\": {\"x\": \"日本\"},\n \"nbformat\": 4,\n \"nbformat_minor\": 4\n}\n";

    #[test]
    fn changing_a_source_keeps_every_other_byte() {
        let out = rewrite_notebook(
            NB,
            &[CellChange::SetSource {
                cell: 0,
                source: "!pip install \"peft<0.12\"\nimport é".into(),
            }],
        )
        .unwrap();
        let expected = NB.replace(
            "\"!pip install peft\\n\"",
            "\"!pip install \\\"peft<0.12\\\"\\n\"",
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn inserting_a_cell_matches_the_neighbours_style() {
        let out = rewrite_notebook(
            NB,
            &[CellChange::InsertBefore {
                cell: 0,
                source: "!pip uninstall unsloth -y\n!pip install x".into(),
            }],
        )
        .unwrap();
        assert!(out.starts_with("{\n \"cells\": [\n  {\n   \"cell_type\": \"code\",\n   \"execution_count\": null,\n   \"metadata\": {},\n   \"outputs\": [],\n   \"source\": [\n    \"!pip uninstall unsloth -y\\n\",\n    \"!pip install x\"\n   ]\n  },\n  {\n"), "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["cells"].as_array().unwrap().len(), 2);
        assert!(out.ends_with("\"nbformat_minor\": 4\n}\n"));
    }
}
