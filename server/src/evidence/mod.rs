//! Evidence: every version tunelint reasons about, with the kind of evidence and its source.
//!
//! Three kinds: what is installed now (an environment or a `pip freeze` snapshot), what is
//! declared for the next run (install cells, requirements, pyproject, script headers), and what
//! the saved outputs say the last run used. An unpinned declaration is "unknown", never a guess.

use pep440_rs::Version;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use crate::text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceKind {
    /// Installed in an environment, or listed in an environment snapshot.
    Installed,
    /// Declared for the next run.
    Declared,
    /// Seen in the saved outputs of the last run.
    LastRun,
}

impl EvidenceKind {
    pub fn label(self) -> &'static str {
        match self {
            EvidenceKind::Installed => "installed",
            EvidenceKind::Declared => "declared",
            EvidenceKind::LastRun => "last run",
        }
    }
}

/// A place in a file: path, byte range, and the 1-based line and column of its start.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    pub path: PathBuf,
    pub range: TextRange,
    /// 1-based, counted in the file as stored (for a notebook: within the cell).
    pub line: usize,
    pub column: usize,
    /// 1-based cell number for notebook locations.
    pub cell: Option<usize>,
}

/// One version of one package, and how we know it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionFact {
    /// PEP 503 normalised name.
    pub package: String,
    /// `None` when the evidence says the version is not known (unpinned, computed, from git).
    pub version: Option<Version>,
    /// What the evidence says, as a person would read it: `0.12.0`, `peft<0.12`, `latest from git`.
    pub written: String,
    pub kind: EvidenceKind,
    /// Where it came from, for messages: `.venv/lib/python3.11/site-packages/peft-0.12.0.dist-info`.
    pub source: String,
    /// The place to point at, when the source is a place in a file.
    pub location: Option<Location>,
    /// Installed from or declared as a git URL.
    pub git: bool,
    /// The git commit, when known (PEP 610 `direct_url.json`, pip's `Resolved ... to commit`).
    pub commit: Option<String>,
    pub editable: bool,
    /// The evidence says "the newest release (or commit) on the day it runs": an unpinned or
    /// ranged install from the index, or a git install without a ref. Its version is unknown,
    /// but it is at least as new as every release known today. A local source tree or an
    /// editable install is not.
    pub newest: bool,
    /// For a [`newest`](Self::newest) install: the range it picks from (`<0.9.0` for
    /// `trl<0.9.0`); `None` for an unpinned one.
    pub picks_from: Option<pep440_rs::VersionSpecifiers>,
    /// An earlier install in the same notebook that this one replaces: what it wrote, and where.
    pub replaced: Option<(String, Location)>,
}

impl VersionFact {
    pub fn known(package: &str, version: &str, kind: EvidenceKind, source: String) -> VersionFact {
        VersionFact {
            package: package.to_string(),
            version: Version::from_str(version).ok(),
            written: version.to_string(),
            kind,
            source,
            location: None,
            git: false,
            commit: None,
            editable: false,
            newest: false,
            picks_from: None,
            replaced: None,
        }
    }

    /// `peft 0.12.0 (installed, .venv/.../peft-0.12.0.dist-info)`.
    pub fn describe(&self) -> String {
        let mut how = self.kind.label().to_string();
        if self.git {
            how.push_str(", from git");
            if let Some(c) = &self.commit {
                how.push_str(&format!(" at {}", &c[..c.len().min(10)]));
            }
        }
        if self.editable {
            how.push_str(", editable");
        }
        match &self.version {
            Some(v) => format!("{} {} ({how}, {})", self.package, v, self.source),
            None => format!("{} {} ({how}, {})", self.package, self.written, self.source),
        }
    }
}

/// Where an environment was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvironmentOrigin {
    /// `--python` or the editor's interpreter.
    Interpreter,
    SitePackages,
    EnvFile,
    Config,
    VirtualEnv,
    Conda,
    ProjectVenv,
    SystemPython,
    /// Nothing found: only declarations and saved outputs count.
    None,
}

impl EnvironmentOrigin {
    /// How the environment was found, for people.
    pub fn label(self) -> &'static str {
        match self {
            EnvironmentOrigin::Interpreter => "the interpreter given with --python",
            EnvironmentOrigin::SitePackages => "the site-packages given with --site-packages",
            EnvironmentOrigin::EnvFile => "the snapshot given with --env-file",
            EnvironmentOrigin::Config => "named in [tool.tunelint]",
            EnvironmentOrigin::VirtualEnv => "$VIRTUAL_ENV",
            EnvironmentOrigin::Conda => "$CONDA_PREFIX",
            EnvironmentOrigin::ProjectVenv => "the project's virtual environment",
            EnvironmentOrigin::SystemPython => "the python3 on PATH",
            EnvironmentOrigin::None => "none found",
        }
    }
}

/// A problem found while reading an environment (corrupt metadata, unreadable files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentProblem {
    pub path: PathBuf,
    pub message: String,
}

/// The installed packages of one environment.
#[derive(Clone, Debug)]
pub struct Environment {
    pub origin: EnvironmentOrigin,
    /// A short name for status lines: `.venv`, `pip-list.json`, `conda: base`.
    pub name: String,
    /// The directory or file that was read.
    pub path: Option<PathBuf>,
    pub python_version: Option<String>,
    pub packages: BTreeMap<String, VersionFact>,
    pub problems: Vec<EnvironmentProblem>,
    /// Which installed distribution owns a module path (`google.protobuf` → `protobuf`), from
    /// each distribution's RECORD (or an egg-info's `top_level.txt`); empty when the
    /// environment is a snapshot without files.
    pub modules: BTreeMap<String, String>,
    /// Each installed distribution's `Requires-Dist` lines, as its METADATA writes them.
    pub requires: BTreeMap<String, Vec<String>>,
}

impl Environment {
    pub fn empty() -> Environment {
        Environment {
            origin: EnvironmentOrigin::None,
            name: "no environment".into(),
            path: None,
            python_version: None,
            packages: BTreeMap::new(),
            problems: Vec::new(),
            modules: BTreeMap::new(),
            requires: BTreeMap::new(),
        }
    }

    /// The distribution that provides an imported module: the installed one whose files hold
    /// it (the longest module path that covers it), else tunelint's built-in map.
    pub fn distribution_for_module(&self, module: &str) -> Option<String> {
        let mut prefix = module;
        loop {
            if let Some(dist) = self.modules.get(prefix) {
                return Some(dist.clone());
            }
            match prefix.rsplit_once('.') {
                Some((head, _)) => prefix = head,
                None => break,
            }
        }
        crate::requirement::distribution_for_module(module)
    }

    pub fn get(&self, package: &str) -> Option<&VersionFact> {
        self.packages.get(package)
    }

    /// An environment from `name == version` pairs, used by advisory examples and tests.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        source: &str,
    ) -> Environment {
        let mut env = Environment::empty();
        env.origin = EnvironmentOrigin::EnvFile;
        env.name = source.to_string();
        for (name, version) in pairs {
            let package = crate::requirement::normalize_name(name);
            let mut fact = VersionFact::known(
                &package,
                version,
                EvidenceKind::Installed,
                source.to_string(),
            );
            if let Some((v, commit)) = version.split_once('@') {
                fact = VersionFact::known(&package, v, EvidenceKind::Installed, source.to_string());
                fact.git = true;
                fact.commit = (!commit.is_empty() && commit != "git").then(|| commit.to_string());
            }
            env.packages.insert(package, fact);
        }
        env
    }
}
