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

/// A notebook cell a fix inserts, and the edits that do the same inside existing cells for
/// editors that cannot insert one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedCell {
    pub before_cell: usize,
    pub source: String,
    pub fallback: Vec<(TextRange, String)>,
}

/// The fixes one run applies to one document: which fix of each finding, its edits in the
/// document's text, and the cells it inserts. `check --fix` and the editor's fix-all both
/// start here, so they apply the same fixes with the same policy; they differ only in how
/// the result reaches the file (a rewritten file, or a workspace edit and a cell command).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FixPlan {
    /// Non-overlapping edits in the document's text, in the order they were chosen.
    pub edits: Vec<(TextRange, String)>,
    pub inserts: Vec<PlannedCell>,
    /// The codes of the findings a fix was chosen for, one per fixed finding.
    pub fixed: Vec<String>,
}

/// Chooses the fixes of `findings` that `unsafe_fixes` allows: the first applicable fix of each
/// finding, skipping edits that repeat or overlap one already chosen. Edits to other files are
/// left to those files' own findings.
pub fn plan_fixes(doc: &Document, findings: &[Finding], unsafe_fixes: bool) -> FixPlan {
    let allowed =
        |a: Applicability| a == Applicability::Safe || (unsafe_fixes && a == Applicability::Unsafe);
    let mut plan = FixPlan::default();
    for finding in findings {
        let Some(fix) = finding.fixes.iter().find(|f| {
            allowed(f.applicability)
                && (f.edits.iter().any(|e| e.target == EditTarget::ThisDocument)
                    || (doc.notebook.is_some()
                        && matches!(f.action, Some(FixAction::InsertCell { .. }))))
        }) else {
            continue;
        };
        let before = plan.edits.len() + plan.inserts.len();
        for e in &fix.edits {
            if e.target != EditTarget::ThisDocument {
                continue;
            }
            let overlaps = plan.edits.iter().any(|(r, c)| {
                (*r == e.range && *c == e.content)
                    || (r.start < e.range.end && e.range.start < r.end)
            });
            if !overlaps {
                plan.edits.push((e.range, e.content.clone()));
            }
        }
        if let Some(FixAction::InsertCell {
            before_cell,
            source,
            fallback,
            ..
        }) = &fix.action
        {
            if !plan
                .inserts
                .iter()
                .any(|c| c.before_cell == *before_cell && c.source == *source)
            {
                plan.inserts.push(PlannedCell {
                    before_cell: *before_cell,
                    source: source.clone(),
                    fallback: fallback
                        .iter()
                        .filter(|e| e.target == EditTarget::ThisDocument)
                        .map(|e| (e.range, e.content.clone()))
                        .collect(),
                });
            }
        }
        if plan.edits.len() + plan.inserts.len() > before {
            plan.fixed.push(finding.code.clone());
        }
    }
    plan
}

/// Applies the fixes of `findings` that `unsafe_fixes` allows (see [`plan_fixes`]) to the
/// document's text or, for a notebook, to its cells.
pub fn apply_fixes(doc: &Document, findings: &[Finding], unsafe_fixes: bool) -> FixOutcome {
    let plan = plan_fixes(doc, findings, unsafe_fixes);
    let mut outcome = FixOutcome {
        applied: plan.fixed.len(),
        fixed: plan.fixed,
        ..Default::default()
    };
    if outcome.applied == 0 {
        return outcome;
    }
    let edits = plan.edits;
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
            for cell in plan.inserts {
                outcome.cell_changes.push(CellChange::InsertBefore {
                    cell: cell.before_cell,
                    source: cell.source,
                });
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
