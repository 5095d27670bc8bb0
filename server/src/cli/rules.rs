//! `tunelint rule ID` and `tunelint advisories`.

use super::{load_kb, load_whole_kb, KbArgs, ListFormat};
use serde_json::json;

pub fn rule(id: &str, kb_args: &KbArgs) -> Result<u8, String> {
    let kb = load_whole_kb(kb_args)?;
    let (a, retired) = match kb.get(id) {
        Some(a) => (a, false),
        None => match kb.alias_target(id) {
            Some(a) => (a, true),
            None => {
                return Err(format!(
                    "no advisory `{id}`; `tunelint advisories` lists them"
                ))
            }
        },
    };
    let mut out = String::new();
    if retired {
        out.push_str(&format!(
            "{} is retired: it is now part of {}, which it names as an alias.\n\n",
            id.to_ascii_uppercase(),
            a.id
        ));
    }
    out.push_str(&format!("{} ({})\n", a.id, a.severity.as_str()));
    if !a.aliases.is_empty() {
        out.push_str(&format!(
            "Aliases (retired codes): {}\n",
            a.aliases.join(", ")
        ));
    }
    if !a.versions.is_empty() {
        let ranges: Vec<String> = a.versions.iter().map(|(p, r)| format!("{p} {r}")).collect();
        out.push_str(&format!("Versions: {}\n", ranges.join(" with ")));
    }
    if let Some(w) = &a.when {
        out.push_str(&format!("When: {w}\n"));
    }
    if let Some((package, on)) = &a.requires_dist {
        out.push_str(&format!(
            "Checks: {package}'s own Requires-Dist on {on} (the release index)\n"
        ));
    }
    for case in &a.cases {
        let mut conditions: Vec<String> = case
            .versions
            .iter()
            .map(|(p, r)| format!("{p} {r}"))
            .collect();
        conditions.extend(case.when.iter().map(ToString::to_string));
        conditions.extend(
            case.require
                .iter()
                .map(|m| format!("the code {}", m.describe())),
        );
        out.push_str(&format!(
            "Case: {} when {}{}\n",
            case.severity.as_str(),
            if conditions.is_empty() {
                "always".to_string()
            } else {
                conditions.join(" and ")
            },
            case.note
                .as_ref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        ));
    }
    if let Some(d) = &a.date {
        out.push_str(&format!("Since: {d}\n"));
    }
    out.push('\n');
    out.push_str(&a.body);
    out.push('\n');
    if let Some(table) = a.table.as_deref().and_then(|t| kb.table(t)) {
        out.push_str(&format!(
            "\n## Table: {} → {} (advisories/tables/{}.toml)\n\n",
            table.key, table.other, table.name
        ));
        out.push_str(&format!(
            "| {} | declares {} | works with {} | source |\n|---|---|---|---|\n",
            table.key, table.other, table.other
        ));
        for r in &table.rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                r.version, r.requires, r.works_with, r.source
            ));
        }
    }
    if !a.provenance.is_empty() {
        out.push_str("\n## Boundaries and their sources\n\n");
        for p in &a.provenance {
            out.push_str(&format!(
                "- {} {}: {} ({})\n",
                p.package,
                p.version,
                p.role.as_str(),
                p.source
            ));
            if let Some(e) = &p.evidence {
                out.push_str(&format!("  {e}\n"));
            }
        }
    }
    if !a.references.is_empty() {
        out.push_str("\n## References\n\n");
        for r in &a.references {
            out.push_str(&format!("- {r}\n"));
        }
    }
    super::print_out(&out);
    Ok(0)
}

/// Runs advisories' own examples: every advisory's, or with `--advisories DIR` that directory's.
/// Exit code 1 when any example does not do what it says.
pub fn test_examples(kb_args: &KbArgs) -> Result<u8, String> {
    let kb = load_whole_kb(kb_args)?;
    let ids: Option<Vec<String>> = match &kb_args.advisories {
        Some(dir) => Some(
            crate::workspace::read_advisory_dir(dir)
                .map_err(|e| format!("cannot read advisories from {}: {e}", dir.display()))?
                .iter()
                .filter_map(|(_, text)| crate::kb::Advisory::parse(text).ok())
                .map(|a| a.id)
                .collect(),
        ),
        None => None,
    };
    let mut out = String::new();
    let (mut passed, mut failed) = (0, 0);
    for advisory in &kb.advisories {
        if ids.as_ref().is_some_and(|ids| !ids.contains(&advisory.id)) {
            continue;
        }
        for example in &advisory.examples {
            match crate::advisory_examples::run_example(advisory, example, &kb) {
                Ok(_) => passed += 1,
                Err(e) => {
                    failed += 1;
                    out.push_str(&format!("FAIL {} / {}: {e}\n", advisory.id, example.name));
                }
            }
        }
    }
    out.push_str(&format!("{passed} examples passed, {failed} failed\n"));
    super::print_out(&out);
    Ok(u8::from(failed > 0))
}

pub fn list(format: ListFormat, kb_args: &KbArgs) -> Result<u8, String> {
    let kb = load_kb(kb_args)?;
    match format {
        ListFormat::Json => {
            let list: Vec<_> = kb
                .advisories
                .iter()
                .map(|a| {
                    json!({
                        "id": a.id,
                        "title": a.title,
                        "severity": a.severity,
                        "packages": a.versions.iter().map(|(p, r)| json!({"name": p, "versions": r.to_string()})).collect::<Vec<_>>(),
                        "references": a.references,
                    })
                })
                .collect();
            super::print_out(
                &(serde_json::to_string_pretty(&json!({ "advisories": list })).unwrap_or_default()
                    + "\n"),
            );
        }
        ListFormat::Text => {
            let mut out = String::new();
            for a in &kb.advisories {
                out.push_str(&format!(
                    "{:<8} {:<8} {}\n",
                    a.id,
                    a.severity.as_str(),
                    a.title
                ));
            }
            super::print_out(&out);
        }
    }
    Ok(0)
}
