//! Words the knowledge base and the checker share: how bad a finding is ([`Severity`]) and how
//! safe a fix is to apply without a person looking ([`Applicability`]). They live here, below
//! both, so that the knowledge base can name them without depending on the code that reads it.

/// How bad a finding is: error = the run fails, or trains wrongly without saying so; warning =
/// it runs but slower, with more memory, or fails only in some configurations; info = advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// How far a fix may be applied automatically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// A suggestion only: never applied by `--fix`.
    DisplayOnly,
    /// Applied with `--fix --unsafe-fixes`: it changes what gets installed or run.
    Unsafe,
    /// Applied by `--fix` and fix-all: it keeps the program's meaning.
    Safe,
}

impl Applicability {
    pub fn parse(s: &str) -> Option<Applicability> {
        match s {
            "safe" => Some(Applicability::Safe),
            "unsafe" => Some(Applicability::Unsafe),
            "display-only" => Some(Applicability::DisplayOnly),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}
