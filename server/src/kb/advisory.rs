//! An advisory, parsed and checked: ranges compiled to PEP 440 specifiers, patterns to regexes.

use super::pattern::Pattern;
use super::schema::{AdvisoryToml, BenignToml, ExampleSpec, FixToml, MatcherToml};
use crate::requirement::normalize_name;
use crate::vocabulary::{Applicability, Effect, Severity};
use pep440_rs::VersionSpecifiers;
use std::str::FromStr;

/// A qualified-name pattern such as `unsloth.*.get_peft_model`: dotted segments, where `*`
/// matches any run of characters inside one segment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallPattern {
    pub written: String,
    segments: Vec<String>,
    /// Whether the last segment has no `*` (asked for every call a pattern is tried on).
    literal_last: bool,
}

impl CallPattern {
    pub fn new(written: &str) -> Result<CallPattern, String> {
        if written.is_empty() || written.split('.').any(str::is_empty) {
            return Err(format!("`{written}` is not a dotted name pattern"));
        }
        let segments: Vec<String> = written.split('.').map(str::to_string).collect();
        Ok(CallPattern {
            written: written.to_string(),
            literal_last: segments.last().is_some_and(|s| !s.contains('*')),
            segments,
        })
    }

    /// The last segment as written (`*Trainer` in `trl.*Trainer`).
    pub fn last_segment(&self) -> &str {
        self.segments.last().map_or("", String::as_str)
    }

    /// Whether one segment of a qualified name matches one segment of a pattern.
    pub fn segment_matches(pattern: &str, text: &str) -> bool {
        glob_segment(pattern, text)
    }

    /// The last segment when it has no `*`: a qualified name the pattern matches ends with it.
    pub fn last_literal(&self) -> Option<&str> {
        self.segments
            .last()
            .map(String::as_str)
            .filter(|_| self.literal_last)
    }

    pub fn matches(&self, qualified: &str) -> bool {
        // Most names differ in their last segment: reject those without splitting.
        if let Some(last) = self.last_literal() {
            let Some(head) = qualified.strip_suffix(last) else {
                return false;
            };
            if !(head.is_empty() || head.ends_with('.')) {
                return false;
            }
        }
        let mut parts = qualified.split('.');
        for seg in &self.segments {
            match parts.next() {
                Some(p) if glob_segment(seg, p) => {}
                _ => return false,
            }
        }
        parts.next().is_none()
    }
}

/// `*` matches any characters; everything else literally. Tried on every call a pattern may
/// match, so it allocates nothing.
fn glob_segment(pattern: &str, text: &str) -> bool {
    let Some((first, after_first)) = pattern.split_once('*') else {
        return pattern == text;
    };
    let (middle, last) = after_first.rsplit_once('*').unwrap_or(("", after_first));
    if text.len() < first.len() + last.len() || !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for piece in middle.split('*').filter(|p| !p.is_empty()) {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// What in the code an advisory looks for. Equal matchers of different advisories are one
/// shared value in a loaded knowledge base ([`SharedMatcher`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Matcher {
    /// An import of `module` or a submodule; with `after`, only when it follows an import of one
    /// of those modules; with `before`, only when it precedes every import of those modules
    /// (and one of them is imported).
    Import {
        module: String,
        after: Vec<String>,
        before: Vec<String>,
    },
    /// A call; with `before`, only one that runs before a call of one of those patterns
    /// (`for_inference` before `get_peft_model`).
    Call {
        call: CallPattern,
        before: Vec<CallPattern>,
    },
    /// A keyword argument of a call, optionally only with one of some literal values.
    Keyword {
        call: CallPattern,
        name: String,
        values: Option<Vec<String>>,
    },
    /// A model name passed to a loader.
    Model { pattern: Pattern },
    /// One of these packages installed by bare name (no version) in an install command, only
    /// in `--no-deps` commands when `no_deps`.
    UnpinnedInstall {
        packages: Vec<String>,
        no_deps: bool,
    },
    /// A package installed in a notebook cell that runs after a cell that imported it.
    InstalledAfterImport,
    /// A name a release removed: its import (which fails at import time), or else its calls
    /// and the classes that subclass it.
    Removed { name: CallPattern },
}

/// A matcher as advisories hold it. An analysis keeps what each matcher found by its address,
/// so the 83 advisories that flag `import unsloth` ask the document once.
pub type SharedMatcher = std::sync::Arc<Matcher>;

#[derive(Clone, Debug)]
pub struct GitPlacement {
    pub package: String,
    pub boundary: VersionSpecifiers,
    pub affected: Vec<String>,
    pub fixed: Vec<String>,
    pub fix_commit: String,
    pub unplaced: Severity,
}

#[derive(Clone, Debug)]
pub struct Case {
    pub effect: Effect,
    pub severity: Severity,
    /// The titles of the fixes offered in this case; `None` offers every fix.
    pub fixes: Option<Vec<String>>,
    pub when: Option<Condition>,
    pub versions: Vec<(String, VersionSpecifiers)>,
    pub require: Vec<SharedMatcher>,
    pub note: Option<String>,
}

/// A condition tree over the evidence: combinators and leaves, a closed set.
#[derive(Clone, Debug)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// Every package's version is known and in its range.
    Versions(Vec<(String, VersionSpecifiers)>),
    /// The code uses this.
    Code(SharedMatcher),
    Python(VersionSpecifiers),
    Cuda(VersionSpecifiers),
    ComputeCapability(VersionSpecifiers),
    TorchBuild(Pattern),
    Gpu(Pattern),
    Platform(Pattern),
}

impl Condition {
    fn for_each_matcher_mut(&mut self, f: &mut dyn FnMut(&mut SharedMatcher)) {
        match self {
            Condition::All(list) | Condition::Any(list) => {
                list.iter_mut().for_each(|c| c.for_each_matcher_mut(f))
            }
            Condition::Not(c) => c.for_each_matcher_mut(f),
            Condition::Code(m) => f(m),
            Condition::Versions(_)
            | Condition::Python(_)
            | Condition::Cuda(_)
            | Condition::ComputeCapability(_)
            | Condition::TorchBuild(_)
            | Condition::Gpu(_)
            | Condition::Platform(_) => {}
        }
    }
}

impl Matcher {
    /// Whether what this matcher finds depends on the install commands, which differ between a
    /// notebook's install paths (`if`/`else` arms); every other matcher reads only the code.
    pub fn reads_install_lines(&self) -> bool {
        matches!(
            self,
            Matcher::UnpinnedInstall { .. } | Matcher::InstalledAfterImport
        )
    }

    /// The last segment (`SFTTrainer`, `*Config`) that the qualified name of everything this
    /// matcher finds ends with (the callee, the import or the base class), for matchers that
    /// find only named code: an analysis can tell that none of them finds anything from the
    /// names the document uses, without searching.
    pub fn name_segment(&self) -> Option<&str> {
        match self {
            Matcher::Call { call, .. } | Matcher::Keyword { call, .. } => Some(call.last_segment()),
            Matcher::Removed { name } => Some(name.last_segment()),
            _ => None,
        }
    }

    /// The matcher as a person reads it in `tunelint rule`.
    pub fn describe(&self) -> String {
        match self {
            Matcher::Import { module, .. } => format!("imports {module}"),
            Matcher::Call { call, before } if before.is_empty() => {
                format!("calls {}", call.written)
            }
            Matcher::Call { call, before } => format!(
                "calls {} before {}",
                call.written,
                before
                    .iter()
                    .map(|b| b.written.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            Matcher::Keyword { call, name, .. } => {
                format!("passes `{name}=` to {}", call.written)
            }
            Matcher::Model { pattern } => format!("loads a model matching /{}/", pattern.as_str()),
            Matcher::UnpinnedInstall { packages, .. } => {
                format!("installs {} without a version", packages.join(", "))
            }
            Matcher::InstalledAfterImport => "installs a package after importing it".into(),
            Matcher::Removed { name } => format!("uses the removed {}", name.written),
        }
    }
}

impl std::fmt::Display for Condition {
    /// `any(transformers <4.37.0, all(unsloth >=2025.2.2, the code loads a model matching /x/))`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let join = |items: &[Condition]| {
            items
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Condition::All(items) => write!(f, "all({})", join(items)),
            Condition::Any(items) => write!(f, "any({})", join(items)),
            Condition::Not(inner) => write!(f, "not({inner})"),
            Condition::Versions(ranges) => {
                let parts: Vec<String> = ranges.iter().map(|(p, r)| format!("{p} {r}")).collect();
                write!(f, "{}", parts.join(" and "))
            }
            Condition::Code(m) => write!(f, "the code {}", m.describe()),
            Condition::Python(r) => write!(f, "Python {r}"),
            Condition::Cuda(r) => write!(f, "CUDA toolkit {r}"),
            Condition::ComputeCapability(r) => write!(f, "compute capability {r}"),
            Condition::TorchBuild(p) => write!(f, "a torch build matching /{}/", p.as_str()),
            Condition::Gpu(p) => write!(f, "a GPU matching /{}/", p.as_str()),
            Condition::Platform(p) => write!(f, "a platform matching /{}/", p.as_str()),
        }
    }
}

impl Condition {
    fn compile(raw: &super::schema::ConditionToml) -> Result<Condition, String> {
        let set = [
            raw.all.is_some(),
            raw.any.is_some(),
            raw.not.is_some(),
            raw.versions.is_some(),
            raw.code.is_some(),
            raw.python.is_some(),
            raw.cuda.is_some(),
            raw.compute_capability.is_some(),
            raw.torch_build.is_some(),
            raw.gpu.is_some(),
            raw.platform.is_some(),
        ];
        if set.iter().filter(|s| **s).count() != 1 {
            return Err("a condition needs exactly one of `all`, `any`, `not`, `versions`, `code`, `python`, `cuda`, `compute-capability`, `torch-build`, `gpu`, `platform`".into());
        }
        let list = |v: &Vec<super::schema::ConditionToml>| {
            v.iter()
                .map(Condition::compile)
                .collect::<Result<Vec<_>, _>>()
        };
        let regex = |s: &str| Pattern::new(s).map_err(|e| format!("condition pattern: {e}"));
        Ok(if let Some(v) = &raw.all {
            Condition::All(list(v)?)
        } else if let Some(v) = &raw.any {
            Condition::Any(list(v)?)
        } else if let Some(v) = &raw.not {
            Condition::Not(Box::new(Condition::compile(v)?))
        } else if let Some(v) = &raw.versions {
            Condition::Versions(compile_versions(v)?)
        } else if let Some(m) = &raw.code {
            Condition::Code(compile_matcher(m)?)
        } else if let Some(s) = &raw.python {
            Condition::Python(specifiers(s)?)
        } else if let Some(s) = &raw.cuda {
            Condition::Cuda(specifiers(s)?)
        } else if let Some(s) = &raw.compute_capability {
            Condition::ComputeCapability(specifiers(s)?)
        } else if let Some(s) = &raw.torch_build {
            Condition::TorchBuild(regex(s)?)
        } else if let Some(s) = &raw.gpu {
            Condition::Gpu(regex(s)?)
        } else {
            Condition::Platform(regex(raw.platform.as_deref().unwrap_or_default())?)
        })
    }
}

#[derive(Clone, Debug)]
pub enum BenignKind {
    Keyword {
        name: String,
        fast: Vec<String>,
        includes: Vec<String>,
    },
    Model(Pattern),
    Output(Pattern),
}

#[derive(Clone, Debug)]
pub struct Benign {
    pub kind: BenignKind,
    pub reason: String,
}

#[derive(Clone, Debug)]
pub struct Symptom {
    pub pattern: Pattern,
    pub versions: Vec<(String, VersionSpecifiers)>,
    pub message: String,
    pub severity: Option<Severity>,
    /// A condition that must hold for a matching line to count.
    pub when: Option<Condition>,
    pub inspect: Option<CallPattern>,
    pub benign: Vec<Benign>,
    /// A pattern the previous non-blank line of the same output must match; its named groups
    /// join the line's own.
    pub after_line: Option<Pattern>,
    /// Named groups each holding a comma-separated list of packages: the line counts only when
    /// one of them names a package of the knowledge base's stack or one the document imports,
    /// and `{group}` in the message names those.
    pub listed_packages: Vec<String>,
    /// Named groups holding requirements that a later install in the same run can meet, which
    /// takes the line back.
    pub resolved_by: Vec<String>,
}

/// The closed set of fix kinds an advisory can offer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixKind {
    /// Rewrite the requirement where the package is declared.
    Pin { package: String, specifier: String },
    /// Insert a code cell before the first import of a module (notebooks only).
    InsertCell {
        before_import: String,
        source: String,
    },
    /// A command to run in the environment's terminal.
    RunCommand { command: String },
    /// Restart the kernel or runtime.
    RestartRuntime,
    /// Set a keyword argument of a call to another value (written as Python source).
    SetKeyword {
        call: String,
        name: String,
        value: String,
    },
    /// Rename a keyword argument of a call.
    RenameKeyword {
        call: String,
        from: String,
        to: String,
    },
    /// Rename an imported name.
    RenameImport { from: String, to: String },
    /// Pin an unpinned install to the version the evidence shows (installed, or last run).
    PinToEvidence,
    /// Pin a table's key package to the newest release that works with the other's version.
    PinTableMatch,
    /// Move `import <module>` before every other import.
    MoveImportFirst { module: String },
}

#[derive(Clone, Debug)]
pub struct FixTemplate {
    pub kind: FixKind,
    pub title: String,
    pub applicability: Applicability,
}

/// One advisory, ready to match.
#[derive(Clone, Debug)]
pub struct Advisory {
    pub id: String,
    /// Where each boundary comes from, in file order.
    pub provenance: Vec<Provenance>,
    /// The compatibility table the advisory checks, by name.
    pub table: Option<String>,
    /// Retired codes that now mean this advisory.
    pub aliases: Vec<String>,
    /// A condition tree that must hold, beside `versions`.
    pub when: Option<Condition>,
    /// `(package, on)`: the advisory checks `package`'s own `Requires-Dist` on `on`.
    pub requires_dist: Option<(String, String)>,
    pub title: String,
    pub effect: Effect,
    pub severity: Severity,
    /// Why the severity is lower than the effect's, when it is.
    pub lowered: Option<String>,
    pub summary: String,
    pub date: Option<String>,
    pub references: Vec<String>,
    pub versions: Vec<(String, VersionSpecifiers)>,
    pub git: Vec<GitPlacement>,
    pub cases: Vec<Case>,
    pub flag: Vec<SharedMatcher>,
    /// The distinct name segments of `flag`'s matchers when every one of them finds only named
    /// code ([`Matcher::name_segment`]); `None` when one finds something else.
    pub flag_segments: Option<Vec<String>>,
    pub flag_declarations: bool,
    pub require: Vec<SharedMatcher>,
    pub symptoms: Vec<Symptom>,
    pub fixes: Vec<FixTemplate>,
    pub examples: Vec<ExampleSpec>,
    /// The Markdown explanation after the front matter.
    pub body: String,
}

/// The distinct name segments of `flag`, when each of its matchers has one.
fn flag_segments(flag: &[SharedMatcher]) -> Option<Vec<String>> {
    let mut segments: Vec<String> = Vec::new();
    for m in flag {
        let segment = m.name_segment()?;
        if !segments.iter().any(|s| s == segment) {
            segments.push(segment.to_string());
        }
    }
    Some(segments)
}

impl Advisory {
    /// Calls `f` on every matcher the advisory holds: in `flag`, `require`, its cases and
    /// every condition (a symptom's too).
    pub fn for_each_matcher_mut(&mut self, f: &mut dyn FnMut(&mut SharedMatcher)) {
        self.flag.iter_mut().for_each(&mut *f);
        self.require.iter_mut().for_each(&mut *f);
        let conditions = self
            .when
            .iter_mut()
            .chain(self.symptoms.iter_mut().filter_map(|s| s.when.as_mut()));
        let mut case_conditions = Vec::new();
        for case in &mut self.cases {
            case.require.iter_mut().for_each(&mut *f);
            case_conditions.extend(case.when.as_mut());
        }
        for condition in conditions.chain(case_conditions) {
            condition.for_each_matcher_mut(f);
        }
    }

    /// Parses an advisory file: a ```` ```toml ```` front matter block, then Markdown.
    pub fn parse(text: &str) -> Result<Advisory, String> {
        Advisory::parse_checked(text, true)
    }

    /// Parses an embedded advisory, which may come without its examples (the runtime copy
    /// build.rs makes); the whole file is checked by the test suite.
    /// An embedded advisory: a whole file (```toml front matter, then the body) or the
    /// runtime form the build writes (the front matter as one line of JSON, then the body).
    pub(super) fn parse_embedded(text: &str) -> Result<Advisory, String> {
        if !text.starts_with('{') {
            return Advisory::parse_checked(text, false);
        }
        let (json, rest) = text.split_once('\n').unwrap_or((text, ""));
        let raw: AdvisoryToml = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let body = rest.trim_start_matches("\n```").trim().to_string();
        Advisory::compile(raw, body, false).map_err(|e| e.message)
    }

    fn parse_checked(text: &str, needs_examples: bool) -> Result<Advisory, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let rest = text
            .strip_prefix("```toml\n")
            .ok_or("the file must start with a ```toml front matter block")?;
        let end = rest
            .find("\n```\n")
            .or_else(|| rest.strip_suffix("\n```").map(str::len))
            .ok_or("the ```toml block is not closed")?;
        let front = &rest[..end];
        let body = rest[end..].trim_start_matches("\n```").trim().to_string();
        // Lines are counted in the file: the front matter starts on its second line.
        let raw: AdvisoryToml = toml::from_str(front).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                front[..s.start.min(front.len())].matches('\n').count() + 2
            });
            format!("line {line}: {}", e.message().trim())
        })?;
        if raw.schema != FORMAT_VERSION {
            return Err(format!(
                "line {}: `schema = {}`: this tunelint reads advisory format {FORMAT_VERSION} only",
                key_line(front, "schema"),
                raw.schema
            ));
        }
        Advisory::compile(raw, body, needs_examples).map_err(|e| match e.key {
            Some(key) => format!("line {}: {}", key_line(front, key), e.message),
            None => e.message,
        })
    }

    fn compile(
        raw: AdvisoryToml,
        body: String,
        needs_examples: bool,
    ) -> Result<Advisory, CompileError> {
        let id_ok = raw.id.len() >= 4
            && raw
                .id
                .chars()
                .take_while(|c| c.is_ascii_uppercase())
                .count()
                >= 2
            && raw
                .id
                .chars()
                .skip_while(|c| c.is_ascii_uppercase())
                .all(|c| c.is_ascii_digit());
        if !id_ok {
            return Err(CompileError {
                key: Some("id"),
                message: format!(
                    "id `{}` must be upper-case letters followed by digits, like UNS001",
                    raw.id
                ),
            });
        }
        let id = raw.id.clone();
        let ctx = |key: &'static str, what: &str| CompileError {
            key: Some(key),
            message: format!("{id}: {what}"),
        };
        let effect = Effect::parse(&raw.effect)
            .ok_or_else(|| ctx("effect", &format!("unknown effect `{}`", raw.effect)))?;
        let severity = Severity::parse(&raw.severity)
            .ok_or_else(|| ctx("severity", &format!("unknown severity `{}`", raw.severity)))?;
        severity_follows_policy(effect, severity, raw.lowered.as_deref())
            .map_err(|e| ctx("severity", &e))?;
        let versions = compile_versions(&raw.versions).map_err(|e| ctx("versions", &e))?;
        let mut git = Vec::new();
        for (package, g) in &raw.git {
            let package = normalize_name(package);
            if !versions.iter().any(|(p, _)| *p == package) {
                return Err(ctx(
                    "git",
                    &format!("[git.{package}] needs a `versions` entry for {package}"),
                ));
            }
            git.push(GitPlacement {
                package,
                boundary: specifiers(&g.boundary).map_err(|e| ctx("git", &e))?,
                affected: g.affected.clone(),
                fixed: g.fixed.clone(),
                fix_commit: g.fix_commit.clone(),
                unplaced: Severity::parse(&g.unplaced)
                    .ok_or_else(|| ctx("git", "unknown `unplaced` severity"))?,
            });
        }
        let mut cases = Vec::new();
        for c in &raw.cases {
            let case_effect = match &c.effect {
                Some(e) => Effect::parse(e)
                    .ok_or_else(|| ctx("cases", &format!("unknown effect `{e}`")))?,
                None => effect,
            };
            let case_severity = Severity::parse(&c.severity)
                .ok_or_else(|| ctx("cases", &format!("unknown severity `{}`", c.severity)))?;
            severity_follows_policy(case_effect, case_severity, c.lowered.as_deref())
                .map_err(|e| ctx("cases", &e))?;
            cases.push(Case {
                effect: case_effect,
                severity: case_severity,
                versions: compile_versions(&c.versions).map_err(|e| ctx("cases", &e))?,
                require: c
                    .require
                    .iter()
                    .map(compile_matcher)
                    .collect::<Result<_, _>>()
                    .map_err(|e| ctx("cases", &e))?,
                when: c
                    .when
                    .as_ref()
                    .map(Condition::compile)
                    .transpose()
                    .map_err(|e| ctx("cases", &e))?,
                note: c.note.clone(),
                fixes: c.fixes.clone(),
            });
        }
        let flag = raw
            .flag
            .iter()
            .map(compile_matcher)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ctx("flag", &e))?;
        let require = raw
            .require
            .iter()
            .map(compile_matcher)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ctx("require", &e))?;
        let mut symptoms = Vec::new();
        for s in &raw.symptoms {
            let pattern = Pattern::new(&s.pattern)
                .map_err(|e| ctx("symptoms", &format!("symptom pattern: {e}")))?;
            let versions = compile_versions(&s.versions).map_err(|e| ctx("symptoms", &e))?;
            for (package, _) in &versions {
                let group = package.replace('-', "_");
                if !pattern.group_names().contains(&group) {
                    return Err(ctx("symptoms", &format!("symptom constrains {package} but its pattern has no `(?P<{group}>...)` group")));
                }
            }
            let after_line = s
                .after_line
                .as_deref()
                .map(Pattern::new)
                .transpose()
                .map_err(|e| ctx("symptoms", &format!("after-line pattern: {e}")))?;
            for group in s.listed_packages.iter().chain(&s.resolved_by) {
                let known = pattern.group_names().contains(group)
                    || after_line
                        .as_ref()
                        .is_some_and(|p| p.group_names().contains(group));
                if !known {
                    return Err(ctx("symptoms", &format!("listed-packages or resolved-by names `{group}`, which neither the pattern nor after-line captures")));
                }
            }
            symptoms.push(Symptom {
                after_line,
                listed_packages: s.listed_packages.clone(),
                resolved_by: s.resolved_by.clone(),
                pattern,
                versions,
                message: s.message.clone(),
                severity: s
                    .severity
                    .as_deref()
                    .map(|v| {
                        Severity::parse(v)
                            .ok_or_else(|| ctx("symptoms", "unknown symptom severity"))
                    })
                    .transpose()?,
                when: s
                    .when
                    .as_ref()
                    .map(Condition::compile)
                    .transpose()
                    .map_err(|e| ctx("symptoms", &e))?,
                inspect: s
                    .inspect
                    .as_deref()
                    .map(CallPattern::new)
                    .transpose()
                    .map_err(|e| ctx("symptoms", &e))?,
                benign: s
                    .benign
                    .iter()
                    .map(compile_benign)
                    .collect::<Result<_, _>>()
                    .map_err(|e| ctx("symptoms", &e))?,
            });
        }
        let fixes = raw
            .fixes
            .iter()
            .map(compile_fix)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ctx("fixes", &e))?;
        if needs_examples
            && (!raw
                .examples
                .iter()
                .any(|e| e.expect == super::Expectation::Trigger)
                || !raw
                    .examples
                    .iter()
                    .any(|e| e.expect == super::Expectation::Clean))
        {
            return Err(ctx(
                "examples",
                "needs at least one `trigger` and one `clean` example",
            ));
        }
        if versions.is_empty()
            && raw.table.is_none()
            && raw.requires_dist.is_none()
            && symptoms.is_empty()
            && require.is_empty()
            && flag.is_empty()
        {
            return Err(ctx(
                "versions",
                "matches nothing: give `versions`, `symptoms` or usage matchers",
            ));
        }
        let when = raw
            .when
            .as_ref()
            .map(Condition::compile)
            .transpose()
            .map_err(|e| ctx("when", &e))?;
        if let Some(moving) = raw
            .references
            .iter()
            .find(|r| needs_examples && is_unpinned_link(r))
        {
            return Err(ctx(
                "references",
                &format!("reference `{moving}` points at a moving branch; cite a commit, tag, release, issue or pull request"),
            ));
        }
        // (The runtime copy carries no examples, so this costs it nothing.)
        for example in &raw.examples {
            let Some(report) = example.report.as_deref() else {
                continue;
            };
            if !is_report_link(report) {
                return Err(ctx(
                    "examples",
                    &format!("example `{}`: `report = \"{report}\"` is not an issue, pull request, discussion or forum thread", example.name),
                ));
            }
            if !raw.references.iter().any(|r| r == report) {
                return Err(ctx(
                    "examples",
                    &format!(
                        "example `{}`: its report `{report}` is not in `references`",
                        example.name
                    ),
                ));
            }
        }
        let provenance = raw
            .provenance
            .iter()
            .map(Provenance::compile)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ctx("provenance", &e))?;
        for case in &cases {
            for title in case.fixes.iter().flatten() {
                if !fixes.iter().any(|f| &f.title == title) {
                    return Err(ctx(
                        "cases",
                        &format!(
                            "a case offers the fix `{title}`, which the advisory does not have"
                        ),
                    ));
                }
            }
        }
        if raw.table.is_none() && fixes.iter().any(|f| f.kind == FixKind::PinTableMatch) {
            return Err(ctx(
                "fixes",
                "a `pin-table-match` fix needs the advisory's `table`",
            ));
        }
        if let Some(alias) = raw.aliases.iter().find(|a| {
            a.len() < 4
                || !a
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                || **a == raw.id
        }) {
            return Err(ctx(
                "aliases",
                &format!("alias `{alias}` must be another code, like XF002"),
            ));
        }
        let advisory = Advisory {
            provenance,
            table: raw.table,
            aliases: raw.aliases,
            when,
            requires_dist: raw
                .requires_dist
                .map(|r| (normalize_name(&r.package), normalize_name(&r.on))),
            id: raw.id,
            title: raw.title,
            effect,
            severity,
            lowered: raw.lowered,
            summary: raw.summary,
            date: raw.date,
            references: raw.references,
            versions,
            git,
            cases,
            flag_segments: flag_segments(&flag),
            flag,
            flag_declarations: raw.flag_declarations,
            require,
            symptoms,
            fixes,
            examples: raw.examples,
            body,
        };
        // A file that is not the embedded runtime copy (which the test suite checks whole) has
        // the syntax of every pattern checked now, so a typo fails at load, not at first use.
        if needs_examples {
            for (key, what, pattern) in advisory.patterns() {
                pattern
                    .check()
                    .map_err(|e| ctx(key, &format!("{what} `{}`: {e}", pattern.as_str())))?;
            }
        }
        Ok(advisory)
    }

    /// The public reports this advisory's examples are trimmed from, each once, in file order.
    pub fn reports(&self) -> Vec<&str> {
        let mut seen = Vec::new();
        for report in self.examples.iter().filter_map(|e| e.report.as_deref()) {
            if !seen.contains(&report) {
                seen.push(report);
            }
        }
        seen
    }

    /// Every regex of the advisory, with the key it sits under and what it is, for checking.
    fn patterns(&self) -> Vec<(&'static str, &'static str, &Pattern)> {
        fn from_matcher<'a>(
            key: &'static str,
            m: &'a Matcher,
            out: &mut Vec<(&'static str, &'static str, &'a Pattern)>,
        ) {
            if let Matcher::Model { pattern } = m {
                out.push((key, "model pattern", pattern));
            }
        }
        fn from_condition<'a>(
            key: &'static str,
            c: &'a Condition,
            out: &mut Vec<(&'static str, &'static str, &'a Pattern)>,
        ) {
            match c {
                Condition::All(items) | Condition::Any(items) => {
                    items.iter().for_each(|i| from_condition(key, i, out))
                }
                Condition::Not(inner) => from_condition(key, inner, out),
                Condition::Code(m) => from_matcher(key, m, out),
                Condition::TorchBuild(p) | Condition::Gpu(p) | Condition::Platform(p) => {
                    out.push((key, "condition pattern", p))
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        for m in self.flag.iter() {
            from_matcher("flag", m, &mut out);
        }
        for m in self.require.iter() {
            from_matcher("require", m, &mut out);
        }
        if let Some(w) = &self.when {
            from_condition("when", w, &mut out);
        }
        for case in &self.cases {
            case.require
                .iter()
                .for_each(|m| from_matcher("cases", m, &mut out));
            if let Some(w) = &case.when {
                from_condition("cases", w, &mut out);
            }
        }
        for s in &self.symptoms {
            out.push(("symptoms", "symptom pattern", &s.pattern));
            if let Some(w) = &s.when {
                from_condition("symptoms", w, &mut out);
            }
            for b in &s.benign {
                match &b.kind {
                    BenignKind::Model(p) => out.push(("symptoms", "benign model pattern", p)),
                    BenignKind::Output(p) => out.push(("symptoms", "benign output pattern", p)),
                    BenignKind::Keyword { .. } => {}
                }
            }
        }
        out
    }

    /// Whether the advisory speaks of a package: in its ranges, its cases or its declared
    /// dependency.
    pub fn names_package(&self, package: &str) -> bool {
        self.named_packages().any(|p| p == package)
    }

    /// Every package the advisory names in its ranges, its cases' ranges or its declared
    /// dependency (a name can repeat).
    pub fn named_packages(&self) -> impl Iterator<Item = &str> {
        let cases = self
            .cases
            .iter()
            .flat_map(|c| c.versions.iter().map(|(p, _)| p.as_str()));
        let declared = self
            .requires_dist
            .iter()
            .flat_map(|(a, b)| [a.as_str(), b.as_str()]);
        self.packages().chain(cases).chain(declared)
    }

    /// The packages the advisory is about, in file order.
    pub fn packages(&self) -> impl Iterator<Item = &str> {
        self.versions.iter().map(|(p, _)| p.as_str())
    }
}

/// Which side of a range a boundary version is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundaryRole {
    FirstBad,
    LastBad,
    FirstFixed,
    LastGood,
}

impl BoundaryRole {
    pub fn as_str(self) -> &'static str {
        match self {
            BoundaryRole::FirstBad => "first bad",
            BoundaryRole::LastBad => "last bad",
            BoundaryRole::FirstFixed => "first fixed",
            BoundaryRole::LastGood => "last good",
        }
    }
}

/// A boundary version and the pinned primary source that proves it.
#[derive(Clone, Debug)]
pub struct Provenance {
    pub package: String,
    pub role: BoundaryRole,
    pub version: String,
    pub source: String,
    pub evidence: Option<String>,
}

/// Whether `url` names one public report: a GitHub or GitLab issue, pull/merge request or
/// discussion (its number included), or a thread of the Hugging Face or PyTorch forums or Stack
/// Overflow, so that an example said to come from it can be read against it.
pub fn is_report_link(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let segments: Vec<&str> = path.split(['/', '#', '?']).collect();
    let numbered_after = |kinds: &[&str]| {
        segments.windows(2).any(|pair| {
            kinds.contains(&pair[0])
                && !pair[1].is_empty()
                && pair[1].bytes().all(|b| b.is_ascii_digit())
        })
    };
    match host {
        "github.com" => numbered_after(&["issues", "pull", "discussions"]),
        "gitlab.com" => numbered_after(&["issues", "merge_requests"]),
        "stackoverflow.com" => numbered_after(&["questions"]),
        "discuss.huggingface.co" | "discuss.pytorch.org" => segments.first() == Some(&"t"),
        _ => false,
    }
}

/// Whether a link points at a moving branch (`blob/main`, `tree/master`, ...), which proves
/// nothing once the branch has moved on.
pub fn is_unpinned_link(url: &str) -> bool {
    const KINDS: [&str; 4] = ["/blob/", "/tree/", "/raw/", "/commits/"];
    const BRANCHES: [&str; 5] = ["main", "master", "HEAD", "develop", "dev"];
    KINDS.iter().any(|kind| {
        url.match_indices(kind).any(|(i, _)| {
            let rest = &url[i + kind.len()..];
            let segment = rest.split(['/', '#', '?']).next().unwrap_or("");
            BRANCHES.contains(&segment)
        })
    })
}

impl Provenance {
    fn compile(raw: &super::schema::ProvenanceToml) -> Result<Provenance, String> {
        let role = match raw.boundary.as_str() {
            "first-bad" => BoundaryRole::FirstBad,
            "last-bad" => BoundaryRole::LastBad,
            "first-fixed" => BoundaryRole::FirstFixed,
            "last-good" => BoundaryRole::LastGood,
            other => {
                return Err(format!(
                    "provenance of {} {}: unknown boundary `{other}` (first-bad, last-bad, first-fixed or last-good)",
                    raw.package, raw.version
                ))
            }
        };
        if raw.version.parse::<pep440_rs::Version>().is_err() {
            return Err(format!(
                "provenance of {}: `{}` is not a PEP 440 version",
                raw.package, raw.version
            ));
        }
        if is_unpinned_link(&raw.source) {
            return Err(format!(
                "provenance of {} {}: `{}` points at a moving branch; cite a commit, tag, release, issue or pull request",
                raw.package, raw.version, raw.source
            ));
        }
        Ok(Provenance {
            package: normalize_name(&raw.package),
            role,
            version: raw.version.clone(),
            source: raw.source.clone(),
            evidence: raw.evidence.clone(),
        })
    }
}

/// The advisory format this tunelint reads (`schema = 2`).
pub const FORMAT_VERSION: u32 = 2;

/// The line in the file of the first line of the front matter that sets `key` (a top-level key,
/// a table header such as `[versions]` or `[[fixes]]`, or a key inside one), so that an error
/// names where to look; the first line of the file when the key is not written.
fn key_line(front: &str, key: &str) -> usize {
    front
        .lines()
        .position(|l| {
            let l = l.trim_start();
            let header = l.trim_start_matches('[').trim_end_matches(']');
            l.starts_with('[') && (header == key || header.starts_with(&format!("{key}.")))
                || l.strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(1, |i| i + 2)
}

/// A compile error and the key it is about, when there is one.
struct CompileError {
    key: Option<&'static str>,
    message: String,
}

impl From<String> for CompileError {
    fn from(message: String) -> CompileError {
        CompileError { key: None, message }
    }
}

fn specifiers(s: &str) -> Result<VersionSpecifiers, String> {
    VersionSpecifiers::from_str(s).map_err(|e| format!("`{s}` is not a PEP 440 specifier: {e}"))
}

fn compile_versions(
    map: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<(String, VersionSpecifiers)>, String> {
    map.iter()
        .map(|(p, s)| Ok((normalize_name(p), specifiers(s)?)))
        .collect()
}

fn compile_matcher(m: &MatcherToml) -> Result<SharedMatcher, String> {
    compile_matcher_kind(m).map(SharedMatcher::new)
}

fn compile_matcher_kind(m: &MatcherToml) -> Result<Matcher, String> {
    let kinds = [
        m.import.is_some(),
        m.call.is_some() && m.keyword.is_none(),
        m.keyword.is_some(),
        m.model.is_some(),
        m.unpinned_install.is_some(),
        m.installed_after_import.unwrap_or(false),
        m.removed.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() != 1 {
        return Err("a matcher needs exactly one of `import`, `call`, `keyword` (with `call`), `model`, `unpinned-install`, `installed-after-import`, `removed`".into());
    }
    if let Some(name) = &m.removed {
        if !name.contains('.') {
            return Err(format!(
                "`removed = \"{name}\"` needs the module too, like `peft.{name}`"
            ));
        }
        return Ok(Matcher::Removed {
            name: CallPattern::new(name)?,
        });
    }
    if let Some(packages) = &m.unpinned_install {
        return Ok(Matcher::UnpinnedInstall {
            packages: packages.iter().map(|p| normalize_name(p)).collect(),
            no_deps: m.no_deps.unwrap_or(false),
        });
    }
    if m.no_deps.is_some() {
        return Err("`no-deps` only goes with `unpinned-install`".into());
    }
    if m.installed_after_import == Some(true) {
        return Ok(Matcher::InstalledAfterImport);
    }
    if let Some(module) = &m.import {
        return Ok(Matcher::Import {
            module: module.clone(),
            after: m.after.clone().unwrap_or_default(),
            before: m.before.clone().unwrap_or_default(),
        });
    }
    if m.after.is_some() {
        return Err("`after` only goes with `import`".into());
    }
    if m.before.is_some() && (m.call.is_none() || m.keyword.is_some()) {
        return Err("`before` goes with `import`, or with `call` alone".into());
    }
    if let Some(name) = &m.keyword {
        let call = m.call.as_deref().ok_or("`keyword` needs `call`")?;
        return Ok(Matcher::Keyword {
            call: CallPattern::new(call)?,
            name: name.clone(),
            values: m.values.clone(),
        });
    }
    if m.values.is_some() {
        return Err("`values` only goes with `keyword`".into());
    }
    if let Some(call) = &m.call {
        return Ok(Matcher::Call {
            call: CallPattern::new(call)?,
            before: m
                .before
                .iter()
                .flatten()
                .map(|b| CallPattern::new(b))
                .collect::<Result<_, _>>()?,
        });
    }
    let pattern = m.model.as_deref().unwrap_or_default();
    Ok(Matcher::Model {
        pattern: Pattern::new(pattern).map_err(|e| format!("model pattern: {e}"))?,
    })
}

fn compile_benign(b: &BenignToml) -> Result<Benign, String> {
    let kind = match (&b.keyword, &b.model, &b.output) {
        (Some(name), None, None) => BenignKind::Keyword {
            name: name.clone(),
            fast: b.fast.clone(),
            includes: b.includes.clone(),
        },
        (None, Some(m), None) => {
            BenignKind::Model(Pattern::new(m).map_err(|e| format!("benign model pattern: {e}"))?)
        }
        (None, None, Some(o)) => {
            BenignKind::Output(Pattern::new(o).map_err(|e| format!("benign output pattern: {e}"))?)
        }
        _ => {
            return Err(
                "a benign explanation needs exactly one of `keyword`, `model`, `output`".into(),
            )
        }
    };
    Ok(Benign {
        kind,
        reason: b.reason.clone(),
    })
}

fn compile_fix(f: &FixToml) -> Result<FixTemplate, String> {
    let kind = match f {
        FixToml::Pin {
            package, specifier, ..
        } => FixKind::Pin {
            package: normalize_name(package),
            specifier: specifier.clone(),
        },
        FixToml::InsertCell {
            before_import,
            source,
            ..
        } => FixKind::InsertCell {
            before_import: before_import.clone(),
            source: source.clone(),
        },
        FixToml::RunCommand { command, .. } => FixKind::RunCommand {
            command: command.clone(),
        },
        FixToml::RestartRuntime { .. } => FixKind::RestartRuntime,
        FixToml::SetKeyword {
            call,
            keyword,
            value,
            ..
        } => FixKind::SetKeyword {
            call: call.clone(),
            name: keyword.clone(),
            value: value.clone(),
        },
        FixToml::RenameKeyword { call, from, to, .. } => FixKind::RenameKeyword {
            call: call.clone(),
            from: from.clone(),
            to: to.clone(),
        },
        FixToml::RenameImport { from, to, .. } => FixKind::RenameImport {
            from: from.clone(),
            to: to.clone(),
        },
        FixToml::MoveImportFirst { module, .. } => FixKind::MoveImportFirst {
            module: module.clone(),
        },
        FixToml::PinToEvidence { .. } => FixKind::PinToEvidence,
        FixToml::PinTableMatch { .. } => FixKind::PinTableMatch,
    };
    let (title, applicability) = f.common();
    if let FixKind::Pin { specifier, .. } = &kind {
        specifiers(specifier)?;
    }
    let applicability = Applicability::parse(applicability).ok_or_else(|| {
        format!("unknown applicability `{applicability}` (safe, unsafe, display-only)")
    })?;
    let title = match (title, &kind) {
        (Some(t), _) => t.clone(),
        (None, FixKind::Pin { package, specifier }) => format!("Pin {package} to {specifier}"),
        (None, FixKind::RenameKeyword { from, to, .. }) => format!("Rename `{from}` to `{to}`"),
        (None, FixKind::SetKeyword { name, value, .. }) => format!("Set `{name}={value}`"),
        (None, FixKind::RenameImport { from, to }) => format!("Import `{to}` instead of `{from}`"),
        (None, FixKind::MoveImportFirst { module }) => {
            format!("Move `import {module}` before the other imports")
        }
        (None, FixKind::RestartRuntime) => "Restart the runtime after reinstalling".into(),
        (None, FixKind::PinToEvidence) => "Pin to the version in use".into(),
        (None, FixKind::PinTableMatch) => "Pin to the release that works with the other".into(),
        (None, _) => return Err("this kind of fix needs a `title`".to_string()),
    };
    Ok(FixTemplate {
        kind,
        title,
        applicability,
    })
}

/// The severity policy: a severity is the one its effect gives, or lower with a reason; never
/// higher, and never lowered without saying why.
fn severity_follows_policy(
    effect: Effect,
    severity: Severity,
    lowered: Option<&str>,
) -> Result<(), String> {
    let policy = effect.severity();
    let reason = lowered.map(str::trim).filter(|r| !r.is_empty());
    match (severity.cmp(&policy), reason) {
        (std::cmp::Ordering::Equal, None) => Ok(()),
        (std::cmp::Ordering::Equal, Some(_)) => Err(format!(
            "`lowered` is given, but severity `{}` is what effect `{}` gives",
            severity.as_str(),
            effect.as_str()
        )),
        (std::cmp::Ordering::Greater, _) => Err(format!(
            "severity `{}` is above what effect `{}` gives (`{}`)",
            severity.as_str(),
            effect.as_str(),
            policy.as_str()
        )),
        (std::cmp::Ordering::Less, None) => Err(format!(
            "severity `{}` is below what effect `{}` gives (`{}`): say why in `lowered`",
            severity.as_str(),
            effect.as_str(),
            policy.as_str()
        )),
        (std::cmp::Ordering::Less, Some(_)) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_matches_any_run_of_characters_inside_one_segment() {
        let cases = [
            ("get_peft_model", "get_peft_model", true),
            ("get_peft_model", "get_peft_models", false),
            ("*Trainer", "SFTTrainer", true),
            ("*Trainer", "Trainer", true),
            ("*Trainer", "SFTTrainerX", false),
            ("SFT*", "SFTConfig", true),
            ("*", "", true),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("ab*ba", "aba", false),
            ("a**c", "ac", true),
            ("*é*", "café", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(glob_segment(pattern, text), expected, "{pattern} on {text}");
        }
        let p = CallPattern::new("trl.*Trainer").unwrap();
        assert_eq!(p.last_literal(), None);
        assert!(p.matches("trl.SFTTrainer") && !p.matches("trl.trainer.SFTTrainer"));
        let p = CallPattern::new("unsloth.*.get_peft_model").unwrap();
        assert_eq!(p.last_literal(), Some("get_peft_model"));
        assert!(p.matches("unsloth.FastLanguageModel.get_peft_model"));
        assert!(!p.matches("unsloth.get_peft_model"));
    }

    #[test]
    fn a_severity_is_its_effect_s_or_lower_with_a_reason() {
        assert!(severity_follows_policy(Effect::Fails, Severity::Error, None).is_ok());
        assert!(severity_follows_policy(Effect::Slower, Severity::Warning, None).is_ok());
        assert!(severity_follows_policy(Effect::Deprecated, Severity::Info, None).is_ok());
        let unexplained = severity_follows_policy(Effect::Fails, Severity::Warning, None);
        assert!(unexplained.unwrap_err().contains("say why in `lowered`"));
        let blank = severity_follows_policy(Effect::Fails, Severity::Info, Some("  "));
        assert!(blank.is_err());
        assert!(
            severity_follows_policy(Effect::Fails, Severity::Warning, Some("one report")).is_ok()
        );
        let above = severity_follows_policy(Effect::Advice, Severity::Warning, Some("x"));
        assert!(above.unwrap_err().contains("above"));
        let needless = severity_follows_policy(Effect::Slower, Severity::Warning, Some("x"));
        assert!(needless.unwrap_err().contains("is what effect"));
    }
}
