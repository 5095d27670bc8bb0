//! The environment's own problems, placed on the environment's own files: what its versions
//! break whatever the code (known-bad pairs, table rows, declared dependencies) on the line of
//! the `pip freeze` snapshot or the distribution's METADATA that names them. The CLI reports
//! them as files of their own; the language server publishes them on those files.

use super::Workspace;
use crate::evidence::Environment;
use crate::finding::Finding;
use crate::kb::KnowledgeBase;
use crate::text::TextRange;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Findings placed on one file of an environment.
pub struct PlacedFile {
    pub path: PathBuf,
    /// How the path is shown in messages.
    pub display: String,
    /// The file's text, which the findings' ranges index.
    pub text: String,
    pub findings: Vec<Finding>,
    /// Advice the configuration does not ask for.
    pub advice: Vec<Finding>,
}

/// What the environments in use break on their own, whatever the code, placed on the
/// environment's own files: the snapshot's line for a `--env-file`, the distribution's METADATA
/// for a site-packages. A problem a checked file already reports with the same versions is not
/// reported twice. The `python3` found on PATH is not checked: it is where tunelint looked, not
/// an environment the user chose.
pub fn place_environment_findings(
    envs: &[Arc<Environment>],
    workspace: &Workspace,
    kb: &KnowledgeBase,
    already_reported: &dyn Fn(&Arc<Environment>) -> HashSet<String>,
) -> Vec<PlacedFile> {
    use crate::evidence::EnvironmentOrigin;
    let mut out: Vec<PlacedFile> = Vec::new();
    // Paths compare component by component; a map keeps thousands of findings cheap to place.
    let mut report_of: HashMap<PathBuf, usize> = Default::default();
    for env in envs {
        if matches!(
            env.origin,
            EnvironmentOrigin::None | EnvironmentOrigin::SystemPython
        ) {
            continue;
        }
        let Some(env_path) = env.path.as_deref() else {
            continue;
        };
        let display = workspace.display(env_path);
        let config = workspace.config_for(
            env_path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        );
        let snapshot = (env.origin == EnvironmentOrigin::EnvFile)
            .then(|| std::fs::read_to_string(env_path).ok())
            .flatten();
        // A checked file that uses this environment and reports the advisory (from its code,
        // its outputs or these versions), or silenced it, has said enough.
        let reported = already_reported(env);
        // One finding per problem: the advisory matches once per package line, and the
        // problem is the combination.
        let mut problems = HashSet::new();
        // Each distribution's METADATA is read once, however many findings it holds.
        let mut texts: HashMap<PathBuf, String> = Default::default();
        let mut items = crate::check::environment_findings(env, kb, &display, env_path);
        items.extend(crate::check::unmet_requirements(env, kb));
        for item in items {
            let f = &item.finding;
            let aliases = kb.get(&f.code).map_or(&[][..], |a| a.aliases.as_slice());
            if reported.contains(&f.code) {
                continue;
            }
            // An advisory about a release's own `Requires-Dist` says what the built-in pip
            // check says from the installed METADATA itself: where that METADATA was read,
            // the pip check's finding is the one (one finding per problem).
            let declared_by_metadata = kb
                .get(&f.code)
                .and_then(|a| a.requires_dist.as_ref())
                .is_some_and(|(package, _)| env.requires.contains_key(package));
            if declared_by_metadata {
                continue;
            }
            let visibility = config.visibility(&f.code, f.severity, aliases, env_path);
            if visibility == super::Visibility::Ignored {
                continue;
            }
            if !problems.insert((f.problem(), item.line.clone())) {
                continue;
            }
            let path = match &snapshot {
                Some(_) => env_path.to_path_buf(),
                None => {
                    let dist = env
                        .packages
                        .get(&item.package)
                        .map(|fact| PathBuf::from(&fact.source))
                        .unwrap_or_else(|| env_path.to_path_buf());
                    let dist = dist
                        .strip_prefix(".")
                        .map_or(dist.clone(), Path::to_path_buf);
                    if dist.is_dir() {
                        dist.join("METADATA")
                    } else {
                        dist
                    }
                }
            };
            let text = match &snapshot {
                Some(text) => text,
                None => texts
                    .entry(path.clone())
                    .or_insert_with(|| std::fs::read_to_string(&path).unwrap_or_default()),
            };
            let range = item
                .line
                .as_deref()
                .and_then(|wanted| exact_line(text, wanted))
                .unwrap_or_else(|| snapshot_line(text, &item.package));
            let mut finding = item.finding;
            finding.range = range;
            let i = *report_of.entry(path.clone()).or_insert_with(|| {
                out.push(PlacedFile {
                    display: workspace.display(&path),
                    text: text.clone(),
                    path,
                    findings: Vec::new(),
                    advice: Vec::new(),
                });
                out.len() - 1
            });
            match visibility {
                super::Visibility::Advice => out[i].advice.push(finding),
                _ => out[i].findings.push(finding),
            }
        }
    }
    for report in &mut out {
        report.findings.sort_by_key(|f| f.range.start);
        report.advice.sort_by_key(|f| f.range.start);
    }
    out
}

/// The range of the first line of `text` that reads `wanted`.
fn exact_line(text: &str, wanted: &str) -> Option<TextRange> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if content.trim() == wanted {
            return Some(TextRange::new(offset, offset + content.len()));
        }
        offset += line.len();
    }
    None
}

/// The line of a snapshot (`pip freeze`, `pip list --format=json`) or a METADATA file that
/// names a package: `peft==0.12.0`, `"name": "peft"`, `Name: peft`. The start when none does.
fn snapshot_line(text: &str, package: &str) -> TextRange {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let name = trimmed
            .strip_prefix("Name:")
            .or_else(|| {
                trimmed
                    .strip_prefix("\"name\":")
                    .or_else(|| trimmed.strip_prefix("{\"name\":"))
            })
            .map(|rest| {
                rest.trim()
                    .trim_matches([',', '"', ' '])
                    .split('"')
                    .next()
                    .unwrap_or("")
            })
            .unwrap_or_else(|| {
                let end = trimmed
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                    .unwrap_or(trimmed.len());
                &trimmed[..end]
            });
        if !name.is_empty() && crate::requirement::normalize_name(name) == package {
            let lead = line.len() - line.trim_start().len();
            return TextRange::new(offset + lead, offset + lead + trimmed.len());
        }
        offset += line.len();
    }
    // `pip list --format=json` writes one line: find the object that names the package.
    let mut from = 0;
    while let Some(i) = text[from..].find("\"name\"") {
        let start = from + i;
        let value = text[start + 6..]
            .trim_start_matches([' ', ':'])
            .trim_start_matches('"');
        let name = value.split('"').next().unwrap_or("");
        if crate::requirement::normalize_name(name) == package {
            let end = text[start..]
                .find('}')
                .map_or(text.len(), |e| start + e + 1);
            let begin = text[..start].rfind('{').unwrap_or(start);
            return TextRange::new(begin, end);
        }
        from = start + 6;
    }
    TextRange::empty(0)
}
