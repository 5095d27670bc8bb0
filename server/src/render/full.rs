//! The `full` (code frames, as ruff prints them) and `concise` (one line each) formats.

use super::FileReport;
use crate::finding::Severity;
use crate::fix::Applicability;
use crate::text::{LineIndex, TextRange};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// One line per finding: `path:cell 3:2:5: UNS001 [error] message`.
pub fn render_concise(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for report in reports {
        for f in &report.findings {
            out.push_str(&format!(
                "{}: {} [{}] {}\n",
                report.location_label(f.range.start),
                f.code,
                f.severity.as_str(),
                f.message
            ));
        }
    }
    out
}

/// Code frames with the finding, its evidence and its fixes.
pub fn render_full(reports: &[FileReport], color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for report in reports {
        for f in &report.findings {
            let level = match f.severity {
                Severity::Error => Level::ERROR,
                Severity::Warning => Level::WARNING,
                Severity::Info => Level::INFO,
            };
            let (text, base) = report.frame_text(f.range);
            let local = TextRange::new(
                f.range.start.saturating_sub(base).min(text.len()),
                f.range.end.saturating_sub(base).min(text.len()),
            );
            // Show only the lines the finding covers, so large files stay cheap to render.
            let index = LineIndex::new(text);
            let first = index.line_of(local.start);
            let last = index.line_of(local.end.saturating_sub(1).max(local.start));
            let from = index.line_start(first);
            let to = index
                .line_range(last, text)
                .end
                .max(local.end.min(text.len()));
            let snippet_text = &text[from..to];
            let span = (local.start - from)..(local.end - from).max(local.start - from);
            let (cell, _) = report.position(f.range.start);
            let path = match cell {
                Some(c) => format!("{}:cell {c}", report.display),
                None => report.display.clone(),
            };
            let title = f.message.clone();
            let mut groups = vec![level.primary_title(&title).id(&f.code).element(
                Snippet::source(snippet_text)
                    .line_start(first + 1)
                    .path(&path)
                    .annotation(AnnotationKind::Primary.span(span)),
            )];
            let mut notes: Vec<String> = Vec::new();
            for e in &f.evidence {
                notes.push(format!(
                    "{} {} ({}, {})",
                    e.package,
                    e.version,
                    e.kind.label(),
                    e.source
                ));
            }
            let fix_notes: Vec<String> = f
                .fixes
                .iter()
                .map(|x| {
                    let how = match x.applicability {
                        Applicability::Safe => "safe fix",
                        Applicability::Unsafe => "unsafe fix",
                        Applicability::DisplayOnly => "suggestion",
                    };
                    format!("{how}: {}", x.title)
                })
                .collect();
            let evidence_title = if notes.is_empty() {
                String::new()
            } else {
                format!("versions in play: {}", notes.join("; "))
            };
            if !evidence_title.is_empty() {
                groups.push(Group::with_title(
                    Level::NOTE.secondary_title(&evidence_title),
                ));
            }
            let joined: Vec<String> = fix_notes;
            for n in &joined {
                groups.push(Group::with_title(Level::HELP.secondary_title(n)));
            }
            out.push_str(&renderer.render(&groups).to_string());
            out.push_str("\n\n");
        }
    }
    out
}

/// `Found 3 findings (1 error, 1 warning, 1 info); 2 fixable with --fix --unsafe-fixes.`
pub fn summary_line(reports: &[FileReport]) -> String {
    let all = reports.iter().flat_map(|r| &r.findings);
    let (mut e, mut w, mut i, mut safe, mut unsafe_) = (0, 0, 0, 0, 0);
    for f in all {
        match f.severity {
            Severity::Error => e += 1,
            Severity::Warning => w += 1,
            Severity::Info => i += 1,
        }
        if f.fixes
            .iter()
            .any(|x| x.applicability == Applicability::Safe)
        {
            safe += 1;
        } else if f
            .fixes
            .iter()
            .any(|x| x.applicability == Applicability::Unsafe)
        {
            unsafe_ += 1;
        }
    }
    let total = e + w + i;
    let advice: usize = reports.iter().map(|r| r.advice.len()).sum();
    let advice_note = match advice {
        0 => String::new(),
        1 => " (1 piece of advice is off by default; `--extend-select ALL` shows it)".to_string(),
        n => {
            format!(" ({n} pieces of advice are off by default; `--extend-select ALL` shows them)")
        }
    };
    if total == 0 {
        return format!("All checks passed!{advice_note}");
    }
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut line = format!(
        "Found {} ({}, {}, {})",
        plural(total, "finding"),
        plural(e, "error"),
        plural(w, "warning"),
        plural(i, "info")
    );
    if safe > 0 {
        line.push_str(&format!("; {safe} fixable with --fix"));
    }
    if unsafe_ > 0 {
        line.push_str(&format!("; {unsafe_} fixable with --fix --unsafe-fixes"));
    }
    line.push('.');
    line.push_str(&advice_note);
    line
}
