//! Suppression comments: `# tunelint: ignore[CODE, ...]` at the end of a line, and
//! `# tunelint: ignore-file[CODE, ...]` anywhere in a file (or the first cell of a notebook).

use crate::finding::{codes, Finding, Severity};
use crate::fix::{Applicability, Edit, Fix};
use crate::kb::KnowledgeBase;
use crate::source::Document;
use crate::text::TextRange;

struct Suppression {
    line: usize,
    file_wide: bool,
    /// Empty means every code.
    codes: Vec<(String, TextRange)>,
}

fn parse(doc: &Document) -> Vec<Suppression> {
    let mut out = Vec::new();
    let first_cell_end = doc
        .notebook
        .as_ref()
        .and_then(|nb| nb.map.spans.first())
        .map(|s| s.range.end);
    for (at, _) in doc.text.match_indices("tunelint:") {
        let before = doc.text[..at].trim_end_matches(' ');
        if !before.ends_with('#') {
            continue;
        }
        let rest = &doc.text[at + "tunelint:".len()..];
        let rest_trim = rest.trim_start();
        let offset = at + "tunelint:".len() + (rest.len() - rest_trim.len());
        let (file_wide, after) = if let Some(a) = rest_trim.strip_prefix("ignore-file") {
            (true, a)
        } else if let Some(a) = rest_trim.strip_prefix("ignore") {
            (false, a)
        } else {
            continue;
        };
        let after_offset = offset + (rest_trim.len() - after.len());
        let mut codes = Vec::new();
        if let Some(list) = after.strip_prefix('[') {
            let Some(close) = list.find(']') else {
                continue;
            };
            let mut pos = after_offset + 1;
            for part in list[..close].split(',') {
                let code = part.trim();
                let lead = part.len() - part.trim_start().len();
                if !code.is_empty() {
                    codes.push((
                        code.to_string(),
                        TextRange::new(pos + lead, pos + lead + code.len()),
                    ));
                }
                pos += part.len() + 1;
            }
        } else if after.starts_with(|c: char| !c.is_whitespace()) {
            continue;
        }
        if file_wide && first_cell_end.is_some_and(|end| at > end) {
            continue;
        }
        out.push(Suppression {
            line: doc.lines().line_of(at),
            file_wide,
            codes,
        });
    }
    out
}

/// Drops suppressed findings and reports suppressions that name unknown codes.
/// Removes the suppressed findings (and returns them), and reports suppressions that name
/// unknown or retired codes.
pub(super) fn apply_suppressions(
    doc: &Document,
    kb: &KnowledgeBase,
    findings: &mut Vec<Finding>,
) -> Vec<Finding> {
    let suppressions = parse(doc);
    if suppressions.is_empty() {
        return Vec::new();
    }
    // A retired code still suppresses the advisory it was merged into.
    let matches = |s: &Suppression, code: &str| {
        let aliases = kb.get(code).map_or(&[][..], |a| a.aliases.as_slice());
        s.codes.is_empty()
            || s.codes.iter().any(|(c, _)| {
                c.eq_ignore_ascii_case(code) || aliases.iter().any(|a| a.eq_ignore_ascii_case(c))
            })
    };
    let (suppressed, kept): (Vec<Finding>, Vec<Finding>) =
        std::mem::take(findings).into_iter().partition(|f| {
            let line = doc.lines().line_of(f.range.start);
            suppressions
                .iter()
                .any(|s| (s.file_wide || s.line == line) && matches(s, &f.code))
        });
    *findings = kept;
    let internal = [
        codes::MALFORMED_FILE,
        codes::BROKEN_METADATA,
        codes::FILE_TOO_LARGE,
        codes::UNKNOWN_SUPPRESSION,
        codes::RETIRED_CODE,
    ];
    for s in &suppressions {
        for (code, range) in &s.codes {
            if kb.get(code).is_some() {
                continue;
            }
            if let Some(target) = kb.alias_target(code) {
                let mut note = Finding::new(
                    codes::RETIRED_CODE,
                    Severity::Info,
                    format!(
                        "suppression names `{code}`, a retired code that is now part of {}; it still works, but write `{}`",
                        target.id, target.id
                    ),
                    *range,
                );
                note.fixes.push(Fix {
                    title: format!("Replace `{code}` with `{}`", target.id),
                    applicability: Applicability::Safe,
                    edits: vec![Edit::here(*range, target.id.clone())],
                    action: None,
                });
                findings.push(note);
                continue;
            }
            if !internal.iter().any(|c| c.eq_ignore_ascii_case(code)) {
                findings.push(Finding::new(
                    codes::UNKNOWN_SUPPRESSION,
                    Severity::Warning,
                    format!("suppression names `{code}`, which is not a tunelint code"),
                    *range,
                ));
            }
        }
    }
    suppressed
}
