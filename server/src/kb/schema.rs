//! The advisory file format as serde types: the TOML front matter, field by field.
//!
//! Unknown keys are errors, so a typo in an advisory fails its test instead of being ignored.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct AdvisoryToml {
    /// The format's version: 2. There is one format; files without it are rejected.
    pub schema: u32,
    pub id: String,
    pub title: String,
    /// What the problem does to a run (`fails`, `trains-wrongly`, `slower`, `more-memory`,
    /// `fails-sometimes`, `deprecated`, `advice`); the severity follows from it.
    pub effect: String,
    pub severity: String,
    /// Why `severity` is lower than the effect's (an unproven boundary, a single report).
    #[serde(default)]
    pub lowered: Option<String>,
    pub summary: String,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
    /// Package name → PEP 440 specifiers. All must hold.
    #[serde(default)]
    pub versions: BTreeMap<String, String>,
    /// Package name → how to place a git install's commit relative to a fix.
    #[serde(default)]
    pub git: BTreeMap<String, GitToml>,
    /// Severity overrides, the first whose versions and conditions hold wins.
    #[serde(default)]
    pub cases: Vec<CaseToml>,
    /// Where a version match is reported in code: each match of these matchers is a finding.
    #[serde(default)]
    pub flag: Vec<MatcherToml>,
    /// Whether a version match is also reported on the lines that declare the packages.
    #[serde(default = "yes")]
    pub flag_declarations: bool,
    /// Conditions on the code that must all hold for the advisory to apply.
    #[serde(default)]
    pub require: Vec<MatcherToml>,
    #[serde(default)]
    pub symptoms: Vec<SymptomToml>,
    #[serde(default)]
    pub fixes: Vec<FixToml>,
    #[serde(default)]
    pub examples: Vec<ExampleSpec>,
    /// A condition tree that must hold for the advisory to apply, beside `versions`.
    #[serde(default)]
    pub when: Option<ConditionToml>,
    /// A compatibility table (`advisories/tables/NAME.toml`) whose rows this advisory checks:
    /// it matches when the key package's row does not work with the other package's version.
    #[serde(default)]
    pub table: Option<String>,
    /// A dependency the release declares: the advisory matches when the installed `package`'s
    /// own `Requires-Dist` (from the release index) on `on` is not met by `on`'s version.
    #[serde(default)]
    pub requires_dist: Option<RequiresDistToml>,
    /// Retired codes merged into this one; suppressions and configuration still accept them.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Where each boundary (first bad, first fixed, ...) of the advisory comes from.
    #[serde(default)]
    pub provenance: Vec<ProvenanceToml>,
}

/// `requires-dist = { package = "unsloth", on = "unsloth-zoo" }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RequiresDistToml {
    pub package: String,
    pub on: String,
}

/// One boundary of an advisory and the primary source that proves it.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct ProvenanceToml {
    pub package: String,
    /// `first-bad`, `last-bad`, `first-fixed` or `last-good`.
    pub boundary: String,
    pub version: String,
    /// A pinned primary source: a commit, a tag or release, an issue or pull request, or the
    /// release's own page on the package index. Never a `blob/main` or `tree/main` page.
    pub source: String,
    /// What the source shows, in a sentence: `git tag --contains` output, a file and line.
    #[serde(default)]
    pub evidence: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct GitToml {
    /// Versions whose git builds need their commit placed (e.g. `==2024.8`).
    pub boundary: String,
    /// Commits (prefixes) known to carry the problem.
    #[serde(default)]
    pub affected: Vec<String>,
    /// Commits (prefixes) known to carry the fix.
    #[serde(default)]
    pub fixed: Vec<String>,
    /// The fix, for messages: `fcf92c54ca (2024-07-25)`.
    pub fix_commit: String,
    /// Severity when the commit cannot be placed.
    #[serde(default = "info")]
    pub unplaced: String,
}

fn info() -> String {
    "info".into()
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct CaseToml {
    /// What the problem does in this case; the advisory's effect when absent.
    #[serde(default)]
    pub effect: Option<String>,
    pub severity: String,
    /// Why `severity` is lower than the effect's.
    #[serde(default)]
    pub lowered: Option<String>,
    /// A condition tree that must hold, beside `versions` and `require`.
    #[serde(default)]
    pub when: Option<ConditionToml>,
    #[serde(default)]
    pub versions: BTreeMap<String, String>,
    #[serde(default)]
    pub require: Vec<MatcherToml>,
    /// Appended to the message when this case applies.
    #[serde(default)]
    pub note: Option<String>,
    /// The titles of the advisory's fixes that help in this case; all of them when absent.
    #[serde(default)]
    pub fixes: Option<Vec<String>>,
}

/// A node of a condition tree; exactly one key. `all`, `any` and `not` combine nodes; the
/// leaves test versions, code usage and the platform facts the evidence carries.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct ConditionToml {
    pub all: Option<Vec<ConditionToml>>,
    pub any: Option<Vec<ConditionToml>>,
    pub not: Option<Box<ConditionToml>>,
    /// Package → PEP 440 specifiers (local labels such as `+cu121` as PEP 440 says); all hold.
    pub versions: Option<BTreeMap<String, String>>,
    /// A code usage matcher (`{ import = "unsloth" }`).
    pub code: Option<MatcherToml>,
    /// The environment's Python version.
    pub python: Option<String>,
    /// The CUDA toolkit version (the Unsloth banner's `CUDA Toolkit`).
    pub cuda: Option<String>,
    /// The GPU's compute capability (the Unsloth banner's `CUDA: 8.9`).
    pub compute_capability: Option<String>,
    /// A regex over torch's local label (`cu121`, `cpu`, `rocm6.2`).
    pub torch_build: Option<String>,
    /// A regex over the GPU's name (the Unsloth banner's `GPU: Tesla T4`).
    pub gpu: Option<String>,
    /// A regex over the platform (the Unsloth banner's `Platform: Linux`).
    pub platform: Option<String>,
}

/// A usage matcher. Exactly one of the kinds is given.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct MatcherToml {
    /// An import of this module (or a submodule of it).
    pub import: Option<String>,
    /// A call of this qualified name; `*` matches within one dotted segment.
    pub call: Option<String>,
    /// A keyword argument of `call`.
    pub keyword: Option<String>,
    /// With `keyword`: only these literal values match.
    pub values: Option<Vec<String>>,
    /// A model name (the `model_name` of a `from_pretrained` call) matching this regex.
    pub model: Option<String>,
    /// With `import`: only an import that comes after an import of one of these modules.
    pub after: Option<Vec<String>>,
    /// With `import`: only an import that comes before every import of these modules. With
    /// `call` (and no `keyword`): only a call that runs before a call of one of these (dotted
    /// callee patterns, as `call`).
    pub before: Option<Vec<String>>,
    /// These packages installed without a version.
    pub unpinned_install: Option<Vec<String>>,
    /// With `unpinned-install`: only in `--no-deps` commands.
    pub no_deps: Option<bool>,
    /// A package installed in a notebook cell that runs after a cell that imported it.
    pub installed_after_import: Option<bool>,
    /// A name a release removed (`peft.prepare_model_for_int8_training`): importing it fails
    /// at import, so the import is the finding; without such an import, each call and each
    /// class that subclasses it.
    pub removed: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct SymptomToml {
    /// A regex over one output line; a named group called after a package captures its version.
    pub pattern: String,
    /// Package → specifiers the captured versions must satisfy.
    #[serde(default)]
    pub versions: BTreeMap<String, String>,
    pub message: String,
    #[serde(default)]
    pub severity: Option<String>,
    /// A condition tree that must hold for the line to count: versions captured by the pattern's
    /// named groups are evidence here, beside the installed and last-run versions.
    #[serde(default)]
    pub when: Option<ConditionToml>,
    /// The call whose arguments can explain the symptom away (`unsloth.*.get_peft_model`).
    #[serde(default)]
    pub inspect: Option<String>,
    #[serde(default)]
    pub benign: Vec<BenignToml>,
    /// A regex the previous non-blank line of the same output must match (pip and Colab print
    /// the packages a warning is about on the line before it).
    #[serde(default)]
    pub after_line: Option<String>,
    /// Named groups (of the pattern or of `after-line`) that each list packages,
    /// comma-separated: the line counts when one of them names the stack or an import.
    #[serde(default)]
    pub listed_packages: Vec<String>,
    /// Named groups each holding a requirement (`torch==2.6.0`, `protobuf<4.0.0`, or a bare
    /// name): the line no longer counts when a later install in the same run reports a version
    /// that meets one of them (`Successfully installed torch-2.6.0`).
    #[serde(default)]
    pub resolved_by: Vec<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct BenignToml {
    /// A keyword of the inspected call that explains the symptom unless its literal value is one
    /// of `fast` (absent = the library default, which is fast).
    pub keyword: Option<String>,
    #[serde(default)]
    pub fast: Vec<String>,
    /// With `keyword`: the value must be a list that includes all of these to be fast.
    #[serde(default)]
    pub includes: Vec<String>,
    /// A model name matching this regex explains the symptom.
    pub model: Option<String>,
    /// Another output line matching this regex explains the symptom.
    pub output: Option<String>,
    /// Said in the info finding when this explanation applies.
    pub reason: String,
}

/// A fix, by kind; each kind takes exactly its own keys beside `title` and `applicability`.
#[derive(Deserialize, Debug)]
#[serde(
    tag = "kind",
    rename_all = "kebab-case",
    rename_all_fields = "kebab-case",
    deny_unknown_fields
)]
pub(super) enum FixToml {
    /// Rewrite the requirement where the package is declared.
    Pin {
        title: Option<String>,
        applicability: String,
        package: String,
        specifier: String,
    },
    /// Pin the table's key package to the newest release whose row works with the other
    /// package's version in play (advisories with a `table` only).
    PinTableMatch {
        title: Option<String>,
        applicability: String,
    },
    /// Pin an unpinned install to the version the evidence shows.
    PinToEvidence {
        title: Option<String>,
        applicability: String,
    },
    /// Insert a code cell before the first import of a module (notebooks).
    InsertCell {
        title: Option<String>,
        applicability: String,
        before_import: String,
        source: String,
    },
    /// A command to run in the environment's terminal.
    RunCommand {
        title: Option<String>,
        applicability: String,
        command: String,
    },
    /// Restart the kernel or runtime.
    RestartRuntime {
        title: Option<String>,
        applicability: String,
    },
    /// Set a keyword argument of a call to another value (Python source).
    SetKeyword {
        title: Option<String>,
        applicability: String,
        call: String,
        keyword: String,
        value: String,
    },
    /// Rename a keyword argument of a call.
    RenameKeyword {
        title: Option<String>,
        applicability: String,
        call: String,
        from: String,
        to: String,
    },
    /// Import another name instead.
    RenameImport {
        title: Option<String>,
        applicability: String,
        from: String,
        to: String,
    },
    /// Move `import <module>` before every other import.
    MoveImportFirst {
        title: Option<String>,
        applicability: String,
        module: String,
    },
}

impl FixToml {
    /// The title and applicability every kind has.
    pub fn common(&self) -> (&Option<String>, &str) {
        match self {
            FixToml::Pin {
                title,
                applicability,
                ..
            }
            | FixToml::PinToEvidence {
                title,
                applicability,
            }
            | FixToml::PinTableMatch {
                title,
                applicability,
            }
            | FixToml::InsertCell {
                title,
                applicability,
                ..
            }
            | FixToml::RunCommand {
                title,
                applicability,
                ..
            }
            | FixToml::RestartRuntime {
                title,
                applicability,
            }
            | FixToml::SetKeyword {
                title,
                applicability,
                ..
            }
            | FixToml::RenameKeyword {
                title,
                applicability,
                ..
            }
            | FixToml::RenameImport {
                title,
                applicability,
                ..
            }
            | FixToml::MoveImportFirst {
                title,
                applicability,
                ..
            } => (title, applicability),
        }
    }
}

/// What an example must produce.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Expectation {
    /// At least one finding with this advisory's code (at `severity`, when given).
    Trigger,
    /// No finding with this advisory's code at warning or error.
    Clean,
}

/// A cell of a notebook example.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExampleCell {
    pub source: String,
    #[serde(default)]
    pub stdout: Option<String>,
    #[serde(default)]
    pub stderr: Option<String>,
    #[serde(default)]
    pub execution_count: Option<i64>,
}

/// A self-test: a file, an environment, and what tunelint must say.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExampleSpec {
    pub name: String,
    pub expect: Expectation,
    #[serde(default)]
    pub severity: Option<String>,
    /// The file name; its extension decides the kind (`.py`, `.ipynb`, `requirements.txt`, ...).
    pub path: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub cells: Vec<ExampleCell>,
    /// Installed packages: name → version, or `version@commit` for a git install.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// The public report (an issue, pull request or discussion, also listed in `references`)
    /// this example is trimmed from: its versions, code and pasted lines are the reporter's.
    #[serde(default)]
    pub report: Option<String>,
}
