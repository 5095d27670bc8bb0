//! Lock files: the exact versions a resolver chose, which a project installs from. `uv.lock`,
//! `poetry.lock` and PEP 751 `pylock.toml` (TOML tables of packages), `Pipfile.lock` (JSON),
//! conda's `environment.yml` (its conda and `pip:` dependencies) and conda explicit lists
//! (`@EXPLICIT` and one package URL a line).
//!
//! Every entry becomes an `==` requirement whose range is the version in the file, marked as
//! not PEP 508 text, so that fixes never rewrite a lock (a pin belongs in the manifest, and
//! the lock is then made again).

use super::{DeclaredFile, DeclaredRequirement, FileProblem};
use crate::requirement::{normalize_name, parse_requirement};
use crate::text::TextRange;

/// Which lock format a file is, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockFormat {
    /// `uv.lock`.
    Uv,
    /// `poetry.lock`.
    Poetry,
    /// PEP 751: `pylock.toml`, `pylock.NAME.toml`.
    Pylock,
    /// `Pipfile.lock`.
    Pipfile,
    /// `environment.yml` / `environment.yaml`.
    CondaEnvironment,
    /// `conda-*.lock` and `*explicit*.txt` lists that start with `@EXPLICIT`.
    CondaExplicit,
}

impl LockFormat {
    /// The format of a file named `name` (lowercase), when it is a lock file.
    pub fn from_name(lower: &str) -> Option<LockFormat> {
        match lower {
            "uv.lock" => Some(LockFormat::Uv),
            "poetry.lock" => Some(LockFormat::Poetry),
            "pylock.toml" => Some(LockFormat::Pylock),
            "pipfile.lock" => Some(LockFormat::Pipfile),
            "environment.yml" | "environment.yaml" => Some(LockFormat::CondaEnvironment),
            _ if lower.starts_with("pylock.") && lower.ends_with(".toml") => {
                Some(LockFormat::Pylock)
            }
            _ if lower.starts_with("conda-") && lower.ends_with(".lock") => {
                Some(LockFormat::CondaExplicit)
            }
            _ => None,
        }
    }

    /// The command that makes the lock again after its manifest changed.
    pub fn relock_hint(self) -> &'static str {
        match self {
            LockFormat::Uv => "re-lock (`uv lock`)",
            LockFormat::Poetry => "re-lock (`poetry lock`)",
            LockFormat::Pylock => "re-lock (`pip lock` or `uv export --format pylock.toml`)",
            LockFormat::Pipfile => "re-lock (`pipenv lock`)",
            LockFormat::CondaEnvironment | LockFormat::CondaExplicit => {
                "re-export the environment (`conda env export`, `conda list --explicit`)"
            }
        }
    }
}

/// Reads a lock file of `format`.
pub fn parse_lock(format: LockFormat, text: &str) -> DeclaredFile {
    let mut file = DeclaredFile::default();
    match format {
        LockFormat::Uv | LockFormat::Poetry | LockFormat::Pylock => toml_packages(text, &mut file),
        LockFormat::Pipfile => pipfile(text, &mut file),
        LockFormat::CondaEnvironment => conda_environment(text, &mut file),
        LockFormat::CondaExplicit => conda_explicit(text, &mut file),
    }
    file
}

/// conda names the PyPI distributions it repackages differently in a few cases that matter.
fn pypi_name(conda: &str) -> String {
    match normalize_name(conda).as_str() {
        "pytorch" => "torch".to_string(),
        "pytorch-cuda" => "cuda-toolkit".to_string(),
        other => other.to_string(),
    }
}

fn push_exact(
    file: &mut DeclaredFile,
    name: &str,
    version: &str,
    range: TextRange,
    context: String,
) {
    let version = version.trim().trim_start_matches("==");
    match parse_requirement(&format!("{name}=={version}")) {
        Ok(requirement) => file.requirements.push(DeclaredRequirement {
            requirement,
            range,
            context,
            pep508: false,
        }),
        Err(e) => file.problems.push(FileProblem {
            range,
            message: format!("cannot read the locked version `{version}` of {name}: {e}"),
        }),
    }
}

/// `[[package]]` (uv, Poetry) or `[[packages]]` (PEP 751) tables with `name` and `version`.
fn toml_packages(text: &str, file: &mut DeclaredFile) {
    let doc = match toml_edit::Document::parse(text) {
        Ok(d) => d,
        Err(e) => {
            let range = e
                .span()
                .map_or(TextRange::empty(0), |r| TextRange::new(r.start, r.end));
            file.problems.push(FileProblem {
                range,
                message: format!("invalid TOML: {}", e.message()),
            });
            return;
        }
    };
    for key in ["package", "packages"] {
        let Some(tables) = doc.get(key).and_then(|i| i.as_array_of_tables()) else {
            continue;
        };
        for table in tables.iter() {
            let name = table.get("name").and_then(|v| v.as_str());
            let version = table.get("version").and_then(|v| v.as_value());
            // A package locked from a directory or a URL without a version (uv's editable
            // project itself) says nothing about a release.
            let (Some(name), Some(value)) = (name, version) else {
                continue;
            };
            let Some(v) = value.as_str() else { continue };
            let range = value.span().map_or(TextRange::empty(0), |r| {
                // The span holds the quotes.
                TextRange::new(r.start + 1, r.end.saturating_sub(1).max(r.start + 1))
            });
            push_exact(file, name, v, range, format!("[[{key}]] {name}"));
        }
    }
}

/// Pipfile.lock: `{"default": {"peft": {"version": "==0.12.0", ...}}, "develop": {...}}`.
fn pipfile(text: &str, file: &mut DeclaredFile) {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            file.problems.push(FileProblem {
                range: TextRange::empty(0),
                message: format!("not valid JSON: {e}"),
            });
            return;
        }
    };
    for section in ["default", "develop"] {
        let Some(packages) = value.get(section).and_then(|s| s.as_object()) else {
            continue;
        };
        let section_at = text.find(&format!("\"{section}\"")).unwrap_or(0);
        for (name, entry) in packages {
            let Some(version) = entry.get("version").and_then(|v| v.as_str()) else {
                continue;
            };
            // The place: the version string after the package's key in this section.
            let key_at = text[section_at..]
                .find(&format!("\"{name}\""))
                .map_or(section_at, |i| section_at + i);
            let quoted = format!("\"{version}\"");
            let range = text[key_at..]
                .find(&quoted)
                .map_or(TextRange::empty(key_at), |i| {
                    TextRange::new(key_at + i + 1, key_at + i + 1 + version.len())
                });
            push_exact(file, name, version, range, format!("{section} {name}"));
        }
    }
}

/// environment.yml: `- name=version[=build]` and `- name==version` conda entries, and the
/// entries of a `- pip:` list, which are pip requirements.
fn conda_environment(text: &str, file: &mut DeclaredFile) {
    let mut in_dependencies = false;
    let mut pip_indent: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let content = content.split(" #").next().unwrap_or(content);
        let indent = content.len() - content.trim_start().len();
        let trimmed = content.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if indent == 0 {
            in_dependencies = trimmed == "dependencies:";
            pip_indent = None;
            continue;
        }
        if !in_dependencies {
            continue;
        }
        let Some(item) = trimmed.strip_prefix("- ") else {
            continue;
        };
        let item = item.trim().trim_matches(['"', '\'']);
        if item == "pip:" {
            pip_indent = Some(indent);
            continue;
        }
        let item_at = start + content.find(item).unwrap_or(indent);
        if pip_indent.is_some_and(|p| indent > p) {
            // A pip requirement: exact pins only, as a lock.
            if let Ok(r) = parse_requirement(item) {
                if let Some(v) = r.spec.exact_version() {
                    let at = item.find("==").map_or(0, |i| i + 2);
                    let range = TextRange::new(item_at + at, item_at + item.len());
                    push_exact(file, &r.name, &v.to_string(), range, format!("pip: {item}"));
                }
            }
            continue;
        }
        pip_indent = None;
        // `channel::name=version=build`, `name==version`, `name=version`.
        let item = item.rsplit("::").next().unwrap_or(item);
        let item_at = start + content.find(item).unwrap_or(indent);
        let (name, rest) = match item.find(['=', '<', '>', '!', ' ']) {
            Some(i) => (&item[..i], &item[i..]),
            None => continue,
        };
        let double = rest.starts_with("==");
        let Some(version) = rest.strip_prefix("==").or_else(|| rest.strip_prefix('=')) else {
            continue;
        };
        let (version, has_build) = match version.split_once('=') {
            Some((v, _)) => (v, true),
            None => (version, false),
        };
        // `=2.1` is conda's fuzzy `2.1.*`: a range, not a version. `==`, a build string or
        // three parts name one release.
        let exact = double || has_build || version.split('.').count() >= 3;
        if !exact || version.is_empty() || version.contains(['*', '<', '>']) || name == "python" {
            continue;
        }
        let at = item_at + name.len() + if double { 2 } else { 1 };
        let range = TextRange::new(at, at + version.len());
        push_exact(
            file,
            &pypi_name(name),
            version,
            range,
            format!("conda {item}"),
        );
    }
}

/// A conda explicit list: `@EXPLICIT`, then one URL a line ending in
/// `NAME-VERSION-BUILD.conda` or `.tar.bz2`.
fn conda_explicit(text: &str, file: &mut DeclaredFile) {
    if !text.lines().any(|l| l.trim() == "@EXPLICIT") {
        return;
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let url = content.split('#').next().unwrap_or(content).trim();
        if !url.contains("://") {
            continue;
        }
        let Some(file_name) = url.rsplit('/').next() else {
            continue;
        };
        let Some(stem) = file_name
            .strip_suffix(".conda")
            .or_else(|| file_name.strip_suffix(".tar.bz2"))
        else {
            continue;
        };
        let mut parts = stem.rsplitn(3, '-');
        let (Some(_build), Some(version), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Some(at) = content.rfind(&format!("{name}-{version}-")) else {
            continue;
        };
        let version_at = start + at + name.len() + 1;
        let range = TextRange::new(version_at, version_at + version.len());
        push_exact(
            file,
            &pypi_name(name),
            version,
            range,
            format!("conda {name}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pins(format: LockFormat, text: &str) -> Vec<(String, String, String)> {
        let file = parse_lock(format, text);
        assert!(file.problems.is_empty(), "{:?}", file.problems);
        file.requirements
            .iter()
            .map(|r| {
                (
                    r.requirement.name.clone(),
                    r.requirement.spec.exact_version().unwrap().to_string(),
                    r.range.slice(text).to_string(),
                )
            })
            .collect()
    }

    fn pin(name: &str, version: &str, at: &str) -> (String, String, String) {
        (name.into(), version.into(), at.into())
    }

    #[test]
    fn uv_poetry_and_pylock_tables() {
        let uv = "version = 1\n\n[[package]]\nname = \"peft\"\nversion = \"0.12.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n[[package]]\nname = \"demo\"\nsource = { editable = \".\" }\n";
        assert_eq!(
            pins(LockFormat::Uv, uv),
            vec![pin("peft", "0.12.0", "0.12.0")]
        );
        let pylock =
            "lock-version = \"1.0\"\n[[packages]]\nname = \"unsloth\"\nversion = \"2024.7\"\n";
        assert_eq!(
            pins(LockFormat::Pylock, pylock),
            vec![pin("unsloth", "2024.7", "2024.7")]
        );
    }

    #[test]
    fn pipfile_lock_versions() {
        let text = r#"{"_meta": {}, "default": {"peft": {"hashes": [], "version": "==0.12.0"}}, "develop": {}}"#;
        assert_eq!(
            pins(LockFormat::Pipfile, text),
            vec![pin("peft", "0.12.0", "==0.12.0")]
        );
    }

    #[test]
    fn conda_environment_conda_and_pip_entries() {
        let text = "name: ft\nchannels:\n  - pytorch\ndependencies:\n  - python=3.11\n  - pytorch::pytorch=2.3.1=py3.11_cuda12.1_cudnn8.9.2_0\n  - numpy=1.26\n  - xformers==0.0.27\n  - pip:\n    - peft==0.12.0\n    - trl>=0.9\n";
        assert_eq!(
            pins(LockFormat::CondaEnvironment, text),
            vec![
                pin("torch", "2.3.1", "2.3.1"),
                pin("xformers", "0.0.27", "0.0.27"),
                pin("peft", "0.12.0", "0.12.0"),
            ]
        );
    }

    #[test]
    fn conda_explicit_urls() {
        let text = "# platform: linux-64\n@EXPLICIT\nhttps://conda.anaconda.org/pytorch/linux-64/pytorch-2.1.0-py3.11_cuda12.1_cudnn8.9.2_0.tar.bz2\nhttps://conda.anaconda.org/conda-forge/noarch/peft-0.12.0-pyhd8ed1ab_0.conda\n";
        assert_eq!(
            pins(LockFormat::CondaExplicit, text),
            vec![
                pin("torch", "2.1.0", "2.1.0"),
                pin("peft", "0.12.0", "0.12.0")
            ]
        );
    }

    #[test]
    fn broken_lock_files_are_problems_not_crashes() {
        assert!(!parse_lock(LockFormat::Poetry, "[[package]\nname=")
            .problems
            .is_empty());
        assert!(!parse_lock(LockFormat::Pipfile, "{").problems.is_empty());
        assert!(parse_lock(
            LockFormat::CondaEnvironment,
            "dependencies:\n  - =\n  - a=\n"
        )
        .requirements
        .is_empty());
    }
}
