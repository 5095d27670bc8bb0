//! `*.dist-info` and `*.egg-info` in a site-packages directory, with PEP 610 `direct_url.json`.

use super::dir_handle::DirHandle;
use crate::evidence::{EnvironmentProblem, EvidenceKind, VersionFact};
use crate::requirement::normalize_name;
use pep440_rs::Version;
use serde_json::Value;
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

/// Reads every distribution in one directory, and which modules each provides. Broken metadata
/// is a problem, not an error.
pub fn read_site_packages(dir: &Path) -> SitePackages {
    let mut out = SitePackages::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        out.problems.push(EnvironmentProblem {
            path: dir.to_path_buf(),
            message: "cannot read this directory".into(),
        });
        return out;
    };
    // Names, not paths: a path sort compares component by component, and every name here
    // shares the directory's components.
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".dist-info") || n.ends_with(".egg-info"))
        .collect();
    names.sort_unstable();
    let site = DirHandle::open(dir);
    // Reading a distribution is a few system calls that wait on the file system; a runtime's
    // 1,000 distributions are read on every core (in order, so the result is the same as one
    // thread's).
    use rayon::prelude::*;
    let read: Vec<DistributionRead> = names
        .par_iter()
        .map(|name| read_entry(&site, name))
        .collect();
    for entry in read {
        match entry.result {
            Ok((fact, declared)) => {
                if !declared.is_empty() {
                    out.requires.push((fact.package.clone(), declared));
                }
                out.facts.push(fact);
            }
            Err((fact, message)) => {
                out.problems.push(EnvironmentProblem {
                    path: site.path(&entry.metadata_file),
                    message,
                });
                if let Some(fact) = fact {
                    out.facts.push(*fact);
                }
            }
        }
        out.modules
            .extend(entry.modules.into_iter().map(|m| (m, entry.owner.clone())));
    }
    out
}

/// What one site-packages directory holds.
#[derive(Default)]
pub struct SitePackages {
    pub facts: Vec<VersionFact>,
    pub problems: Vec<EnvironmentProblem>,
    /// Each distribution's `Requires-Dist` lines, as written.
    pub requires: Vec<(String, Vec<String>)>,
    /// Which distribution owns each importable module path (`peft`, `google.protobuf`), first
    /// by directory name order.
    pub modules: Vec<(String, String)>,
}

/// One `*.dist-info` or `*.egg-info` entry, read.
struct DistributionRead {
    /// The metadata file, relative to the site-packages directory.
    metadata_file: String,
    result: Result<(VersionFact, Vec<String>), ReadError>,
    /// The project name the directory is spelled with, normalized.
    owner: String,
    modules: Vec<String>,
}

fn read_entry(site: &DirHandle, name: &str) -> DistributionRead {
    let (stem, metadata_file) = match name.strip_suffix(".dist-info") {
        Some(stem) => (stem, format!("{name}/METADATA")),
        None => {
            let stem = name.strip_suffix(".egg-info").unwrap_or(name);
            // An egg-info is a directory with PKG-INFO, or that file itself.
            if site.is_dir(name) {
                (stem, format!("{name}/PKG-INFO"))
            } else {
                (stem, name.to_string())
            }
        }
    };
    let result = read_distribution(site, name, &metadata_file, stem);
    DistributionRead {
        metadata_file,
        result,
        // The directory name starts with the project name as the wheel spells it.
        owner: normalize_name(stem.split_once('-').map_or(stem, |(n, _)| n)),
        modules: modules_of_distribution(site, name),
    }
}

/// The module paths one distribution provides: a regular package or module at the top
/// (`peft/__init__.py`, `six.py`) by name; under a namespace directory without `__init__.py`
/// (`google/`, `nvidia/`) one level deeper (`google.protobuf`). Read from an egg-info's or
/// dist-info's `top_level.txt` when every name in it is regular, else from the RECORD.
fn modules_of_distribution(site: &DirHandle, name: &str) -> Vec<String> {
    // `top_level.txt` is small; the RECORD can be large (torch's lists some 10,000 files).
    let top_level = site.read_to_string(&format!("{name}/top_level.txt")).ok();
    let regular = |top: &str| {
        site.is_file(&format!("{top}/__init__.py"))
            || site.is_file(&format!("{top}.py"))
            || !site.is_dir(top)
    };
    match top_level {
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
        _ => match site.read_to_string(&format!("{name}/RECORD")) {
            Ok(record) => modules_of_record(&record),
            Err(_) => Vec::new(),
        },
    }
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
    site: &DirHandle,
    entry: &str,
    metadata_file: &str,
    stem: &str,
) -> Result<(VersionFact, Vec<String>), ReadError> {
    // Headers come first; the long description after them can be large and is not needed.
    let headers = site
        .read_start(metadata_file, 64 * 1024)
        .map(|bytes| parse_metadata_headers(&bytes))
        .map_err(|e| (None, format!("cannot read metadata: {e}")))?;
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
    let shown = site.path(entry).display().to_string();
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
    // PEP 610: present when installed from a URL, a VCS or a local directory.
    match site.read_to_string(&format!("{entry}/direct_url.json")) {
        // Absent, or the entry is an egg-info file rather than a directory.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) => {}
        read => match read
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
        },
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
