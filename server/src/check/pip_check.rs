//! `pip check`, built in: every installed distribution's `Requires-Dist`, with its markers
//! evaluated for the environment, against the installed versions.
//!
//! Weighed as the rest of tunelint is: a requirement where either side is a package the
//! knowledge base tracks is a warning, anything else (a hosted runtime's preinstalled packages
//! often disagree among themselves) an info. A requirement that is not installed at all is left
//! out, since the environment read may be only part of what Python searches. Markers are evaluated for the environment's Python
//! and for Linux on x86_64 (where fine-tuning runs), without extras: which extras a distribution
//! was installed with is not recorded.

use super::environment_report::EnvironmentFinding;
use crate::evidence::Environment;
use crate::finding::{codes, Finding, Severity};
use crate::kb::KnowledgeBase;
use crate::requirement::normalize_name;
use crate::text::TextRange;
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, VerbatimUrl, VersionOrUrl};
use std::str::FromStr;

/// The marker environment of a Linux x86_64 CPython of `python` (`3.11.7` or `3.11`).
fn marker_environment(python: &str) -> Option<MarkerEnvironment> {
    let mut parts = python.split('.');
    let short = format!("{}.{}", parts.next()?, parts.next()?);
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: python,
        os_name: "posix",
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "",
        platform_system: "Linux",
        platform_version: "",
        python_full_version: python,
        python_version: &short,
        sys_platform: "linux",
    })
    .ok()
}

/// Whether a `Requires-Dist` line can matter, read without parsing it: most lines of a large
/// environment name a package that is not installed (never reported) or apply only with an
/// extra (never installed with one, as far as tunelint knows). A full PEP 508 parse costs
/// microseconds, and an environment holds tens of thousands of these lines.
fn may_apply(line: &str, env: &Environment) -> bool {
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(line.len());
    if !env.packages.contains_key(&normalize_name(&line[..end])) {
        return false;
    }
    // `; extra == "dev"` and `; python_version < "3.12" and extra == "dev"` need an extra; a
    // marker with `or` might hold without one, so it is parsed.
    match line.split_once(';') {
        Some((_, marker)) => !marker.contains("extra") || marker.contains(" or "),
        None => true,
    }
}

/// The unmet requirements of the installed distributions, each on the requiring one's line.
pub fn unmet_requirements(env: &Environment, kb: &KnowledgeBase) -> Vec<EnvironmentFinding> {
    use rayon::prelude::*;
    let markers = env.python_version.as_deref().and_then(marker_environment);
    // A runtime declares tens of thousands of requirements; each distribution's are checked on
    // its own, on every core, in order.
    env.requires
        .par_iter()
        .flat_map_iter(|(package, lines)| unmet_of_one(env, kb, markers.as_ref(), package, lines))
        .collect()
}

/// The unmet requirements among one distribution's `Requires-Dist` lines.
fn unmet_of_one(
    env: &Environment,
    kb: &KnowledgeBase,
    markers: Option<&MarkerEnvironment>,
    package: &str,
    lines: &[String],
) -> Vec<EnvironmentFinding> {
    let mut out = Vec::new();
    let Some(owner) = env.packages.get(package) else {
        return out;
    };
    let owner_version = owner
        .version
        .as_ref()
        .map_or_else(|| owner.written.clone(), |v| v.to_string());
    for line in lines {
        if !may_apply(line, env) {
            continue;
        }
        let Ok(req) = pep508_rs::Requirement::<VerbatimUrl>::from_str(line) else {
            continue;
        };
        if !req.marker.is_true() {
            // Without the Python version no marker can be judged; with it, one that does not
            // hold here (or needs an extra) does not apply.
            let Some(markers) = markers else { continue };
            if !req.evaluate_markers(markers, &[]) {
                continue;
            }
        }
        let name = normalize_name(req.name.as_ref());
        let specifiers = match &req.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(s)) => Some(s),
            _ => None,
        };
        // A requirement that is not installed is not reported: the environment read may be
        // only part of what Python searches (a `--site-packages` directory, a venv that
        // sees the system's packages), and "missing" would then be wrong.
        let what = match env.packages.get(&name) {
            None => continue,
            Some(installed) => {
                let (Some(specifiers), Some(version)) = (specifiers, &installed.version) else {
                    continue;
                };
                if specifiers.contains(version) {
                    continue;
                }
                format!(
                    "{name}{specifiers}, but {name} {version} is installed ({})",
                    installed.source
                )
            }
        };
        let tracked = kb.tracks(package) || kb.tracks(&name);
        let severity = if tracked {
            Severity::Warning
        } else {
            Severity::Info
        };
        let message = format!(
            "{package} {owner_version} requires {what}; its METADATA declares `Requires-Dist: {line}` ({}), and pip would report this in `pip check`",
            owner.source
        );
        let mut finding = Finding::new(
            codes::UNMET_REQUIREMENT,
            severity,
            message,
            TextRange::empty(0),
        );
        finding.evidence = vec![crate::finding::EvidenceItem {
            package: package.to_string(),
            version: owner_version.clone(),
            kind: owner.kind,
            source: owner.source.clone(),
        }];
        out.push(EnvironmentFinding {
            package: package.to_string(),
            line: Some(format!("Requires-Dist: {line}")),
            finding,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::may_apply;
    use crate::evidence::{Environment, EvidenceKind, VersionFact};

    #[test]
    fn lines_that_cannot_apply_are_skipped_unparsed() {
        let mut env = Environment::empty();
        for (name, version) in [("transformers", "4.46.3"), ("typing-extensions", "4.12.2")] {
            env.packages.insert(
                name.to_string(),
                VersionFact::known(name, version, EvidenceKind::Installed, String::new()),
            );
        }
        assert!(may_apply("transformers>=4.51.0", &env));
        assert!(may_apply(
            "Typing_Extensions>=4.0; python_version < \"3.12\"",
            &env
        ));
        // Not installed: never reported, so never parsed.
        assert!(!may_apply("deepspeed>=0.14", &env));
        // Needs an extra the environment does not record.
        assert!(!may_apply(
            "transformers[torch]>=4.51; extra == \"dev\"",
            &env
        ));
        assert!(!may_apply(
            "transformers>=4.51; python_version >= \"3.9\" and extra == \"dev\"",
            &env
        ));
        // `or` might hold without the extra: parsed and judged.
        assert!(may_apply(
            "transformers>=4.51; extra == \"dev\" or python_version >= \"3.9\"",
            &env
        ));
    }
}
