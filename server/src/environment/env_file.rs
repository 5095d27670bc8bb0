//! Environment snapshots: `pip freeze` and `pip list --format=json` output saved to a file.

use crate::evidence::{EvidenceKind, VersionFact};
use crate::requirement::{normalize_name, parse_requirement, RequirementSpec};
use serde_json::Value;

/// What a snapshot says: the distributions and, when it records it, the interpreter's version.
#[derive(Debug, Default)]
pub struct EnvSnapshot {
    pub packages: Vec<VersionFact>,
    /// `3.11.7`: from the object form only (`pip freeze` and `pip list` do not record it).
    pub python_version: Option<String>,
}

/// Reads a snapshot: JSON, either `pip list --format=json`'s array of `{"name", "version"}` or
/// an object `{"python": "3.11.7", "packages": [...]}` with that array (what a running kernel
/// knows about itself), or freeze lines (`name==version`, `name @ url`). `source` names the
/// file in messages.
pub fn parse_env_file(text: &str, source: &str) -> Result<EnvSnapshot, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("invalid JSON at {}:{}: {e}", e.line(), e.column()))?;
        let (items, python_version) = match &value {
            Value::Object(object) => {
                let python = match object.get("python") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(v)) => Some(v.clone()),
                    Some(other) => {
                        return Err(format!("`python` must be a version string, not {other}"))
                    }
                };
                let packages = object
                    .get("packages")
                    .and_then(Value::as_array)
                    .ok_or("expected `packages`: an array of {\"name\", \"version\"}")?;
                (packages, python)
            }
            _ => (
                value
                    .as_array()
                    .ok_or("expected a JSON array of {\"name\", \"version\"}")?,
                None,
            ),
        };
        let mut out = Vec::new();
        for item in items {
            let (Some(name), Some(version)) = (
                item.get("name").and_then(Value::as_str),
                item.get("version").and_then(Value::as_str),
            ) else {
                return Err(format!("entry without name and version: {item}"));
            };
            let mut fact = VersionFact::known(
                &normalize_name(name),
                version,
                EvidenceKind::Installed,
                source.to_string(),
            );
            fact.editable = item.get("editable_project_location").is_some();
            out.push(fact);
        }
        return Ok(EnvSnapshot {
            packages: out,
            python_version,
        });
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split(" #").next().unwrap_or(line).trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('-') {
            continue;
        }
        let source_line = format!("{source} line {}", i + 1);
        let req = parse_requirement(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        match &req.spec {
            RequirementSpec::Specifiers(_) => {
                if let Some(v) = req.spec.exact_version() {
                    out.push(VersionFact::known(
                        &req.name,
                        &v.to_string(),
                        EvidenceKind::Installed,
                        source_line,
                    ));
                }
            }
            RequirementSpec::Url { url, git_ref } => out.push(VersionFact {
                package: req.name.clone(),
                version: None,
                written: url.clone(),
                kind: EvidenceKind::Installed,
                source: source_line,
                location: None,
                git: url.starts_with("git+"),
                commit: git_ref.clone(),
                editable: false,
                newest: false,
                picks_from: None,
                replaced: None,
            }),
            _ => {}
        }
    }
    Ok(EnvSnapshot {
        packages: out,
        python_version: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_list_json_and_freeze() {
        let facts = parse_env_file(r#"[{"name": "huggingface-hub", "version": "0.24.2"}, {"name": "peft", "version": "0.12.0"}]"#, "pip-list.json").unwrap().packages;
        assert_eq!(facts[0].package, "huggingface-hub");
        assert_eq!(facts[1].version.as_ref().unwrap().to_string(), "0.12.0");
        let facts = parse_env_file("peft==0.12.0\nunsloth @ git+https://github.com/unslothai/unsloth.git@f20bc23e845d1a7c3e9b06f2d48a1c5e7b3f90d2\n", "freeze.txt").unwrap().packages;
        assert_eq!(facts.len(), 2);
        assert!(facts[1].git);
        assert_eq!(facts[1].source, "freeze.txt line 2");
        assert!(parse_env_file("[{\"x\": 1}]", "f").is_err());
    }

    #[test]
    fn the_object_form_carries_the_interpreter_version() {
        let snapshot = parse_env_file(
            r#"{"python": "3.11.7", "packages": [{"name": "peft", "version": "0.12.0"}]}"#,
            "kernel.json",
        )
        .unwrap();
        assert_eq!(snapshot.python_version.as_deref(), Some("3.11.7"));
        assert_eq!(snapshot.packages[0].package, "peft");
        let unknown = parse_env_file(r#"{"python": null, "packages": []}"#, "k").unwrap();
        assert_eq!(unknown.python_version, None);
        assert!(parse_env_file(r#"{"python": 3.11, "packages": []}"#, "k").is_err());
        assert!(parse_env_file(r#"{"python": "3.11.7"}"#, "k").is_err());
    }
}
