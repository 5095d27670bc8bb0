//! Suppression comments: `# tunelint: ignore[CODE, ...]` at the end of a line, and
//! `# tunelint: ignore-file[CODE, ...]` anywhere in a file (or the first cell of a notebook).
//! A comment that suppresses nothing is reported (TL007, advice), as ruff reports an unused
//! `noqa`: it hides the next real finding on that line from whoever reads the code.

use crate::finding::{codes, Finding, Severity};
use crate::fix::{Applicability, Edit, Fix};
use crate::kb::KnowledgeBase;
use crate::source::Document;
use crate::text::TextRange;

struct Suppression {
    line: usize,
    file_wide: bool,
    /// The comment from `#` to its end (`]`, or the `ignore` keyword).
    comment: TextRange,
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
        let mut comment_end = after_offset;
        if let Some(list) = after.strip_prefix('[') {
            let Some(close) = list.find(']') else {
                continue;
            };
            comment_end = after_offset + 1 + close + 1;
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
            comment: TextRange::new(before.len() - 1, comment_end),
            codes,
        });
    }
    out
}

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
    let names = |written: &str, code: &str| {
        let aliases = kb.get(code).map_or(&[][..], |a| a.aliases.as_slice());
        written.eq_ignore_ascii_case(code)
            || aliases.iter().any(|a| a.eq_ignore_ascii_case(written))
    };
    let matches = |s: &Suppression, code: &str| {
        s.codes.is_empty() || s.codes.iter().any(|(c, _)| names(c, code))
    };
    let (suppressed, kept): (Vec<Finding>, Vec<Finding>) =
        std::mem::take(findings).into_iter().partition(|f| {
            let line = doc.lines().line_of(f.range.start);
            suppressions
                .iter()
                .any(|s| (s.file_wide || s.line == line) && matches(s, &f.code))
        });
    *findings = kept;
    let used_by = |s: &Suppression, code: Option<&str>| {
        suppressed.iter().any(|f| {
            (s.file_wide || s.line == doc.lines().line_of(f.range.start))
                && code.map_or_else(|| matches(s, &f.code), |c| names(c, &f.code))
        })
    };
    for s in &suppressions {
        unused_suppression(doc, s, kb, &used_by, findings);
    }
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
            // tunelint's own codes are the ones it describes.
            let internal = codes::DESCRIPTIONS
                .iter()
                .any(|(c, _)| c.eq_ignore_ascii_case(code));
            if !internal {
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

/// Reports what part of `s` suppressed nothing: the whole comment when no code in it (or its
/// blanket form) did, else each unused code. Codes tunelint does not know are TL004's.
fn unused_suppression(
    doc: &Document,
    s: &Suppression,
    kb: &KnowledgeBase,
    used_by: &dyn Fn(&Suppression, Option<&str>) -> bool,
    findings: &mut Vec<Finding>,
) {
    let known = |code: &str| kb.get(code).is_some() || kb.alias_target(code).is_some();
    let unused: Vec<&(String, TextRange)> = s
        .codes
        .iter()
        .filter(|(code, _)| known(code) && !used_by(s, Some(code)))
        .collect();
    let all_unused = if s.codes.is_empty() {
        !used_by(s, None)
    } else {
        unused.len() == s.codes.len()
    };
    let scope = if s.file_wide {
        "in this file"
    } else {
        "on this line"
    };
    if all_unused {
        // The comment goes with the spaces before it; a comment alone on its line leaves an
        // empty line, as deleting it by hand would.
        let start = doc.text[..s.comment.start].trim_end_matches(' ').len();
        let named = if s.codes.is_empty() {
            "every code".to_string()
        } else {
            s.codes
                .iter()
                .map(|(c, _)| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        findings.push(unnecessary(
            format!("suppression of {named} suppresses nothing {scope} with these versions"),
            s.comment,
            "Remove the unused suppression comment".to_string(),
            TextRange::new(start, s.comment.end),
        ));
        return;
    }
    for (code, range) in unused {
        // `A, B`: the code goes with the separator on one side of it.
        let after = &doc.text[range.end..];
        let removal = if let Some(rest) = after.strip_prefix(',') {
            TextRange::new(
                range.start,
                range.end + 1 + (rest.len() - rest.trim_start().len()),
            )
        } else {
            let before = doc.text[..range.start].trim_end();
            let start = before.strip_suffix(',').map_or(range.start, str::len);
            TextRange::new(start, range.end)
        };
        findings.push(unnecessary(
            format!("suppression of `{code}` suppresses nothing {scope} with these versions"),
            *range,
            format!("Remove `{code}` from the suppression comment"),
            removal,
        ));
    }
}

fn unnecessary(message: String, range: TextRange, title: String, removal: TextRange) -> Finding {
    let mut note = Finding::new(codes::UNUSED_SUPPRESSION, Severity::Info, message, range);
    note.effect = Some(crate::vocabulary::Effect::Unnecessary);
    note.fixes.push(Fix {
        title,
        // Another environment may need the comment: removing it is the user's call.
        applicability: Applicability::Unsafe,
        edits: vec![Edit::here(removal, String::new())],
        action: None,
    });
    note
}
