//! `tunelint check`: walk, read, analyse in parallel, fix, render, and choose the exit code.

use super::{load_kb, CheckArgs, FailLevel, OutputFormat};
use crate::check::{analyze, CheckContext};
use crate::evidence::Environment;
use crate::finding::{codes, Finding, Severity};
use crate::fix::{apply_fixes, rewrite_notebook, FixOutcome};
use crate::kb::KnowledgeBase;
use crate::render::{render_concise, render_full, render_json, summary_line, FileReport};
use crate::source::SourceKind;
use crate::text::TextRange;
use crate::workspace::{load_file, Overrides, Workspace};
use rayon::prelude::*;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn run(args: CheckArgs) -> Result<u8, String> {
    let kb = load_kb(&args.kb)?;
    for p in &args.paths {
        if !p.exists() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let overrides = Overrides {
        python: args.env.python.clone(),
        site_packages: args.env.site_packages.clone(),
        env_file: args.env.env_file.clone(),
        isolated: args.env.isolated,
    };
    for (flag, path) in [
        ("--site-packages", &overrides.site_packages),
        ("--env-file", &overrides.env_file),
        ("--python", &overrides.python),
    ] {
        if let Some(p) = path {
            if !p.exists() {
                return Err(format!("{flag} {}: no such file or directory", p.display()));
            }
        }
    }
    let workspace = Workspace::new(root, overrides);
    let files = collect_files(&args.paths);
    let fix_mode = args.fix || args.diff;
    let mut reports: Vec<FileReport> = files
        .par_iter()
        .map(|path| check_file(path, &workspace, &kb))
        .collect();

    let mut diff_output = String::new();
    if fix_mode {
        let mut changed = Vec::new();
        for report in &reports {
            let Some(doc) = &report.doc else { continue };
            let outcome = apply_fixes(doc, &report.findings, args.unsafe_fixes);
            if outcome.applied == 0 {
                continue;
            }
            let Some(new_raw) = new_contents(report, &outcome) else {
                continue;
            };
            if new_raw == report.raw {
                continue;
            }
            if args.diff {
                let diff = similar::TextDiff::from_lines(&report.raw, &new_raw);
                diff_output.push_str(
                    &diff
                        .unified_diff()
                        .context_radius(3)
                        .header(&report.display, &report.display)
                        .to_string(),
                );
            } else {
                write_atomically(&report.path, &new_raw)
                    .map_err(|e| format!("cannot write {}: {e}", report.path.display()))?;
                eprintln!("Fixed {} in {}", outcome.fixed.join(", "), report.display);
                changed.push(report.path.clone());
            }
        }
        if !changed.is_empty() {
            // Report what is left after fixing, as ruff does.
            workspace.invalidate();
            for report in reports.iter_mut() {
                if changed.contains(&report.path) {
                    *report = check_file(&report.path, &workspace, &kb);
                }
            }
        }
    }

    let environments = used_environments(&files, &workspace);
    reports.extend(environment_reports(&environments, &workspace));
    reports.retain(|r| !r.findings.is_empty());
    reports.sort_by(|a, b| a.display.cmp(&b.display));

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let color = !args.no_color && stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if args.diff {
        let _ = out.write_all(diff_output.as_bytes());
        let _ = out.flush();
        return Ok(if diff_output.is_empty() || args.exit_zero {
            0
        } else {
            1
        });
    }
    let text = match args.format {
        OutputFormat::Full => {
            let mut t = render_full(&reports, color);
            t.push_str(&summary_line(&reports));
            t.push('\n');
            t
        }
        OutputFormat::Concise => {
            let mut t = render_concise(&reports);
            t.push_str(&summary_line(&reports));
            t.push('\n');
            t
        }
        OutputFormat::Json => render_json(
            &reports,
            &environments.iter().map(|e| e.as_ref()).collect::<Vec<_>>(),
        ),
    };
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    let threshold = match args.fail_level {
        FailLevel::Error => Severity::Error,
        FailLevel::Warning => Severity::Warning,
        FailLevel::Info => Severity::Info,
    };
    let failing = reports
        .iter()
        .flat_map(|r| &r.findings)
        .any(|f| f.severity >= threshold);
    Ok(if failing && !args.exit_zero { 1 } else { 0 })
}

/// Every checkable file under the given paths, `.gitignore` respected. Files named on the
/// command line are checked whatever their name.
pub fn collect_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_file() {
            out.push(path.clone());
            continue;
        }
        let walker = ignore::WalkBuilder::new(path)
            .hidden(true)
            .git_ignore(true)
            .require_git(false)
            .build();
        for entry in walker.filter_map(Result::ok) {
            let p = entry.path();
            if entry.file_type().is_some_and(|t| t.is_file())
                && SourceKind::from_path(p).is_some_and(|k| k != SourceKind::TrainingLog)
            {
                out.push(p.to_path_buf());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Reads and analyses one file.
pub fn check_file(path: &Path, workspace: &Workspace, kb: &KnowledgeBase) -> FileReport {
    let display = workspace.display(path);
    let loaded = match load_file(path) {
        Ok(l) => l,
        Err(e) => {
            return FileReport {
                path: path.to_path_buf(),
                display,
                raw: String::new(),
                doc: None,
                findings: vec![Finding::new(
                    codes::MALFORMED_FILE,
                    Severity::Error,
                    format!("cannot read file: {e}"),
                    TextRange::empty(0),
                )],
            }
        }
    };
    let mut findings = Vec::new();
    if let Some(p) = loaded.problem {
        findings.push(p);
    }
    if let Some(doc) = &loaded.doc {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let env = workspace.environment_for(dir);
        let project = workspace.project_files_for(dir);
        let ctx = CheckContext {
            display_path: &display,
            path,
            env: &env,
            project: &project,
            kb,
        };
        findings.extend(analyze(doc, &ctx).findings);
    }
    FileReport {
        path: path.to_path_buf(),
        display,
        raw: loaded.raw,
        doc: loaded.doc,
        findings,
    }
}

fn new_contents(report: &FileReport, outcome: &FixOutcome) -> Option<String> {
    match &outcome.text {
        Some(text) => Some(text.clone()),
        None if !outcome.cell_changes.is_empty() => {
            rewrite_notebook(&report.raw, &outcome.cell_changes)
        }
        None => None,
    }
}

/// Writes through a temporary file in the same directory and renames it over the original,
/// keeping its permissions, so a crash never leaves a half-written file.
pub fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tunelint-{}", std::process::id()));
    std::fs::write(&tmp, contents)?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn used_environments(files: &[PathBuf], workspace: &Workspace) -> Vec<Arc<Environment>> {
    let mut envs: Vec<Arc<Environment>> = Vec::new();
    for f in files {
        let dir = f
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let env = workspace.environment_for(dir);
        if !envs.iter().any(|e| Arc::ptr_eq(e, &env)) {
            envs.push(env);
        }
    }
    envs
}

/// Broken metadata in the environments used, as findings about the metadata files.
fn environment_reports(envs: &[Arc<Environment>], workspace: &Workspace) -> Vec<FileReport> {
    let mut out = Vec::new();
    for env in envs {
        for p in &env.problems {
            out.push(FileReport {
                path: p.path.clone(),
                display: workspace.display(&p.path),
                raw: String::new(),
                doc: None,
                findings: vec![Finding::new(
                    codes::BROKEN_METADATA,
                    Severity::Info,
                    p.message.clone(),
                    TextRange::empty(0),
                )],
            });
        }
    }
    out
}
