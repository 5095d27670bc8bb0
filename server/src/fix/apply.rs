//! Applying fixes to a document's text, and turning notebook edits into cell changes.

use super::{Applicability, CellChange, EditTarget, FixAction};
use crate::finding::Finding;
use crate::source::Document;
use crate::text::TextRange;

/// Applies non-overlapping edits to `text`; an edit that overlaps an earlier one is skipped.
/// Returns the new text and the number of edits applied.
pub fn apply_edits(text: &str, edits: &[(TextRange, String)]) -> (String, usize) {
    let mut sorted: Vec<&(TextRange, String)> = edits.iter().collect();
    sorted.sort_by_key(|(r, _)| (r.start, r.end));
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut applied = 0;
    for (range, content) in sorted {
        if range.start < last || range.end > text.len() {
            continue;
        }
        out.push_str(&text[last..range.start]);
        out.push_str(content);
        last = range.end;
        applied += 1;
    }
    out.push_str(&text[last..]);
    (out, applied)
}

/// What applying fixes to one document produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FixOutcome {
    /// The new text, for scripts and dependency files.
    pub text: Option<String>,
    /// The cell changes, for notebooks.
    pub cell_changes: Vec<CellChange>,
    /// How many fixes were applied.
    pub applied: usize,
    /// The codes of the findings that were fixed.
    pub fixed: Vec<String>,
}

/// Applies the fixes of `findings` that `unsafe_fixes` allows: the first applicable fix of each
/// finding. Edits to other files are left to those files' own findings.
pub fn apply_fixes(doc: &Document, findings: &[Finding], unsafe_fixes: bool) -> FixOutcome {
    let allowed =
        |a: Applicability| a == Applicability::Safe || (unsafe_fixes && a == Applicability::Unsafe);
    let mut edits: Vec<(TextRange, String)> = Vec::new();
    let mut inserts: Vec<(usize, String)> = Vec::new();
    let mut outcome = FixOutcome::default();
    for finding in findings {
        let Some(fix) = finding.fixes.iter().find(|f| {
            allowed(f.applicability)
                && (f.edits.iter().any(|e| e.target == EditTarget::ThisDocument)
                    || (doc.notebook.is_some()
                        && matches!(f.action, Some(FixAction::InsertCell { .. }))))
        }) else {
            continue;
        };
        let before = edits.len() + inserts.len();
        for e in &fix.edits {
            if e.target == EditTarget::ThisDocument
                && !edits.iter().any(|(r, c)| *r == e.range && *c == e.content)
            {
                edits.push((e.range, e.content.clone()));
            }
        }
        if let Some(FixAction::InsertCell {
            before_cell,
            source,
            ..
        }) = &fix.action
        {
            if !inserts.iter().any(|(c, s)| c == before_cell && s == source) {
                inserts.push((*before_cell, source.clone()));
            }
        }
        if edits.len() + inserts.len() > before {
            outcome.applied += 1;
            outcome.fixed.push(finding.code.clone());
        }
    }
    if outcome.applied == 0 {
        return outcome;
    }
    match &doc.notebook {
        None => outcome.text = Some(apply_edits(&doc.text, &edits).0),
        Some(nb) => {
            // Each edit belongs to the cell that holds it; the cell's new source is rebuilt.
            for span in &nb.map.spans {
                let local: Vec<(TextRange, String)> = edits
                    .iter()
                    .filter(|(r, _)| span.range.contains_range(*r))
                    .map(|(r, c)| {
                        (
                            TextRange::new(r.start - span.range.start, r.end - span.range.start),
                            c.clone(),
                        )
                    })
                    .collect();
                if local.is_empty() {
                    continue;
                }
                let (source, _) = apply_edits(span.range.slice(&doc.text), &local);
                outcome.cell_changes.push(CellChange::SetSource {
                    cell: span.cell,
                    source,
                });
            }
            for (cell, source) in inserts {
                outcome
                    .cell_changes
                    .push(CellChange::InsertBefore { cell, source });
            }
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_edits_are_skipped() {
        let (out, n) = apply_edits(
            "abcdef",
            &[
                (TextRange::new(1, 3), "X".into()),
                (TextRange::new(2, 4), "Y".into()),
                (TextRange::new(5, 5), "Z".into()),
            ],
        );
        assert_eq!(out, "aXdeZf");
        assert_eq!(n, 2);
    }
}
