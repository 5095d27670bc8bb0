//! Formats for CI systems: GitHub workflow annotations, SARIF 2.1.0, JUnit XML, statistics.
//!
//! GitHub and SARIF show locations on the file as stored, so notebook findings point at the JSON
//! line that holds the flagged source line (see [`raw_position`]).

use super::{FileReport, Position};
use crate::finding::Severity;
use crate::fix::NotebookLayout;
use crate::kb::KnowledgeBase;
use crate::text::LineIndex;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The position in the file as stored: for notebooks, the line of the JSON string that holds
/// the cell's source line (nbformat stores one source line per string), and the column inside
/// that string (escapes are counted as written characters, which is exact for plain text).
pub fn raw_position(report: &FileReport, offset: usize) -> Position {
    let (cell, pos) = report.position(offset);
    let Some(cell) = cell else { return pos };
    let Some(layout) = NotebookLayout::scan(&report.raw) else {
        return pos;
    };
    let Some(source) = layout.cells.get(cell - 1).and_then(|c| c.source) else {
        return pos;
    };
    let index = LineIndex::new(&report.raw);
    let value = source.slice(&report.raw);
    // The start of each string in the source value, in order.
    let mut starts = Vec::new();
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'"' {
            starts.push(source.start + i);
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
        }
        i += 1;
    }
    let (string_start, column) = if value.starts_with('[') {
        match starts.get(pos.line - 1) {
            Some(&s) => (s, pos.column),
            None => (source.start, 1),
        }
    } else {
        (source.start, pos.column)
    };
    // Walk the JSON string's escapes to the written position of the decoded column.
    let raw = &report.raw[string_start + 1..];
    let mut written = 0;
    let mut decoded = 1;
    let mut chars = raw.chars().peekable();
    while decoded < column {
        match chars.next() {
            None | Some('"') => break,
            Some('\\') => {
                written += 1;
                match chars.next() {
                    Some('u') => {
                        for _ in 0..4 {
                            chars.next();
                        }
                        written += 5;
                    }
                    Some(_) => written += 1,
                    None => break,
                }
            }
            Some(_) => written += 1,
        }
        decoded += 1;
    }
    let lc = index.line_col_chars(string_start, &report.raw);
    Position {
        line: lc.line + 1,
        column: lc.col + 2 + written,
    }
}

fn github_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn github_escape_property(s: &str) -> String {
    github_escape_data(s)
        .replace(':', "%3A")
        .replace(',', "%2C")
}

/// `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=UNS001::message`
pub fn render_github(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for r in reports {
        for f in &r.findings {
            let level = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let start = raw_position(r, f.range.start);
            let end = raw_position(r, f.range.end);
            let (end_line, end_col) = if end.line < start.line {
                (start.line, start.column)
            } else {
                (end.line, end.column)
            };
            out.push_str(&format!(
                "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
                github_escape_property(&r.display),
                start.line,
                start.column,
                end_line,
                end_col,
                github_escape_property(&f.code),
                github_escape_data(&format!("{} {}", f.code, f.message)),
            ));
        }
    }
    out
}

/// SARIF 2.1.0: one run, one rule per advisory (and per tunelint code), results with regions
/// in the stored file; notebook results name their cell.
pub fn render_sarif(reports: &[FileReport], kb: &KnowledgeBase) -> String {
    let mut rules: Vec<Value> = kb
        .advisories
        .iter()
        .map(|a| {
            let mut rule = json!({
                "id": a.id,
                "name": a.id,
                "shortDescription": {"text": a.title},
                "fullDescription": {"text": a.summary},
                "help": {"text": a.body, "markdown": a.body},
                "defaultConfiguration": {"level": sarif_level(a.severity)},
                "properties": {"tags": a.packages().collect::<Vec<_>>()},
            });
            if let Some(uri) = a.references.first() {
                rule["helpUri"] = json!(uri);
            }
            rule
        })
        .collect();
    for (code, text) in crate::finding::codes::DESCRIPTIONS {
        rules.push(json!({"id": code, "name": code, "shortDescription": {"text": text}, "defaultConfiguration": {"level": "warning"}}));
    }
    let rule_index: BTreeMap<String, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r["id"].as_str().unwrap_or_default().to_string(), i))
        .collect();
    let mut results = Vec::new();
    for r in reports {
        for f in &r.findings {
            let start = raw_position(r, f.range.start);
            let end = raw_position(r, f.range.end);
            let (cell, _) = r.position(f.range.start);
            let mut region = json!({"startLine": start.line, "startColumn": start.column});
            if end.line > start.line || (end.line == start.line && end.column > start.column) {
                region["endLine"] = json!(end.line);
                region["endColumn"] = json!(end.column);
            }
            let mut location = json!({
                "physicalLocation": {"artifactLocation": {"uri": r.display.replace('\\', "/")}, "region": region},
            });
            if let Some(cell) = cell {
                location["logicalLocations"] =
                    json!([{"name": format!("cell {cell}"), "kind": "module"}]);
                location["properties"] = json!({"cell": cell});
            }
            let mut result = json!({
                "ruleId": f.code,
                "level": sarif_level(f.severity),
                "message": {"text": f.message},
                "locations": [location],
            });
            if let Some(i) = rule_index.get(&f.code) {
                result["ruleIndex"] = json!(i);
            }
            results.push(result);
        }
    }
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tunelint",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/tunelint/tunelint",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&sarif).unwrap_or_default() + "\n"
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one test case per file checked, one failure per finding.
pub fn render_junit(reports: &[FileReport]) -> String {
    let failures: usize = reports.iter().map(|r| r.findings.len()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"tunelint\" tests=\"{}\" failures=\"{failures}\">\n",
        reports.len()
    ));
    out.push_str(&format!("  <testsuite name=\"tunelint\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n", reports.len()));
    for r in reports {
        let name = xml_escape(&r.display);
        if r.findings.is_empty() {
            out.push_str(&format!(
                "    <testcase name=\"{name}\" classname=\"tunelint\"/>\n"
            ));
            continue;
        }
        out.push_str(&format!(
            "    <testcase name=\"{name}\" classname=\"tunelint\">\n"
        ));
        for f in &r.findings {
            let label = r.location_label(f.range.start);
            out.push_str(&format!(
                "      <failure type=\"{}\" message=\"{}\">{}: {} [{}] {}</failure>\n",
                xml_escape(&f.code),
                xml_escape(&f.message),
                xml_escape(&label),
                xml_escape(&f.code),
                f.severity.as_str(),
                xml_escape(&f.message)
            ));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Counts per code: `  5  UNS001  [error]  Unsloth before 2024.8 ...`.
pub fn render_statistics(reports: &[FileReport], kb: &KnowledgeBase) -> String {
    let mut counts: BTreeMap<(String, Severity), usize> = BTreeMap::new();
    for f in reports.iter().flat_map(|r| &r.findings) {
        *counts.entry((f.code.clone(), f.severity)).or_default() += 1;
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut out = String::new();
    for ((code, severity), n) in rows {
        let title = kb.get(&code).map(|a| a.title.clone()).unwrap_or_default();
        out.push_str(&format!(
            "{n:>5}  {code:<8} [{}] {title}\n",
            severity.as_str()
        ));
    }
    out
}
