//! Evaluating an advisory's condition trees (`when`) against the evidence: the versions in
//! play, the code's usage, the environment's Python and the platform facts saved outputs carry
//! (the Unsloth banner's GPU, compute capability, CUDA toolkit and platform).
//!
//! Evidence can be missing, so a condition is true, false or unknown. `all` is false when one
//! branch is false, `any` true when one is true, `not` keeps unknown unknown; an advisory or a
//! case applies only when its condition is true, so an unknown fact never makes tunelint claim
//! a problem.

use super::usage::Usage;
use crate::evidence::VersionFact;
use crate::kb::Condition;
use pep440_rs::{Version, VersionSpecifiers};
use std::collections::BTreeMap;
use std::str::FromStr;

/// What a condition is evaluated against.
pub(super) struct ConditionFacts<'a> {
    /// The versions of this match, then the next run's, then the last run's, in that order.
    pub versions: [&'a BTreeMap<String, VersionFact>; 3],
    pub usage: &'a Usage<'a>,
    pub python: Option<&'a str>,
}

/// Three-valued truth: evidence can be missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    /// False when one is false, true when all are, unknown otherwise.
    fn all(items: impl Iterator<Item = Truth>) -> Truth {
        Truth::any(items.map(Truth::not)).not()
    }

    /// True when one is true, false when all are, unknown otherwise.
    fn any(items: impl Iterator<Item = Truth>) -> Truth {
        let mut out = Truth::False;
        for t in items {
            match t {
                Truth::True => return Truth::True,
                Truth::Unknown => out = Truth::Unknown,
                Truth::False => {}
            }
        }
        out
    }

    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }

    fn from(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }
}

impl ConditionFacts<'_> {
    fn fact(&self, package: &str) -> Option<&VersionFact> {
        self.versions.iter().find_map(|m| m.get(package))
    }

    /// A fact's text (a GPU's name, a platform), when the evidence has it.
    fn written(&self, package: &str) -> Option<&str> {
        self.fact(package).map(|f| f.written.as_str())
    }

    /// Whether the package's version is in `range`. An install that gets the newest release on
    /// the day it runs is in a range of lower bounds alone (`>=2025.2.6`) when the newest
    /// release known today is: every later one is too. Anything else about it is unknown.
    pub fn version_in(&self, package: &str, range: &VersionSpecifiers) -> Truth {
        let Some(fact) = self.fact(package) else {
            return Truth::Unknown;
        };
        if let Some(v) = &fact.version {
            return Truth::from(range.contains(v));
        }
        if !fact.newest || !super::matching::lower_bounds_only(range) {
            return Truth::Unknown;
        }
        match super::matching::newest_floor(fact) {
            Some(r) if range.contains(&r.version) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    /// Whether an optional condition allows a match: no condition does, and a condition only
    /// when it is true.
    pub fn allow(&self, condition: Option<&Condition>) -> bool {
        condition.is_none_or(|c| self.eval(c) == Truth::True)
    }

    pub fn eval(&self, condition: &Condition) -> Truth {
        match condition {
            Condition::All(items) => Truth::all(items.iter().map(|c| self.eval(c))),
            Condition::Any(items) => Truth::any(items.iter().map(|c| self.eval(c))),
            Condition::Not(inner) => self.eval(inner).not(),
            Condition::Versions(ranges) => {
                Truth::all(ranges.iter().map(|(p, r)| self.version_in(p, r)))
            }
            Condition::Code(matcher) => Truth::from(self.usage.finds(matcher)),
            Condition::Python(range) => match self.python.and_then(|p| Version::from_str(p).ok()) {
                Some(v) => Truth::from(range.contains(&v)),
                None => Truth::Unknown,
            },
            Condition::Cuda(range) => self.version_in("cuda-toolkit", range),
            Condition::ComputeCapability(range) => self.version_in("cuda-capability", range),
            Condition::TorchBuild(pattern) => {
                match self.fact("torch").and_then(|f| f.version.as_ref()) {
                    Some(v) if !v.local().is_empty() => {
                        let label = v.to_string();
                        let local = label.split_once('+').map_or("", |(_, l)| l);
                        Truth::from(pattern.is_match(local))
                    }
                    // A torch without a local label is the PyPI build: CUDA on Linux x86_64,
                    // CPU elsewhere; which one is not known from the version alone.
                    Some(_) | None => Truth::Unknown,
                }
            }
            Condition::Gpu(pattern) => match self.written("gpu") {
                Some(name) => Truth::from(pattern.is_match(name)),
                None => Truth::Unknown,
            },
            Condition::Platform(pattern) => match self.written("platform") {
                Some(name) => Truth::from(pattern.is_match(name)),
                None => Truth::Unknown,
            },
        }
    }
}
