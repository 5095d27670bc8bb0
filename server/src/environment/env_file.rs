//! Environment snapshots: `pip freeze` and `pip list --format=json` output saved to a file.

use crate::evidence::{EvidenceKind, VersionFact};
use crate::requirement::{normalize_name, parse_requirement, RequirementSpec};
use serde_json::Value;

/// Reads a snapshot. JSON (an array of `{"name", "version"}`) or freeze lines (`name==version`,
/// `name @ url`). `source` names the file in messages.
pub fn parse_env_file(text: &str, source: &str) -> Result<Vec<VersionFact>, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("invalid JSON at {}:{}: {e}", e.line(), e.column()))?;
        let items = value
            .as_array()
            .ok_or("expected a JSON array of {\"name\", \"version\"}")?;
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
        return Ok(out);
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
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_list_json_and_freeze() {
        let facts = parse_env_file(r#"[{"name": "huggingface-hub", "version": "0.24.2"}, {"name": "peft", "version": "0.12.0"}]"#, "pip-list.json").unwrap();
        assert_eq!(facts[0].package, "huggingface-hub");
        assert_eq!(facts[1].version.as_ref().unwrap().to_string(), "0.12.0");
        let facts = parse_env_file("peft==0.12.0\nunsloth @ git+https://github.com/unslothai/unsloth.git@f20bc23e845d1a7c3e9b06f2d48a1c5e7b3f90d2\n", "freeze.txt").unwrap();
        assert_eq!(facts.len(), 2);
        assert!(facts[1].git);
        assert_eq!(facts[1].source, "freeze.txt line 2");
        assert!(parse_env_file("[{\"x\": 1}]", "f").is_err());
    }
}
