//! `tunelint check`: walk, read, analyse in parallel, fix, render, and choose the exit code.

use super::{load_kb, CheckArgs, FailLevel, OutputFormat};
use crate::evidence::Environment;
use crate::finding::{codes, Finding, Severity};
use crate::fix::{apply_fixes, rewrite_notebook, FixOutcome};
use crate::kb::KnowledgeBase;
use crate::render::{
    render_concise, render_full, render_github, render_json, render_junit, render_sarif,
    render_statistics, summary_line, FileReport,
};
use crate::source::SourceKind;
use crate::text::TextRange;
use crate::workspace::{load_bytes, load_file_as, parent_dir, Overrides, Workspace};
use std::borrow::Cow;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a check run by the resident service ([`super::service`]) is given instead of this
/// process's own streams: the knowledge base the service keeps loaded, the text of `-`, and
/// where the report goes.
pub struct Resident<'a> {
    pub kb: &'a KnowledgeBase,
    pub stdin: Vec<u8>,
    pub report: &'a mut String,
}

/// `tunelint check` as a process: reads stdin for `-`, writes the report to stdout.
pub fn run(args: CheckArgs) -> Result<u8, String> {
    run_in(args, None)
}

/// A check, reading and writing either this process's streams or a resident service's.
pub fn run_in(args: CheckArgs, mut resident: Option<Resident<'_>>) -> Result<u8, String> {
    let stdin_mode = args.paths.iter().any(|p| p.as_os_str() == "-");
    for p in args.paths.iter().filter(|p| p.as_os_str() != "-") {
        if !p.exists() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let overrides = Overrides {
        config_file: args.env.config.clone(),
        python: args.env.python.clone(),
        site_packages: args.env.site_packages.clone(),
        env_file: args.env.env_file.clone(),
        isolated: args.env.isolated,
        select: args.select.select.clone(),
        extend_select: args.select.extend_select.clone(),
        ignore: args.select.ignore.clone(),
    };
    for (flag, path) in [
        ("--site-packages", &overrides.site_packages),
        ("--env-file", &overrides.env_file),
        ("--python", &overrides.python),
        ("--config", &overrides.config_file),
    ] {
        if let Some(p) = path {
            if !p.exists() {
                return Err(format!("{flag} {}: no such file or directory", p.display()));
            }
        }
    }
    let workspace = Workspace::new(root.clone(), overrides).remember_parsed_facts();
    let start_dirs: Vec<PathBuf> = args
        .paths
        .iter()
        .map(|p| {
            if p.is_dir() {
                p.clone()
            } else {
                parent_dir(p).to_path_buf()
            }
        })
        .collect();
    // The environment of each starting directory is found (an interpreter located, its
    // site-packages read) while the advisories load: neither needs the other, and together
    // they are most of the start-up of a small run. The workspace keeps what was found.
    let kept_kb = resident.as_ref().map(|r| r.kb);
    let mut kb: Cow<KnowledgeBase> = std::thread::scope(|scope| {
        scope.spawn(|| {
            for dir in &start_dirs {
                workspace.environment_for(dir);
            }
        });
        match kept_kb {
            Some(kb) if args.kb.advisories.is_none() => Ok(Cow::Borrowed(kb)),
            _ => load_kb(&args.kb).map(Cow::Owned),
        }
    })?;

    // Configuration problems (unknown keys, bad values) stop the run: a silently ignored
    // setting is worse than no run.
    let mut config_problems = Vec::new();
    for dir in &start_dirs {
        config_problems.extend(workspace.config_for(dir).problems.clone());
    }
    // Configured advisory directories join the knowledge base.
    for dir in &start_dirs {
        let config = workspace.config_for(dir);
        if let (Some(adv), None) = (&config.tool.advisories, &args.kb.advisories) {
            super::add_advisory_dir(kb.to_mut(), &config.dir.join(adv))?;
        }
    }

    let included = |f: &Path| workspace.config_for(parent_dir(f)).includes(f);
    let files: Vec<PathBuf> = collect_files(&args.paths, &included)
        .into_iter()
        .filter(|f| !workspace.config_for(parent_dir(f)).excludes(f))
        .collect();
    for f in &files {
        config_problems.extend(workspace.config_for(parent_dir(f)).problems.clone());
    }
    config_problems.sort();
    config_problems.dedup();
    if !config_problems.is_empty() {
        return Err(format!(
            "invalid configuration:\n  {}",
            config_problems.join("\n  ")
        ));
    }

    let fix_mode = args.fix || args.diff;
    let keep_raw = fix_mode || matches!(args.format, OutputFormat::Github | OutputFormat::Sarif);
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .collect();
    if sizes.iter().sum::<u64>() >= HUGE_PAGES_FROM {
        super::use_huge_pages(true);
    }
    let mut reports = largest_first_in_parallel(&files, &sizes, |path| {
        let mut report = check_file(path, &workspace, &kb);
        report.release_texts(keep_raw);
        report
    });
    if stdin_mode {
        let name = args
            .stdin_filename
            .clone()
            .unwrap_or_else(|| PathBuf::from("stdin.py"));
        let bytes = match resident.as_mut() {
            Some(r) => std::mem::take(&mut r.stdin),
            None => {
                let mut bytes = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut bytes)
                    .map_err(|e| format!("cannot read stdin: {e}"))?;
                bytes
            }
        };
        reports.push(check_bytes(&name, bytes, &workspace, &kb));
    }

    let mut diff_output = String::new();
    if fix_mode {
        let mut changed = Vec::new();
        for report in &reports {
            let Some(doc) = &report.doc else { continue };
            if !report.path.is_file() {
                continue;
            }
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
    let from_environments = environment_findings_reports(&environments, &workspace, &kb, &reports);
    reports.extend(environment_reports(&environments, &workspace, &kb));
    merge_reports(&mut reports, from_environments);
    reports.sort_by(|a, b| a.display.cmp(&b.display));

    if args.diff {
        emit(&mut resident, &diff_output);
        return Ok(if diff_output.is_empty() || args.exit_zero {
            0
        } else {
            1
        });
    }
    let to_terminal =
        resident.is_none() && args.output_file.is_none() && std::io::stdout().is_terminal();
    let color = !args.no_color && to_terminal && std::env::var_os("NO_COLOR").is_none();
    // JUnit lists every file checked; the other formats list the files with findings.
    let junit = (args.format == OutputFormat::Junit).then(|| render_junit(&reports));
    reports.retain(|r| !r.findings.is_empty() || !r.advice.is_empty());
    let mut text = match args.format {
        OutputFormat::Full => render_full(&reports, color) + &summary_line(&reports) + "\n",
        OutputFormat::Concise => render_concise(&reports) + &summary_line(&reports) + "\n",
        OutputFormat::Json => render_json(
            &reports,
            &environments.iter().map(|e| e.as_ref()).collect::<Vec<_>>(),
        ),
        OutputFormat::Github => render_github(&reports),
        OutputFormat::Sarif => render_sarif(&reports, &kb),
        OutputFormat::Junit => junit.unwrap_or_default(),
    };
    if args.statistics {
        let stats = render_statistics(&reports, &kb);
        match args.format {
            OutputFormat::Full | OutputFormat::Concise => {
                text = stats + &summary_line(&reports) + "\n"
            }
            _ => eprint!("{stats}"),
        }
    }
    match &args.output_file {
        Some(path) => std::fs::write(path, &text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => emit(&mut resident, &text),
    }
    let threshold = match args
        .fail_level
        .or_else(|| configured_fail_level(&workspace, &start_dirs))
    {
        Some(FailLevel::Error) => Severity::Error,
        Some(FailLevel::Info) => Severity::Info,
        Some(FailLevel::Warning) | None => Severity::Warning,
    };
    let failing = reports
        .iter()
        .flat_map(|r| &r.findings)
        .any(|f| f.severity >= threshold);
    Ok(if failing && !args.exit_zero { 1 } else { 0 })
}

/// Hands the report to the resident service, or prints it.
fn emit(resident: &mut Option<Resident<'_>>, text: &str) {
    match resident {
        Some(r) => r.report.push_str(text),
        None => super::print_out(text),
    }
}

fn configured_fail_level(workspace: &Workspace, dirs: &[PathBuf]) -> Option<FailLevel> {
    dirs.iter().find_map(
        |d| match workspace.config_for(d).tool.fail_level.as_deref() {
            Some("error") => Some(FailLevel::Error),
            Some("warning") => Some(FailLevel::Warning),
            Some("info") => Some(FailLevel::Info),
            _ => None,
        },
    )
}

/// Every checkable file under the given paths, `.gitignore` respected: scripts, notebooks,
/// dependency files and training logs (`*.log`), so that a CI job that keeps its run's log beside
/// the code checks both with one command. Files named on the command line are checked whatever
/// their name (a `.log` is read as a training log).
pub fn collect_files(paths: &[PathBuf], included: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            continue;
        }
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
                && (SourceKind::from_path(p).is_some() || included(p))
            {
                out.push(p.to_path_buf());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The total size of the files of a run from which the allocator's huge pages pay for
/// themselves (measured on the corpus and on one small file).
const HUGE_PAGES_FROM: u64 = 4 * 1024 * 1024;

/// Runs `check` on every file on every thread, taking the largest files first (`sizes` holds
/// each file's size): a large notebook that starts last would leave the other threads idle
/// while it finishes alone.
fn largest_first_in_parallel(
    files: &[PathBuf],
    sizes: &[u64],
    check: impl Fn(&Path) -> FileReport + Sync,
) -> Vec<FileReport> {
    let mut order: Vec<(u64, usize)> = sizes.iter().copied().zip(0..files.len()).collect();
    order.sort_by(|a, b| b.cmp(a));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(Vec::with_capacity(files.len()));
    rayon::broadcast(|_| loop {
        let taken = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(&(_, i)) = order.get(taken) else {
            break;
        };
        let report = check(&files[i]);
        done.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((i, report));
    });
    let mut done = done
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, report)| report).collect()
}

pub fn check_file(path: &Path, workspace: &Workspace, kb: &KnowledgeBase) -> FileReport {
    let display = workspace.display(path);
    let kind = SourceKind::from_path(path).unwrap_or_else(|| {
        if workspace.config_for(parent_dir(path)).includes(path) {
            SourceKind::TrainingLog
        } else {
            SourceKind::Script
        }
    });
    match load_file_as(path, kind) {
        Ok(loaded) => finish(path, display, loaded, workspace, kb),
        Err(e) => FileReport {
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
            acknowledged: Vec::new(),
            advice: Vec::new(),
        },
    }
}

/// Analyses text read from stdin as if it were the file `name`.
pub fn check_bytes(
    name: &Path,
    bytes: Vec<u8>,
    workspace: &Workspace,
    kb: &KnowledgeBase,
) -> FileReport {
    let kind = SourceKind::from_path(name).unwrap_or(SourceKind::Script);
    let loaded = load_bytes(kind, bytes);
    finish(name, workspace.display(name), loaded, workspace, kb)
}

fn finish(
    path: &Path,
    display: String,
    loaded: crate::workspace::LoadedFile,
    workspace: &Workspace,
    kb: &KnowledgeBase,
) -> FileReport {
    let mut findings = Vec::new();
    let mut acknowledged = Vec::new();
    if let Some(p) = loaded.problem {
        findings.push(p);
    }
    if let Some(doc) = &loaded.doc {
        let analysis = workspace.analyze(path, doc, None, kb);
        findings.extend(analysis.findings);
        acknowledged.extend(analysis.suppressed);
    }
    let sorted = workspace.sort_by_visibility(path, findings, kb);
    acknowledged.extend(sorted.ignored);
    FileReport {
        path: path.to_path_buf(),
        display,
        raw: loaded.raw,
        doc: loaded.doc,
        findings: sorted.shown,
        acknowledged,
        advice: sorted.advice,
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
    let dir = parent_dir(path);
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
        let env = workspace.environment_for(parent_dir(f));
        if !envs.iter().any(|e| Arc::ptr_eq(e, &env)) {
            envs.push(env);
        }
    }
    envs
}

/// Adds findings to the report of their file, or a report of their own.
fn merge_reports(reports: &mut Vec<FileReport>, more: Vec<FileReport>) {
    let index: std::collections::HashMap<PathBuf, usize> = reports
        .iter()
        .enumerate()
        .map(|(i, r)| (r.path.clone(), i))
        .collect();
    for report in more {
        match index.get(&report.path).map(|&i| &mut reports[i]) {
            Some(existing) => {
                // A checked file without findings has let go of its text already.
                if existing.doc.is_none() && existing.raw.is_empty() || existing.findings.is_empty()
                {
                    existing.doc = None;
                    existing.raw = report.raw;
                }
                existing.findings.extend(report.findings);
            }
            None => reports.push(report),
        }
    }
}

/// The environments' own problems as reports on their files, leaving out what a checked file
/// that uses the same environment already reports or silences. A file's hidden advice on the
/// same code does not count: the user would see neither.
fn environment_findings_reports(
    envs: &[Arc<Environment>],
    workspace: &Workspace,
    kb: &KnowledgeBase,
    file_reports: &[FileReport],
) -> Vec<FileReport> {
    let reported = |env: &Arc<Environment>| -> std::collections::HashSet<String> {
        file_reports
            .iter()
            .filter(|r| Arc::ptr_eq(&workspace.environment_for(parent_dir(&r.path)), env))
            .flat_map(|r| r.findings.iter().chain(&r.acknowledged))
            .map(|g| g.code.clone())
            .collect()
    };
    crate::workspace::place_environment_findings(envs, workspace, kb, &reported)
        .into_iter()
        .map(|placed| FileReport {
            display: placed.display,
            raw: placed.text,
            path: placed.path,
            doc: None,
            findings: placed.findings,
            acknowledged: Vec::new(),
            advice: placed.advice,
        })
        .collect()
}

/// Broken metadata in the environments used, as findings about the metadata files.
fn environment_reports(
    envs: &[Arc<Environment>],
    workspace: &Workspace,
    kb: &KnowledgeBase,
) -> Vec<FileReport> {
    let mut out = Vec::new();
    for env in envs {
        for p in &env.problems {
            let finding = Finding::new(
                codes::BROKEN_METADATA,
                Severity::Info,
                p.message.clone(),
                TextRange::empty(0),
            );
            let sorted = workspace.sort_by_visibility(&p.path, vec![finding], kb);
            out.push(FileReport {
                path: p.path.clone(),
                display: workspace.display(&p.path),
                raw: String::new(),
                doc: None,
                findings: sorted.shown,
                acknowledged: sorted.ignored,
                advice: sorted.advice,
            });
        }
    }
    out
}
