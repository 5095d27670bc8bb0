//! Installed environments, found and read from files (an edge module: it does IO).
//!
//! Discovery never runs a program from the workspace. Only an interpreter the user names
//! (`--python`, `tunelint.python`) may be asked once for its paths, and only when its prefix
//! cannot be worked out from files.

mod dir_handle;
mod env_file;
mod site_packages;

pub use env_file::{parse_env_file, EnvSnapshot};
pub use site_packages::{
    parse_direct_url, parse_metadata_headers, read_site_packages, site_packages_dirs, DirectUrl,
};

use crate::evidence::{Environment, EnvironmentOrigin, EnvironmentProblem};
use std::path::{Path, PathBuf};

/// What the user or the configuration said about the environment.
#[derive(Clone, Debug, Default)]
pub struct EnvironmentRequest {
    pub python: Option<PathBuf>,
    pub site_packages: Option<PathBuf>,
    pub env_file: Option<PathBuf>,
    /// `[tool.tunelint] python` / `env-file` / `site-packages`, already made absolute.
    pub config_python: Option<PathBuf>,
    pub config_env_file: Option<PathBuf>,
    pub config_site_packages: Option<PathBuf>,
    /// `$VIRTUAL_ENV` and `$CONDA_PREFIX`, passed in so that tests control them.
    pub virtual_env: Option<PathBuf>,
    pub conda_prefix: Option<PathBuf>,
    /// `$PATH`, for locating `python3` by its prefix.
    pub path_var: Option<std::ffi::OsString>,
}

impl EnvironmentRequest {
    /// The request with the process environment's variables filled in.
    pub fn from_process_env(mut self) -> Self {
        self.virtual_env = std::env::var_os("VIRTUAL_ENV")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        self.conda_prefix = std::env::var_os("CONDA_PREFIX")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        self.path_var = std::env::var_os("PATH");
        self
    }
}

/// Finds and reads the environment for files under `start`, in the documented order:
/// flags > configuration > `$VIRTUAL_ENV` > `$CONDA_PREFIX` > `.venv`/`venv`/`env` from `start`
/// up to the repository root > the `python3` on `PATH`.
pub fn discover(request: &EnvironmentRequest, start: &Path) -> Environment {
    if let Some(python) = &request.python {
        return from_interpreter(python, EnvironmentOrigin::Interpreter, true);
    }
    if let Some(dir) = &request.site_packages {
        return from_site_packages_dir(dir, EnvironmentOrigin::SitePackages);
    }
    if let Some(file) = &request.env_file {
        return from_env_file(file, EnvironmentOrigin::EnvFile);
    }
    if let Some(python) = &request.config_python {
        return from_interpreter(python, EnvironmentOrigin::Config, false);
    }
    if let Some(file) = &request.config_env_file {
        return from_env_file(file, EnvironmentOrigin::Config);
    }
    if let Some(dir) = &request.config_site_packages {
        return from_site_packages_dir(dir, EnvironmentOrigin::Config);
    }
    if let Some(venv) = &request.virtual_env {
        return from_prefix(venv, EnvironmentOrigin::VirtualEnv);
    }
    if let Some(conda) = &request.conda_prefix {
        return from_prefix(conda, EnvironmentOrigin::Conda);
    }
    if let Some(venv) = find_project_venv(start) {
        return from_prefix(&venv, EnvironmentOrigin::ProjectVenv);
    }
    if let Some(prefix) = request
        .path_var
        .as_ref()
        .and_then(|p| system_python_prefix(p))
    {
        let env = from_prefix(&prefix, EnvironmentOrigin::SystemPython);
        if !env.packages.is_empty() {
            return env;
        }
    }
    Environment::empty()
}

/// `.venv`, `venv` or `env` (each with a `pyvenv.cfg`) in `start` or a parent, stopping at the
/// directory that holds `.git`.
pub fn find_project_venv(start: &Path) -> Option<PathBuf> {
    let mut dir = if start.is_file() {
        start.parent()?
    } else {
        start
    };
    loop {
        for name in [".venv", "venv", "env"] {
            let candidate = dir.join(name);
            if candidate.join("pyvenv.cfg").is_file() {
                return Some(candidate);
            }
        }
        if dir.join(".git").exists() {
            return None;
        }
        dir = dir.parent()?;
    }
}

fn from_env_file(file: &Path, origin: EnvironmentOrigin) -> Environment {
    let mut env = Environment::empty();
    env.origin = origin;
    env.name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    env.path = Some(file.to_path_buf());
    match std::fs::read_to_string(file) {
        Ok(text) => match parse_env_file(&text, &file.display().to_string()) {
            Ok(snapshot) => {
                for fact in snapshot.packages {
                    env.packages.insert(fact.package.clone(), fact);
                }
                env.python_version = snapshot.python_version;
            }
            Err(e) => env.problems.push(EnvironmentProblem {
                path: file.to_path_buf(),
                message: format!("cannot read environment snapshot: {e}"),
            }),
        },
        Err(e) => env.problems.push(EnvironmentProblem {
            path: file.to_path_buf(),
            message: format!("cannot read environment snapshot: {e}"),
        }),
    }
    env
}

fn from_site_packages_dir(dir: &Path, origin: EnvironmentOrigin) -> Environment {
    let mut env = Environment::empty();
    env.origin = origin;
    env.name = dir.display().to_string();
    env.path = Some(dir.to_path_buf());
    read_into(&mut env, &[dir.to_path_buf()]);
    env
}

/// An environment rooted at a prefix (`.venv`, a conda prefix, `/usr`).
pub fn from_prefix(prefix: &Path, origin: EnvironmentOrigin) -> Environment {
    let mut env = Environment::empty();
    env.origin = origin;
    env.path = Some(prefix.to_path_buf());
    env.python_version = pyvenv_version(prefix);
    let dirs = site_packages_dirs(prefix);
    if env.python_version.is_none() {
        env.python_version = dirs.iter().find_map(|d| {
            d.parent()?
                .file_name()?
                .to_str()?
                .strip_prefix("python")
                .map(str::to_string)
        });
    }
    if env
        .python_version
        .as_deref()
        .is_none_or(|v| !v.contains('.'))
    {
        // Debian's `/usr/lib/python3/dist-packages` names no minor version; the interpreter's
        // link does (`bin/python3 -> python3.11`), and reading a link runs nothing.
        if let Some(version) = linked_interpreter_version(prefix) {
            env.python_version = Some(version);
        }
    }
    if dirs.is_empty() {
        env.problems.push(EnvironmentProblem {
            path: prefix.to_path_buf(),
            message: "no site-packages directory found under this prefix".into(),
        });
    }
    read_into(&mut env, &dirs);
    env.name = prefix_name(prefix, env.python_version.as_deref(), None);
    env
}

/// The `3.11` of `prefix/bin/python3 -> python3.11`, when the interpreter is such a link.
fn linked_interpreter_version(prefix: &Path) -> Option<String> {
    ["python3", "python"].iter().find_map(|name| {
        let target = std::fs::read_link(prefix.join("bin").join(name)).ok()?;
        let version = target.file_name()?.to_str()?.strip_prefix("python")?;
        let mut parts = version.split('.');
        let (major, minor) = (parts.next()?, parts.next()?);
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        (digits(major) && digits(minor) && parts.next().is_none()).then(|| version.to_string())
    })
}

/// The name a person recognises an environment rooted at `prefix` by: a virtual environment's
/// directory (`.venv`), a conda environment's name (`conda: base` for the installation itself),
/// and for anything else (`/usr`, `/usr/local`, a Python built into `/opt`) the system Python
/// and its interpreter, never the bare directory name (`usr`).
fn prefix_name(prefix: &Path, python_version: Option<&str>, interpreter: Option<&Path>) -> String {
    let last = prefix.file_name().map(|n| n.to_string_lossy().into_owned());
    if prefix.join("conda-meta").is_dir() {
        let inside_envs = prefix
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "envs");
        return match (inside_envs, last) {
            (true, Some(name)) => format!("conda: {name}"),
            _ => "conda: base".to_string(),
        };
    }
    if prefix.join("pyvenv.cfg").is_file() {
        return last.unwrap_or_else(|| prefix.display().to_string());
    }
    let interpreter = interpreter.map(Path::to_path_buf).or_else(|| {
        ["python3", "python"]
            .iter()
            .map(|name| prefix.join("bin").join(name))
            .find(|p| p.exists())
    });
    let version = python_version.map_or_else(String::new, |v| {
        // `3.11.4` reads as `3.11`, as the version a person would name.
        let short: Vec<&str> = v.split('.').take(2).collect();
        format!(" {}", short.join("."))
    });
    match interpreter {
        Some(python) => format!("system Python{version} ({})", python.display()),
        None => format!("system Python{version} ({})", prefix.display()),
    }
}

fn read_into(env: &mut Environment, dirs: &[PathBuf]) {
    for dir in dirs {
        let read = read_site_packages(dir);
        for fact in read.facts {
            env.packages.entry(fact.package.clone()).or_insert(fact);
        }
        env.problems.extend(read.problems);
        for (package, requires) in read.requires {
            env.requires.entry(package).or_insert(requires);
        }
        for (module, dist) in read.modules {
            env.modules.entry(module).or_insert(dist);
        }
    }
}

/// The `version` (or `version_info`) line of a venv's pyvenv.cfg.
fn pyvenv_version(prefix: &Path) -> Option<String> {
    let text = std::fs::read_to_string(prefix.join("pyvenv.cfg")).ok()?;
    text.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        matches!(key.trim(), "version" | "version_info").then(|| value.trim().to_string())
    })
}

/// An interpreter's environment. Its prefix is found from files when possible (`bin/python`
/// inside a venv or a conda prefix); otherwise, and only when `may_run` (the user named it), the
/// interpreter is asked once for its `sys.path`.
fn from_interpreter(python: &Path, origin: EnvironmentOrigin, may_run: bool) -> Environment {
    if python.is_dir() {
        return from_prefix(python, origin);
    }
    let bin = python.parent();
    let prefix = bin.and_then(Path::parent);
    if let Some(prefix) = prefix {
        if prefix.join("pyvenv.cfg").is_file()
            || prefix.join("conda-meta").is_dir()
            || !site_packages_dirs(prefix).is_empty()
        {
            let mut env = from_prefix(prefix, origin);
            env.name = prefix_name(prefix, env.python_version.as_deref(), Some(python));
            return env;
        }
    }
    let mut env = Environment::empty();
    env.origin = origin;
    env.path = Some(python.to_path_buf());
    env.name = python.display().to_string();
    if !may_run {
        env.problems.push(EnvironmentProblem {
            path: python.to_path_buf(),
            message: "no site-packages found next to this interpreter".into(),
        });
        return env;
    }
    let output = std::process::Command::new(python)
        .args([
            "-I",
            "-c",
            "import sys, json; print(json.dumps([p for p in sys.path if p]))",
        ])
        .stdin(std::process::Stdio::null())
        .output();
    match output {
        Ok(out) if out.status.success() => {
            let paths: Vec<PathBuf> = serde_json::from_slice::<Vec<String>>(&out.stdout)
                .unwrap_or_default()
                .into_iter()
                .map(PathBuf::from)
                .filter(|p| p.ends_with("site-packages") || p.ends_with("dist-packages"))
                .collect();
            read_into(&mut env, &paths);
        }
        Ok(out) => env.problems.push(EnvironmentProblem {
            path: python.to_path_buf(),
            message: format!(
                "the interpreter failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        }),
        Err(e) => env.problems.push(EnvironmentProblem {
            path: python.to_path_buf(),
            message: format!("cannot run the interpreter: {e}"),
        }),
    }
    env
}

/// The prefix of the first `python3` on `PATH`, found by following its symlinks.
fn system_python_prefix(path_var: &std::ffi::OsStr) -> Option<PathBuf> {
    for dir in std::env::split_paths(path_var) {
        let candidate = dir.join("python3");
        if candidate.is_file() {
            let resolved = std::fs::canonicalize(&candidate).unwrap_or(candidate);
            // A pyenv shim is a script; its real prefix is not knowable without running it.
            if resolved.to_string_lossy().contains("/shims/") {
                continue;
            }
            return resolved.parent()?.parent().map(Path::to_path_buf);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_venv_is_found_from_a_file_below_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(
            dir.path()
                .join(".venv/lib/python3.11/site-packages/peft-0.12.0.dist-info"),
        )
        .unwrap();
        std::fs::write(dir.path().join(".venv/pyvenv.cfg"), "version = 3.11.7\n").unwrap();
        std::fs::write(
            dir.path()
                .join(".venv/lib/python3.11/site-packages/peft-0.12.0.dist-info/METADATA"),
            "Metadata-Version: 2.1\nName: peft\nVersion: 0.12.0\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("src/deep")).unwrap();
        let env = discover(&EnvironmentRequest::default(), &dir.path().join("src/deep"));
        assert_eq!(env.origin, EnvironmentOrigin::ProjectVenv);
        assert_eq!(env.python_version.as_deref(), Some("3.11.7"));
        assert_eq!(env.get("peft").unwrap().written, "0.12.0");
    }

    #[test]
    fn environments_are_named_as_a_person_knows_them() {
        let dir = tempfile::tempdir().unwrap();
        // A system prefix such as /usr: no pyvenv.cfg, an interpreter in bin/.
        let usr = dir.path().join("usr");
        std::fs::create_dir_all(usr.join("lib/python3.11/site-packages")).unwrap();
        std::fs::create_dir_all(usr.join("bin")).unwrap();
        std::fs::write(usr.join("bin/python3"), "").unwrap();
        let system = from_prefix(&usr, EnvironmentOrigin::SystemPython);
        assert_eq!(
            system.name,
            format!("system Python 3.11 ({})", usr.join("bin/python3").display())
        );
        // Debian's layout: `lib/python3/dist-packages` and `bin/python3 -> python3.11`.
        #[cfg(unix)]
        {
            let debian = dir.path().join("debian/usr");
            std::fs::create_dir_all(debian.join("lib/python3/dist-packages")).unwrap();
            std::fs::create_dir_all(debian.join("bin")).unwrap();
            std::fs::write(debian.join("bin/python3.11"), "").unwrap();
            std::os::unix::fs::symlink("python3.11", debian.join("bin/python3")).unwrap();
            let system = from_prefix(&debian, EnvironmentOrigin::SystemPython);
            assert_eq!(
                system.name,
                format!(
                    "system Python 3.11 ({})",
                    debian.join("bin/python3").display()
                )
            );
        }
        let venv = dir.path().join(".venv");
        std::fs::create_dir_all(venv.join("lib/python3.12/site-packages")).unwrap();
        std::fs::write(venv.join("pyvenv.cfg"), "version = 3.12.1\n").unwrap();
        assert_eq!(
            from_prefix(&venv, EnvironmentOrigin::ProjectVenv).name,
            ".venv"
        );
        let conda = dir.path().join("miniconda3/envs/train");
        std::fs::create_dir_all(conda.join("conda-meta")).unwrap();
        assert_eq!(
            from_prefix(&conda, EnvironmentOrigin::Conda).name,
            "conda: train"
        );
        let base = dir.path().join("miniconda3");
        std::fs::create_dir_all(base.join("conda-meta")).unwrap();
        assert_eq!(
            from_prefix(&base, EnvironmentOrigin::Conda).name,
            "conda: base"
        );
        let snapshot = dir.path().join("pip-list.json");
        std::fs::write(&snapshot, "[]").unwrap();
        assert_eq!(
            from_env_file(&snapshot, EnvironmentOrigin::EnvFile).name,
            "pip-list.json"
        );
    }
}
