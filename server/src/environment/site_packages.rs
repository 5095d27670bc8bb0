//! `*.dist-info` and `*.egg-info` in a site-packages directory, with PEP 610 `direct_url.json`.

use crate::evidence::{EnvironmentProblem, EvidenceKind, VersionFact};
use crate::requirement::normalize_name;
use pep440_rs::Version;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The site-packages directories under a prefix: `lib/python3.X/site-packages`, `lib64/...`,
/// Debian's `dist-packages`, and Windows' `Lib/site-packages`.
pub fn site_packages_dirs(prefix: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for lib in ["lib", "lib64", "local/lib"] {
        let Ok(entries) = std::fs::read_dir(prefix.join(lib)) else {
            continue;
        };
        let mut versions: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("python3") || n == "python")
            })
            .collect();
        versions.sort();
        for v in versions {
            for leaf in ["site-packages", "dist-packages"] {
                let dir = v.join(leaf);
                if dir.is_dir() && !out.contains(&dir) {
                    out.push(dir);
                }
            }
        }
    }
    let windows = prefix.join("Lib").join("site-packages");
    if windows.is_dir() {
        out.push(windows);
    }
    out
}

/// Reads every distribution in one directory. Broken metadata is a problem, not an error.
pub fn read_site_packages(dir: &Path) -> SitePackages {
    let mut facts = Vec::new();
    let mut problems = Vec::new();
    let mut requires = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        problems.push(EnvironmentProblem {
            path: dir.to_path_buf(),
            message: "cannot read this directory".into(),
        });
        return SitePackages {
            facts,
            problems,
            requires,
        };
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    // Reading a distribution is two or three system calls that wait on the file system; a
    // runtime's 1,000 distributions are read on every core (in order, so the result is the
    // same as one thread's).
    use rayon::prelude::*;
    let read: Vec<_> = paths
        .par_iter()
        .filter_map(|path| {
            let name = path.file_name().and_then(|n| n.to_str())?;
            let (metadata_file, stem) = if let Some(stem) = name.strip_suffix(".dist-info") {
                (path.join("METADATA"), stem)
            } else if let Some(stem) = name.strip_suffix(".egg-info") {
                if path.is_dir() {
                    (path.join("PKG-INFO"), stem)
                } else {
                    (path.clone(), stem)
                }
            } else {
                return None;
            };
            let result = read_distribution(path, &metadata_file, stem, dir);
            Some((metadata_file, result))
        })
        .collect();
    for (metadata_file, result) in read {
        match result {
            Ok((fact, declared)) => {
                if !declared.is_empty() {
                    requires.push((fact.package.clone(), declared));
                }
                facts.push(fact);
            }
            Err((fact, message)) => {
                problems.push(EnvironmentProblem {
                    path: metadata_file,
                    message,
                });
                if let Some(fact) = fact {
                    facts.push(*fact);
                }
            }
        }
    }
    SitePackages {
        facts,
        problems,
        requires,
    }
}

/// What one site-packages directory holds.
pub struct SitePackages {
    pub facts: Vec<VersionFact>,
    pub problems: Vec<EnvironmentProblem>,
    /// Each distribution's `Requires-Dist` lines, as written.
    pub requires: Vec<(String, Vec<String>)>,
}

/// Which distribution owns each importable module path in a site-packages directory: a regular
/// package or module at the top (`peft/__init__.py`, `six.py`) is owned by name; under a
/// namespace directory without `__init__.py` (`google/`, `nvidia/`) the owned path is one level
/// deeper (`google.protobuf`). Read from each dist-info's RECORD, or an egg-info's
/// `top_level.txt`.
pub fn read_module_owners(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name
            .strip_suffix(".dist-info")
            .or_else(|| name.strip_suffix(".egg-info"))
        else {
            continue;
        };
        // The directory name starts with the project name as the wheel spells it.
        let dist = normalize_name(stem.split_once('-').map_or(stem, |(n, _)| n));
        // `top_level.txt` is small; a name in it that is a regular package (it has an
        // `__init__.py`) or a module is owned as it is. A namespace directory, or a
        // distribution without the file, needs the RECORD, which can be large (torch's lists
        // some 10,000 files).
        let top_level = std::fs::read_to_string(path.join("top_level.txt")).ok();
        let regular = |top: &str| {
            dir.join(top).join("__init__.py").is_file()
                || dir.join(format!("{top}.py")).is_file()
                || !dir.join(top).is_dir()
        };
        let modules = match top_level {
            Some(text)
                if text
                    .lines()
                    .map(str::trim)
                    .all(|t| t.is_empty() || regular(t)) =>
            {
                text.lines()
                    .map(|l| l.trim().replace('/', "."))
                    .filter(|l| !l.is_empty())
                    .collect()
            }
            _ => match std::fs::read_to_string(path.join("RECORD")) {
                Ok(record) => modules_of_record(&record),
                Err(_) => Vec::new(),
            },
        };
        out.extend(modules.into_iter().map(|m| (m, dist.clone())));
    }
    out
}

/// The module paths a RECORD's Python files provide.
fn modules_of_record(record: &str) -> Vec<String> {
    let is_code = |p: &str| p.ends_with(".py") || p.ends_with(".so") || p.ends_with(".pyd");
    let files: Vec<&str> = record
        .lines()
        .filter_map(|l| l.split(',').next())
        .filter(|p| is_code(p) && !p.starts_with("..") && !p.contains("__pycache__"))
        .collect();
    let packages: std::collections::BTreeSet<&str> = files
        .iter()
        .filter_map(|p| p.strip_suffix("/__init__.py"))
        .filter(|p| !p.contains('/'))
        .collect();
    let mut out = std::collections::BTreeSet::new();
    for file in &files {
        let mut parts = file.split('/');
        let top = parts.next().unwrap_or("");
        match parts.next() {
            // A top-level module: `six.py`, `_cffi_backend.cpython-311-x86_64-linux-gnu.so`.
            None => out.insert(top.split('.').next().unwrap_or(top).to_string()),
            Some(_) if packages.contains(top) => out.insert(top.to_string()),
            // Under a namespace directory, the next level is what this distribution owns.
            Some(second) => out.insert(format!(
                "{top}.{}",
                second.split('.').next().unwrap_or(second)
            )),
        };
    }
    out.into_iter().collect()
}

type ReadError = (Option<Box<VersionFact>>, String);

fn read_distribution(
    dist: &Path,
    metadata_file: &Path,
    stem: &str,
    site: &Path,
) -> Result<(VersionFact, Vec<String>), ReadError> {
    let headers =
        read_headers(metadata_file).map_err(|e| (None, format!("cannot read metadata: {e}")))?;
    let header = |key: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    // The directory name is `{name}-{version}`; it is the fallback when a header is missing.
    let (dir_name, dir_version) = stem.split_once('-').unwrap_or((stem, ""));
    let dir_version = dir_version.split("-py").next().unwrap_or(dir_version);
    let name = header("Name").unwrap_or_else(|| dir_name.to_string());
    let written = header("Version").unwrap_or_else(|| dir_version.to_string());
    let package = normalize_name(&name);
    let shown = site
        .file_name()
        .map(|_| dist.display().to_string())
        .unwrap_or_default();
    let mut fact = VersionFact {
        package,
        version: Version::from_str(&written).ok(),
        written: written.clone(),
        kind: EvidenceKind::Installed,
        source: shown,
        location: None,
        git: false,
        commit: None,
        editable: false,
        newest: false,
        picks_from: None,
        replaced: None,
    };
    let mut problem = None;
    if headers.is_empty() {
        problem = Some(format!(
            "empty metadata; version taken from the directory name `{stem}`"
        ));
    }
    if fact.version.is_none() {
        problem = Some(format!(
            "version `{written}` of {name} is not a PEP 440 version"
        ));
    }
    let direct_url = dist.join("direct_url.json");
    if direct_url.is_file() {
        match std::fs::read_to_string(&direct_url)
            .map_err(|e| e.to_string())
            .and_then(|t| parse_direct_url(&t))
        {
            Ok(info) => {
                fact.git = info.git;
                fact.commit = info.commit;
                fact.editable = info.editable;
            }
            Err(e) => {
                problem = Some(format!(
                    "broken direct_url.json ({e}); installed-from-git information is unknown"
                ))
            }
        }
    }
    let requires = headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("Requires-Dist"))
        .map(|(_, v)| v.clone())
        .collect();
    match problem {
        Some(message) => Err((Some(Box::new(fact)), message)),
        None => Ok((fact, requires)),
    }
}

/// The RFC 822 style headers of a METADATA or PKG-INFO file, up to the first blank line.
fn read_headers(path: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut file = std::fs::File::open(path)?;
    let mut buf = Vec::with_capacity(4096);
    // Headers come first; the long description after them can be large and is not needed.
    file.by_ref().take(64 * 1024).read_to_end(&mut buf)?;
    Ok(parse_metadata_headers(&buf))
}

/// The headers of METADATA or PKG-INFO bytes, up to the first blank line; continuation lines
/// are skipped and undecodable bytes replaced.
pub fn parse_metadata_headers(bytes: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(bytes);
    let mut headers = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    headers
}

/// What PEP 610's `direct_url.json` says about an installation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectUrl {
    pub git: bool,
    pub commit: Option<String>,
    pub editable: bool,
}

pub fn parse_direct_url(text: &str) -> Result<DirectUrl, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if !value.is_object() {
        return Err("not a JSON object".into());
    }
    let vcs = value.get("vcs_info");
    Ok(DirectUrl {
        git: vcs.and_then(|v| v.get("vcs")).and_then(Value::as_str) == Some("git"),
        commit: vcs
            .and_then(|v| v.get("commit_id"))
            .and_then(Value::as_str)
            .map(str::to_string),
        editable: value
            .get("dir_info")
            .and_then(|d| d.get("editable"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_owns_its_packages_and_the_paths_under_a_namespace() {
        let record = "google/protobuf/__init__.py,sha256=x,1\ngoogle/protobuf/message.py,,\nprotobuf-5.29.0.dist-info/METADATA,,\n../../bin/protoc,,\n";
        assert_eq!(modules_of_record(record), ["google.protobuf"]);
        let record = "peft/__init__.py,,\npeft/tuners/lora.py,,\nsix.py,,\n__pycache__/six.cpython-311.pyc,,\n";
        assert_eq!(modules_of_record(record), ["peft", "six"]);
    }
}
