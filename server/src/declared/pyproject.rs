//! pyproject.toml: PEP 621 `dependencies` and `optional-dependencies`, Poetry's dependency
//! tables, and tunelint's own `[tool.tunelint]` settings.

use super::{DeclaredFile, DeclaredRequirement, FileProblem};
use crate::requirement::{normalize_name, parse_requirement, Requirement, RequirementSpec};
use crate::text::TextRange;
use pep440_rs::VersionSpecifiers;
use std::str::FromStr;
use toml_edit::{Document, Item, Value};

/// `[tool.tunelint]` as written; paths are relative to the file that holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToolConfig {
    pub python: Option<String>,
    pub site_packages: Option<String>,
    pub env_file: Option<String>,
    pub advisories: Option<String>,
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub fail_level: Option<String>,
    pub exclude: Vec<String>,
    /// Globs (relative to the configuration's directory) of files to read as training logs
    /// although their names do not say so (`runs/*.out`).
    pub include: Vec<String>,
    pub extend_select: Vec<String>,
    /// Glob (relative to the configuration's directory) → codes ignored in matching files.
    pub per_file_ignores: Vec<(String, Vec<String>)>,
}

const TOOL_KEYS: &[&str] = &[
    "python",
    "site-packages",
    "env-file",
    "advisories",
    "select",
    "extend-select",
    "ignore",
    "per-file-ignores",
    "fail-level",
    "exclude",
    "include",
];

/// Reads a pyproject.toml. Invalid TOML is a problem at the place the parser stopped.
pub fn parse_pyproject(text: &str) -> (DeclaredFile, Option<ToolConfig>) {
    let mut file = DeclaredFile::default();
    let doc = match Document::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let range = e.span().map_or(TextRange::empty(0), |r| {
                TextRange::new(r.start, r.end.max(r.start))
            });
            file.problems.push(FileProblem {
                range,
                message: format!("invalid TOML: {}", e.message()),
            });
            return (file, None);
        }
    };
    let root = doc.as_table();
    if let Some(project) = root.get("project").and_then(Item::as_table_like) {
        if let Some(deps) = project.get("dependencies").and_then(Item::as_array) {
            pep508_array(text, deps, "[project] dependencies", &mut file);
        }
        if let Some(optional) = project
            .get("optional-dependencies")
            .and_then(Item::as_table_like)
        {
            for (group, item) in optional.iter() {
                if let Some(deps) = item.as_array() {
                    pep508_array(
                        text,
                        deps,
                        &format!("[project.optional-dependencies] {group}"),
                        &mut file,
                    );
                }
            }
        }
    }
    if let Some(groups) = root.get("dependency-groups").and_then(Item::as_table_like) {
        for (group, item) in groups.iter() {
            if let Some(deps) = item.as_array() {
                pep508_array(
                    text,
                    deps,
                    &format!("[dependency-groups] {group}"),
                    &mut file,
                );
            }
        }
    }
    let tool = root.get("tool").and_then(Item::as_table_like);
    if let Some(poetry) = tool
        .and_then(|t| t.get("poetry"))
        .and_then(Item::as_table_like)
    {
        if let Some(deps) = poetry.get("dependencies").and_then(Item::as_table_like) {
            poetry_table(text, deps, "[tool.poetry.dependencies]", &mut file);
        }
        if let Some(groups) = poetry.get("group").and_then(Item::as_table_like) {
            for (name, group) in groups.iter() {
                if let Some(deps) = group.get("dependencies").and_then(Item::as_table_like) {
                    poetry_table(
                        text,
                        deps,
                        &format!("[tool.poetry.group.{name}.dependencies]"),
                        &mut file,
                    );
                }
            }
        }
    }
    let config = tool
        .and_then(|t| t.get("tunelint"))
        .map(|item| read_tool_config(item, &mut file));
    (file, config)
}

/// Reads a TOML text that holds a PEP 723 style `dependencies = [...]` array. `map` turns an
/// offset in `toml` back into an offset in the file the TOML was cut from.
pub fn parse_toml_dependencies(toml: &str, map: &dyn Fn(usize) -> usize) -> DeclaredFile {
    let mut inner = DeclaredFile::default();
    match Document::parse(toml) {
        Ok(doc) => {
            if let Some(deps) = doc.as_table().get("dependencies").and_then(Item::as_array) {
                pep508_array(toml, deps, "script metadata", &mut inner);
            }
        }
        Err(e) => {
            let at = e.span().map_or(0, |r| r.start);
            inner.problems.push(FileProblem {
                range: TextRange::empty(at),
                message: format!("invalid TOML in the `# /// script` block: {}", e.message()),
            });
        }
    }
    let remap = |r: TextRange| {
        TextRange::new(
            map(r.start),
            map(r.end.saturating_sub(1)) + usize::from(r.end > r.start),
        )
    };
    for req in &mut inner.requirements {
        req.range = remap(req.range);
    }
    for p in &mut inner.problems {
        p.range = remap(p.range);
    }
    inner
}

fn read_tool_config(item: &Item, file: &mut DeclaredFile) -> ToolConfig {
    let mut config = ToolConfig::default();
    let Some(table) = item.as_table_like() else {
        file.problems.push(FileProblem {
            range: span(item),
            message: "[tool.tunelint] must be a table".into(),
        });
        return config;
    };
    for (key, value) in table.iter() {
        let as_string = || value.as_str().map(str::to_string);
        let as_list = || {
            value.as_array().map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect::<Vec<_>>()
            })
        };
        match key {
            "python" => config.python = as_string(),
            "site-packages" => config.site_packages = as_string(),
            "env-file" => config.env_file = as_string(),
            "advisories" => config.advisories = as_string(),
            "fail-level" => {
                config.fail_level = as_string();
                if !matches!(
                    config.fail_level.as_deref(),
                    Some("error" | "warning" | "info")
                ) {
                    file.problems.push(FileProblem {
                        range: span(value),
                        message: "`fail-level` must be \"error\", \"warning\" or \"info\"".into(),
                    });
                }
            }
            "select" => config.select = as_list(),
            "ignore" => config.ignore = as_list().unwrap_or_default(),
            "exclude" => config.exclude = as_list().unwrap_or_default(),
            "include" => config.include = as_list().unwrap_or_default(),
            "extend-select" => config.extend_select = as_list().unwrap_or_default(),
            "per-file-ignores" => match value.as_table_like() {
                Some(t) => {
                    for (glob, codes) in t.iter() {
                        let codes = codes
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|v| v.as_str().map(str::to_string))
                                    .collect()
                            })
                            .unwrap_or_default();
                        config.per_file_ignores.push((glob.to_string(), codes));
                    }
                }
                None => file.problems.push(FileProblem {
                    range: span(value),
                    message: "`per-file-ignores` must be a table of glob = [codes]".into(),
                }),
            },
            other => file.problems.push(FileProblem {
                range: span(value),
                message: format!(
                    "unknown key `{other}` in [tool.tunelint] (known keys: {})",
                    TOOL_KEYS.join(", ")
                ),
            }),
        }
    }
    config
}

fn span(item: &Item) -> TextRange {
    item.span()
        .map_or(TextRange::empty(0), |r| TextRange::new(r.start, r.end))
}

/// The range of a TOML string's contents, inside its quotes.
fn string_contents(text: &str, value: &Value) -> Option<TextRange> {
    let r = value.span()?;
    let raw = text.get(r.clone())?;
    let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        3
    } else {
        1
    };
    if raw.len() < 2 * quote {
        return None;
    }
    Some(TextRange::new(r.start + quote, r.end - quote))
}

fn pep508_array(text: &str, deps: &toml_edit::Array, context: &str, file: &mut DeclaredFile) {
    for value in deps.iter() {
        let Some(s) = value.as_str() else { continue };
        let range = string_contents(text, value).unwrap_or_default();
        match parse_requirement(s) {
            Ok(requirement) => file.requirements.push(DeclaredRequirement {
                requirement,
                range,
                context: context.to_string(),
                pep508: true,
            }),
            Err(e) => file.problems.push(FileProblem {
                range,
                message: format!("cannot read requirement `{s}`: {e}"),
            }),
        }
    }
}

fn poetry_table(
    text: &str,
    deps: &dyn toml_edit::TableLike,
    context: &str,
    file: &mut DeclaredFile,
) {
    for (name, item) in deps.iter() {
        if name == "python" {
            continue;
        }
        let (constraint, value) = match item {
            Item::Value(v @ Value::String(_)) => (v.as_str().map(str::to_string), Some(v)),
            Item::Value(Value::InlineTable(t)) => {
                let v = t.get("version");
                (v.and_then(|v| v.as_str()).map(str::to_string), v)
            }
            _ => (None, None),
        };
        let range = value
            .and_then(|v| string_contents(text, v))
            .unwrap_or_else(|| span(item));
        let spec = match constraint.as_deref().map(poetry_to_pep440) {
            None => RequirementSpec::Unpinned,
            Some(Ok(Some(specs))) => RequirementSpec::Specifiers(specs),
            Some(Ok(None)) => RequirementSpec::Unpinned,
            Some(Err(e)) => {
                file.problems.push(FileProblem {
                    range,
                    message: format!("cannot read Poetry constraint for `{name}`: {e}"),
                });
                continue;
            }
        };
        let requirement = Requirement {
            name: normalize_name(name),
            extras: vec![],
            spec,
            marker: None,
        };
        file.requirements.push(DeclaredRequirement {
            requirement,
            range,
            context: context.to_string(),
            pep508: false,
        });
    }
}

/// Poetry's `^1.2.3`, `~1.2`, `1.2.*`, `*` and comma lists, as PEP 440 specifiers.
fn poetry_to_pep440(constraint: &str) -> Result<Option<VersionSpecifiers>, String> {
    let mut parts = Vec::new();
    for part in constraint
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        if part == "*" {
            continue;
        }
        if let Some(v) = part.strip_prefix('^') {
            let nums: Vec<u64> = v
                .split('.')
                .map(|n| n.parse().map_err(|_| format!("bad version `{v}`")))
                .collect::<Result<_, _>>()?;
            let idx = nums
                .iter()
                .position(|&n| n != 0)
                .unwrap_or(nums.len().saturating_sub(1));
            let mut upper: Vec<u64> = nums[..=idx].to_vec();
            upper[idx] += 1;
            let upper: Vec<String> = upper.iter().map(u64::to_string).collect();
            parts.push(format!(">={v}"));
            parts.push(format!("<{}", upper.join(".")));
        } else if let Some(v) = part.strip_prefix('~').filter(|v| !v.starts_with('=')) {
            let nums: Vec<&str> = v.split('.').collect();
            parts.push(format!(">={v}"));
            if nums.len() >= 2 {
                let minor: u64 = nums[1].parse().map_err(|_| format!("bad version `{v}`"))?;
                parts.push(format!("<{}.{}", nums[0], minor + 1));
            } else {
                let major: u64 = nums[0].parse().map_err(|_| format!("bad version `{v}`"))?;
                parts.push(format!("<{}", major + 1));
            }
        } else if part.starts_with(|c: char| c.is_ascii_digit()) {
            parts.push(format!("=={part}"));
        } else {
            parts.push(part.to_string());
        }
    }
    if parts.is_empty() {
        return Ok(None);
    }
    VersionSpecifiers::from_str(&parts.join(","))
        .map(Some)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep621_poetry_and_tool_config() {
        let text = r#"[project]
name = "x"
dependencies = ["peft", "trl<0.9.0"]
[project.optional-dependencies]
train = ["unsloth @ git+https://github.com/unslothai/unsloth.git"]
[tool.poetry.dependencies]
python = "^3.10"
transformers = "^4.43"
xformers = { version = "~0.0.26" }
[tool.tunelint]
env-file = "pip-list.json"
colour = "red"
"#;
        let (file, config) = parse_pyproject(text);
        let got: Vec<_> = file
            .requirements
            .iter()
            .map(|r| (r.requirement.name.as_str(), r.range.slice(text)))
            .collect();
        assert_eq!(
            got,
            [
                ("peft", "peft"),
                ("trl", "trl<0.9.0"),
                (
                    "unsloth",
                    "unsloth @ git+https://github.com/unslothai/unsloth.git"
                ),
                ("transformers", "^4.43"),
                ("xformers", "~0.0.26"),
            ]
        );
        let RequirementSpec::Specifiers(s) = &file.requirements[3].requirement.spec else {
            panic!()
        };
        assert_eq!(s.to_string(), ">=4.43, <5");
        let RequirementSpec::Specifiers(s) = &file.requirements[4].requirement.spec else {
            panic!()
        };
        assert_eq!(s.to_string(), ">=0.0.26, <0.1");
        assert_eq!(config.unwrap().env_file.as_deref(), Some("pip-list.json"));
        assert_eq!(file.problems.len(), 1);
        assert!(file.problems[0].message.contains("colour"));
    }

    #[test]
    fn invalid_toml_is_a_problem_with_a_place() {
        let (file, _) = parse_pyproject("[project\nname = 1\n");
        assert_eq!(file.problems.len(), 1);
        assert!(file.problems[0].message.starts_with("invalid TOML"));
    }
}
