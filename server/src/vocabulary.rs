//! Words the knowledge base and the checker share: what a problem does to a run ([`Effect`]),
//! how bad a finding is ([`Severity`]) and how safe a fix is to apply without a person looking
//! ([`Applicability`]). They live here, below
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

/// What a problem does to a run: the severity policy's input. An advisory declares its effect,
/// and its severity follows from it ([`Effect::severity`]); a lower severity needs a reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// The run stops with an error (an import, a call, pip) whenever the conditions hold.
    Fails,
    /// The run finishes but trains or generates wrongly, and does not say so.
    TrainsWrongly,
    /// It runs correctly, slower.
    Slower,
    /// It runs correctly with more memory (and may run out of it).
    MoreMemory,
    /// It fails only in configurations the conditions do not establish (a GPU generation, a
    /// model family, a code path not always taken), or prints an alarming but harmless error.
    FailsSometimes,
    /// It works today (a warning, a shim) and breaks on a later upgrade.
    Deprecated,
    /// Good practice; nothing is broken by itself.
    Advice,
    /// Text that does nothing (a suppression comment no finding needs): it can go.
    Unnecessary,
}

impl Effect {
    pub const ALL: [Effect; 8] = [
        Effect::Fails,
        Effect::TrainsWrongly,
        Effect::Slower,
        Effect::MoreMemory,
        Effect::FailsSometimes,
        Effect::Deprecated,
        Effect::Advice,
        Effect::Unnecessary,
    ];

    pub fn parse(s: &str) -> Option<Effect> {
        Effect::ALL.into_iter().find(|e| e.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Fails => "fails",
            Effect::TrainsWrongly => "trains-wrongly",
            Effect::Slower => "slower",
            Effect::MoreMemory => "more-memory",
            Effect::FailsSometimes => "fails-sometimes",
            Effect::Deprecated => "deprecated",
            Effect::Advice => "advice",
            Effect::Unnecessary => "unnecessary",
        }
    }

    /// What happens, as a phrase after "the run": "fails", "runs slower".
    pub fn describe(self) -> &'static str {
        match self {
            Effect::Fails => "fails",
            Effect::TrainsWrongly => "trains or generates wrongly without saying so",
            Effect::Slower => "runs slower",
            Effect::MoreMemory => "uses more memory",
            Effect::FailsSometimes => "fails in some configurations",
            Effect::Deprecated => "works today and breaks on a later upgrade",
            Effect::Advice => "is not broken by this; it is advice",
            Effect::Unnecessary => "is not changed by this text, which can go",
        }
    }

    /// The severity the policy gives this effect: error = the run fails or trains wrongly
    /// without saying so; warning = slower, more memory, or fails only in some
    /// configurations; info = advice.
    pub fn severity(self) -> Severity {
        match self {
            Effect::Fails | Effect::TrainsWrongly => Severity::Error,
            Effect::Slower | Effect::MoreMemory | Effect::FailsSometimes => Severity::Warning,
            Effect::Deprecated | Effect::Advice | Effect::Unnecessary => Severity::Info,
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
