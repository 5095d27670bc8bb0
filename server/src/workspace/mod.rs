//! The workspace: reading files, finding configuration, project dependency files and the
//! environment for each file (an edge module: it does IO, and caches what it read).

mod environment_findings;

pub use environment_findings::{place_environment_findings, PlacedFile};

use crate::check::{analyze, analyze_with_facts, Analysis, CheckContext, ProjectFile};
use crate::declared::{parse_lock, parse_pyproject, parse_requirements, ToolConfig};
use crate::environment::{discover, EnvironmentRequest};
use crate::evidence::Environment;
use crate::finding::{codes, Finding, Severity};
use crate::kb::KnowledgeBase;
use crate::source::{Document, Notebook, SourceKind};
use crate::syntax::{FactsMemo, PythonFacts};
use crate::text::{LineCol, LineIndex, TextRange};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Files larger than this are not read; a finding says so.
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// A file read from disk: its document, or the finding that explains why there is none.
pub struct LoadedFile {
    pub kind: SourceKind,
    pub raw: String,
    pub doc: Option<Document>,
    pub problem: Option<Finding>,
}

/// Reads a file and turns it into a document. Malformed input is a finding, never an error.
pub fn load_file(path: &Path) -> std::io::Result<LoadedFile> {
    load_file_as(
        path,
        SourceKind::from_path(path).unwrap_or(SourceKind::Script),
    )
}

/// Reads a file as `kind`, whatever its name says (an `include`d log).
pub fn load_file_as(path: &Path, kind: SourceKind) -> std::io::Result<LoadedFile> {
    let meta = std::fs::metadata(path)?;
    if meta.len() > MAX_FILE_SIZE {
        let message = format!(
            "file skipped: {} MB is over the {} MB limit",
            meta.len() / (1024 * 1024),
            MAX_FILE_SIZE / (1024 * 1024)
        );
        let problem = Finding::new(
            codes::FILE_TOO_LARGE,
            Severity::Warning,
            message,
            TextRange::empty(0),
        );
        return Ok(LoadedFile {
            kind,
            raw: String::new(),
            doc: None,
            problem: Some(problem),
        });
    }
    let bytes = std::fs::read(path)?;
    Ok(load_bytes(kind, bytes))
}

/// Turns bytes into a document of `kind`.
pub fn load_bytes(kind: SourceKind, bytes: Vec<u8>) -> LoadedFile {
    let raw = match String::from_utf8(bytes) {
        Ok(s) => s,
        // Latin-1 and other stray bytes: read what can be read rather than give up on the file.
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    if kind == SourceKind::Notebook {
        return match Notebook::parse_text(&raw) {
            Ok(nb) => LoadedFile {
                kind,
                doc: Some(Document::from_notebook(nb)),
                raw,
                problem: None,
            },
            Err(e) => {
                let index = LineIndex::new(&raw);
                let at = index.offset_utf8(
                    LineCol {
                        line: e.line.saturating_sub(1),
                        col: e.column.saturating_sub(1),
                    },
                    &raw,
                );
                let end = index.line_range(index.line_of(at), &raw).end.max(at);
                let problem = Finding::new(
                    codes::MALFORMED_FILE,
                    Severity::Error,
                    format!(
                        "cannot read notebook: {} (at {}:{})",
                        e.message, e.line, e.column
                    ),
                    TextRange::new(at, end),
                );
                LoadedFile {
                    kind,
                    raw,
                    doc: None,
                    problem: Some(problem),
                }
            }
        };
    }
    let doc = Document::from_text(kind, raw.clone());
    LoadedFile {
        kind,
        raw,
        doc: Some(doc),
        problem: None,
    }
}

/// An environment cache key: the configuration file (if any) and where discovery starts.
type EnvironmentKey = (Option<PathBuf>, PathBuf);

/// `[tool.tunelint]` with the directory it applies to.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file it was read from; `None` for defaults.
    pub file: Option<PathBuf>,
    pub dir: PathBuf,
    pub tool: ToolConfig,
    pub problems: Vec<String>,
}

/// Run-wide options that override configuration.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--config FILE`: this configuration for every file.
    pub config_file: Option<PathBuf>,
    pub python: Option<PathBuf>,
    pub site_packages: Option<PathBuf>,
    pub env_file: Option<PathBuf>,
    pub isolated: bool,
    /// `--select`: replaces the configuration's `select`.
    pub select: Option<Vec<String>>,
    /// `--extend-select` and `--ignore`: added to the configuration's lists.
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
}

/// Caches shared by every file of a run (and by the language server between edits).
#[derive(Default)]
pub struct Workspace {
    pub overrides: Overrides,
    configs: Mutex<HashMap<PathBuf, Arc<Config>>>,
    /// Keyed by the configuration file and the directory discovery starts from: without a
    /// configuration, each directory finds its own `.venv` walking up.
    environments: Mutex<HashMap<EnvironmentKey, Arc<Environment>>>,
    projects: Mutex<HashMap<PathBuf, Arc<Vec<ProjectFile>>>>,
    /// Where relative paths in messages start.
    pub root: PathBuf,
    /// Facts of the statements parsed so far, kept by a one-off check of many files.
    facts_memo: Option<FactsMemo>,
}

impl Workspace {
    pub fn new(root: PathBuf, overrides: Overrides) -> Workspace {
        Workspace {
            overrides,
            root,
            ..Default::default()
        }
    }

    /// Keeps the facts of every statement parsed from now on, so that a statement repeated in
    /// other files is not parsed again. For a run over a set of files; a long-lived server
    /// would keep every text it ever saw.
    pub fn remember_parsed_facts(mut self) -> Workspace {
        self.facts_memo = Some(FactsMemo::default());
        self
    }

    /// Forgets cached environments and project files (after a file watcher fired).
    pub fn invalidate(&self) {
        lock(&self.configs).clear();
        lock(&self.environments).clear();
        lock(&self.projects).clear();
    }

    /// A path as shown in messages: relative to the root when it is below it.
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// The configuration for files in `dir`: the nearest `tunelint.toml` or pyproject.toml with
    /// a `[tool.tunelint]` table, walking up to the repository root.
    pub fn config_for(&self, dir: &Path) -> Arc<Config> {
        if let Some(c) = lock(&self.configs).get(dir) {
            return c.clone();
        }
        let mut config = if self.overrides.isolated {
            Config {
                dir: dir.to_path_buf(),
                ..Default::default()
            }
        } else {
            find_config(dir)
        };
        if let Some(select) = &self.overrides.select {
            config.tool.select = Some(select.clone());
        }
        let tool = &mut config.tool;
        tool.extend_select
            .extend(self.overrides.extend_select.iter().cloned());
        tool.ignore.extend(self.overrides.ignore.iter().cloned());
        let config = Arc::new(config);
        lock(&self.configs).insert(dir.to_path_buf(), config.clone());
        config
    }

    /// Analyses `doc`, read from `path`, with the environment, project files and display name
    /// that path has in this workspace: the one place the CLI and the language server build a
    /// check's context. `facts` are the document's syntax facts when the caller holds them
    /// already (the language server caches them per cell); otherwise only the statements an
    /// advisory can match are parsed.
    pub fn analyze(
        &self,
        path: &Path,
        doc: &Document,
        facts: Option<PythonFacts>,
        kb: &KnowledgeBase,
    ) -> Analysis {
        let dir = parent_dir(path);
        let env = self.environment_for(dir);
        let project = self.project_files_for(dir);
        let display = self.display(path);
        let ctx = CheckContext {
            display_path: &display,
            path,
            env: &env,
            project: &project,
            kb,
            memo: self.facts_memo.as_ref(),
        };
        match facts {
            Some(facts) => analyze_with_facts(doc, facts, &ctx),
            None => analyze(doc, &ctx),
        }
    }

    /// `findings` for `path`, sorted by how the configuration that governs `path` reports
    /// them.
    pub fn sort_by_visibility(
        &self,
        path: &Path,
        findings: Vec<Finding>,
        kb: &KnowledgeBase,
    ) -> SortedFindings {
        let config = self.config_for(parent_dir(path));
        let mut sorted = SortedFindings::default();
        for f in findings {
            let aliases = kb.get(&f.code).map_or(&[][..], |a| a.aliases.as_slice());
            match config.visibility(&f.code, f.severity, aliases, path) {
                Visibility::Shown => sorted.shown.push(f),
                Visibility::Advice => sorted.advice.push(f),
                Visibility::Ignored => sorted.ignored.push(f),
            }
        }
        sorted
    }

    pub fn environment_for(&self, dir: &Path) -> Arc<Environment> {
        let config = self.config_for(dir);
        let start = if config.file.is_some() {
            config.dir.clone()
        } else {
            dir.to_path_buf()
        };
        let key = (config.file.clone(), start.clone());
        if let Some(env) = lock(&self.environments).get(&key) {
            return env.clone();
        }
        let base = &config.dir;
        let resolve = |p: &Option<String>| p.as_ref().map(|p| base.join(p));
        let request = EnvironmentRequest {
            python: self.overrides.python.clone(),
            site_packages: self.overrides.site_packages.clone(),
            env_file: self.overrides.env_file.clone(),
            config_python: resolve(&config.tool.python),
            config_env_file: resolve(&config.tool.env_file),
            config_site_packages: resolve(&config.tool.site_packages),
            ..Default::default()
        }
        .from_process_env();
        let found = discover(&request, &start);
        // Directories that find the same environment share one, so that its problems are
        // reported once and files that use it can be told apart from files that do not.
        let mut cache = lock(&self.environments);
        let env = cache
            .values()
            .find(|e| e.origin == found.origin && e.path == found.path && e.path.is_some())
            .cloned()
            .unwrap_or_else(|| Arc::new(found));
        cache.insert(key, env.clone());
        env
    }

    /// The dependency files of the project that holds `dir`: the lock files, requirements
    /// files and pyproject.toml of the nearest directory (up to the repository root) that has
    /// any, with their `-r`/`-c` includes; lock files first.
    pub fn project_files_for(&self, dir: &Path) -> Arc<Vec<ProjectFile>> {
        if let Some(p) = lock(&self.projects).get(dir) {
            return p.clone();
        }
        let files = Arc::new(self.find_project_files(dir));
        lock(&self.projects).insert(dir.to_path_buf(), files.clone());
        files
    }

    fn find_project_files(&self, dir: &Path) -> Vec<ProjectFile> {
        let mut current = Some(dir);
        while let Some(d) = current {
            let mut found: Vec<PathBuf> = std::fs::read_dir(d)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        // The name first: a directory of notebooks has hundreds of entries, and
                        // asking the file system about each costs more than the rest of a
                        // small run.
                        .filter(|p| {
                            matches!(
                                SourceKind::from_path(p),
                                Some(
                                    SourceKind::Requirements
                                        | SourceKind::Pyproject
                                        | SourceKind::Lock(_)
                                )
                            ) && p.is_file()
                        })
                        .collect()
                })
                .unwrap_or_default();
            // Lock files first: their exact versions win over the manifest's ranges and pins,
            // which is what installing from the lock does.
            found.sort_by_key(|p| {
                let is_lock = matches!(SourceKind::from_path(p), Some(SourceKind::Lock(_)));
                (!is_lock, p.clone())
            });
            if !found.is_empty() {
                let mut out = Vec::new();
                let mut seen = Vec::new();
                for f in found {
                    self.read_project_file(&f, &mut out, &mut seen);
                }
                return out;
            }
            if d.join(".git").exists() {
                break;
            }
            current = d.parent();
        }
        Vec::new()
    }

    /// Reads one dependency file and, for requirements files, its includes (each file once, so
    /// a file that includes itself ends the chain).
    fn read_project_file(&self, path: &Path, out: &mut Vec<ProjectFile>, seen: &mut Vec<PathBuf>) {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if seen.contains(&canonical) || seen.len() > 64 {
            return;
        }
        seen.push(canonical);
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.len() > MAX_FILE_SIZE {
            return;
        }
        let Ok(bytes) = std::fs::read(path) else {
            return;
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let declared = match SourceKind::from_path(path) {
            Some(SourceKind::Pyproject) => parse_pyproject(&text).0,
            Some(SourceKind::Lock(format)) => parse_lock(format, &text),
            _ => parse_requirements(&text),
        };
        let includes: Vec<PathBuf> = declared
            .includes
            .iter()
            .map(|i| path.parent().unwrap_or(Path::new(".")).join(&i.path))
            .collect();
        out.push(ProjectFile {
            path: path.to_path_buf(),
            display: self.display(path),
            text,
            declared,
        });
        for include in includes {
            self.read_project_file(&include, out, seen);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves only a cache behind; keep using it.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Walks up from `dir` for `tunelint.toml` or a pyproject.toml with `[tool.tunelint]`.
pub fn find_config(dir: &Path) -> Config {
    let mut current = Some(dir);
    while let Some(d) = current {
        for candidate in [d.join("tunelint.toml"), d.join("pyproject.toml")] {
            if candidate.is_file() {
                if let Ok(config) = read_config(&candidate) {
                    if config.file.is_some() {
                        return config;
                    }
                }
            }
        }
        if d.join(".git").exists() {
            break;
        }
        current = d.parent();
    }
    Config {
        dir: dir.to_path_buf(),
        ..Default::default()
    }
}

/// Reads one configuration file: `tunelint.toml` (keys at the top level) or a pyproject.toml
/// (the `[tool.tunelint]` table; `file` is `None` when it has none). Problems name the line.
pub fn read_config(path: &Path) -> std::io::Result<Config> {
    let text = std::fs::read_to_string(path)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let standalone = path.file_name().is_some_and(|n| n == "tunelint.toml");
    // A standalone file holds the same keys at its top level; one line of header is added, so
    // reported lines are shifted back by one.
    let (toml, shift) = if standalone {
        (format!("[tool.tunelint]\n{text}"), 1)
    } else {
        (text, 0)
    };
    let (declared, tool) = parse_pyproject(&toml);
    let index = LineIndex::new(&toml);
    let problems: Vec<String> = declared
        .problems
        .iter()
        .filter(|p| {
            standalone
                || p.message.contains("tool.tunelint")
                || p.message.starts_with("invalid TOML")
                || p.message.contains("fail-level")
                || p.message.contains("per-file-ignores")
        })
        .map(|p| {
            format!(
                "{}:{}: {}",
                path.display(),
                (index.line_of(p.range.start) + 1)
                    .saturating_sub(shift)
                    .max(1),
                p.message
            )
        })
        .collect();
    let Some(tool) = tool else {
        return Ok(Config {
            file: None,
            dir,
            tool: ToolConfig::default(),
            problems,
        });
    };
    Ok(Config {
        file: Some(path.to_path_buf()),
        dir,
        tool,
        problems,
    })
}

/// A file's findings by how they are reported.
#[derive(Debug, Default)]
pub struct SortedFindings {
    pub shown: Vec<Finding>,
    pub advice: Vec<Finding>,
    pub ignored: Vec<Finding>,
}

/// The directory whose configuration governs `path`.
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// How a finding is reported under a configuration. Errors and warnings are the default set;
/// advice (an info) holds for many files of a kind (an unpinned install, a working shim), so it
/// is reported only where `select` or `extend-select` names its code, a prefix of it or `ALL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Left out by `ignore`, `per-file-ignores` or a `select` that does not name it.
    Ignored,
    /// Advice nobody asked for: left out of the CLI's and CI formats' reports, a hint (no
    /// squiggle) in the editor.
    Advice,
    Shown,
}

impl Config {
    /// How a finding with `code` and `severity` is reported for `path`.
    pub fn visibility(
        &self,
        code: &str,
        severity: Severity,
        aliases: &[String],
        path: &Path,
    ) -> Visibility {
        if !self.allows(code, aliases, path) {
            return Visibility::Ignored;
        }
        if severity > Severity::Info {
            return Visibility::Shown;
        }
        let named = |prefix: &String| {
            prefix == "ALL" || code.starts_with(prefix.as_str()) || aliases.contains(prefix)
        };
        let asked_for = self.tool.select.iter().flatten().any(named)
            || self.tool.extend_select.iter().any(named);
        if asked_for {
            Visibility::Shown
        } else {
            Visibility::Advice
        }
    }

    /// Whether findings with `code` are reported for `path` under this configuration. A retired
    /// code among the advisory's `aliases`, written out in full, still selects or ignores it.
    pub fn allows(&self, code: &str, aliases: &[String], path: &Path) -> bool {
        let matches = |prefix: &String| {
            prefix == "ALL" || code.starts_with(prefix.as_str()) || aliases.contains(prefix)
        };
        if code.starts_with("TL") {
            // Problems with the input itself are always reported.
            return true;
        }
        let selected = match &self.tool.select {
            Some(select) => {
                select.iter().any(matches) || self.tool.extend_select.iter().any(matches)
            }
            None => true,
        };
        if !selected || self.tool.ignore.iter().any(matches) {
            return false;
        }
        let rel = path.strip_prefix(&self.dir).unwrap_or(path);
        for (glob, codes) in &self.tool.per_file_ignores {
            let Ok(g) = globset::Glob::new(glob) else {
                continue;
            };
            let m = g.compile_matcher();
            if (m.is_match(rel) || rel.file_name().is_some_and(|n| m.is_match(n)))
                && codes.iter().any(matches)
            {
                return false;
            }
        }
        true
    }

    /// Whether `include` names `path`: a file read as a training log whatever its name.
    pub fn includes(&self, path: &Path) -> bool {
        self.matches_any(&self.tool.include, path, false)
    }

    /// Whether `path` is excluded from checking: `exclude` names it or a directory above it.
    pub fn excludes(&self, path: &Path) -> bool {
        self.matches_any(&self.tool.exclude, path, true)
    }

    /// Whether one of `globs` (relative to the configuration's directory) matches `path`, or
    /// with `ancestors`, a directory that holds it.
    fn matches_any(&self, globs: &[String], path: &Path, ancestors: bool) -> bool {
        let rel = path.strip_prefix(&self.dir).unwrap_or(path);
        globs
            .iter()
            .filter_map(|g| globset::Glob::new(g).ok())
            .any(|g| {
                let m = g.compile_matcher();
                m.is_match(rel)
                    || (ancestors
                        && rel
                            .ancestors()
                            .any(|a| !a.as_os_str().is_empty() && m.is_match(a)))
            })
    }
}

/// The advisory files (`*.md`) in a directory, as (file name, contents).
pub fn read_advisory_dir(dir: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    paths.sort();
    for p in paths {
        if p.extension().is_some_and(|e| e == "md")
            && p.file_name().is_some_and(|n| n != "README.md")
        {
            out.push((p.display().to_string(), std::fs::read_to_string(&p)?));
        }
    }
    Ok(out)
}
