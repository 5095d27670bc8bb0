//! Findings: what tunelint reports, with a range, the evidence it rests on, and its fixes.

use crate::evidence::{EvidenceKind, Location};
use crate::fix::Fix;
use crate::text::TextRange;
pub use crate::vocabulary::Severity;
use std::path::PathBuf;

/// Where a related location points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelatedLocation {
    /// A range in the same document.
    Here(TextRange),
    /// A place in another file.
    Elsewhere(Location),
    /// A file or directory as a whole (a dist-info directory, an environment snapshot).
    File(PathBuf),
}

/// The other half of a conflict, or the source of a version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub location: RelatedLocation,
    pub message: String,
}

/// One version a finding rests on.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EvidenceItem {
    pub package: String,
    pub version: String,
    pub kind: EvidenceKind,
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    /// In the document's text (a notebook's joined code cells).
    pub range: TextRange,
    pub related: Vec<Related>,
    pub fixes: Vec<Fix>,
    pub evidence: Vec<EvidenceItem>,
    /// What the finding was read from: the code, or a saved output or log line.
    pub origin: Origin,
    /// What the problem does to a run, for findings of an advisory.
    pub effect: Option<crate::vocabulary::Effect>,
}

/// What a finding was read from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// The code, its install commands or the versions around it.
    #[default]
    Code,
    /// A saved output or a log line the last run printed.
    Output,
}

impl Finding {
    /// What identifies the problem a finding is about, wherever it is reported: its code and
    /// the versions it rests on.
    pub fn problem(&self) -> (String, Vec<(String, String)>) {
        let mut versions: Vec<(String, String)> = self
            .evidence
            .iter()
            .map(|e| (e.package.clone(), e.version.clone()))
            .collect();
        versions.sort();
        (self.code.clone(), versions)
    }

    pub fn new(code: &str, severity: Severity, message: String, range: TextRange) -> Finding {
        Finding {
            code: code.to_string(),
            severity,
            message,
            range,
            related: vec![],
            fixes: vec![],
            evidence: vec![],
            origin: Origin::Code,
            effect: None,
        }
    }
}

/// Codes tunelint uses for problems with the input itself rather than with versions.
pub mod codes {
    /// A file that cannot be read as what its name says (not JSON, not nbformat 4, bad TOML).
    pub const MALFORMED_FILE: &str = "TL001";
    /// Broken package metadata in the environment.
    pub const BROKEN_METADATA: &str = "TL002";
    /// A file skipped for its size.
    pub const FILE_TOO_LARGE: &str = "TL003";
    /// A suppression comment naming a code tunelint does not have.
    pub const UNKNOWN_SUPPRESSION: &str = "TL004";
    /// A suppression comment naming a retired code, which now means another advisory.
    pub const RETIRED_CODE: &str = "TL005";
    /// An installed distribution's `Requires-Dist` that the installed versions do not meet.
    pub const UNMET_REQUIREMENT: &str = "TL006";
    /// A suppression comment that suppresses nothing in this run.
    pub const UNUSED_SUPPRESSION: &str = "TL007";
    /// An install line whose unquoted `>` or `<` the shell takes for a redirection.
    pub const CUT_BY_REDIRECTION: &str = "TL008";

    /// Each code with what it means, for rule lists (SARIF, `tunelint rule`).
    pub const DESCRIPTIONS: &[(&str, &str)] = &[
        (MALFORMED_FILE, "A file that cannot be read as what its name says (not JSON, not nbformat 4, invalid TOML, an unreadable requirement)"),
        (BROKEN_METADATA, "Broken package metadata in the environment"),
        (FILE_TOO_LARGE, "A file skipped because of its size"),
        (UNKNOWN_SUPPRESSION, "A suppression comment naming a code tunelint does not have"),
        (RETIRED_CODE, "A suppression comment naming a retired code, which still works as an alias of the advisory it was merged into"),
        (UNMET_REQUIREMENT, "An installed distribution requires a version that is not installed (what `pip check` reports); a warning when the fine-tuning stack is involved"),
        (UNUSED_SUPPRESSION, "A suppression comment that suppresses nothing in this run (with these versions), shown faded in the editor; advice"),
        (CUT_BY_REDIRECTION, "An install command with an unquoted version comparison (`pip install transformers>=4.51.3`): the shell takes `>` or `<` for a redirection, so the version bound is never applied"),
    ];
}
