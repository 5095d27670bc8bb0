//! An advisory's page, as `tunelint rule ID` prints it and the editor shows it when a
//! diagnostic's code is followed.

use crate::kb::{Advisory, KnowledgeBase};

/// The page of advisory `a`; `retired` is the retired code it was asked for by, if it was.
pub fn rule_page(a: &Advisory, retired: Option<&str>, kb: &KnowledgeBase) -> String {
    let mut out = String::new();
    if let Some(retired) = retired {
        out.push_str(&format!(
            "{} is retired: it is now part of {}, which it names as an alias.\n\n",
            retired.to_ascii_uppercase(),
            a.id
        ));
    }
    out.push_str(&format!("{}: {}\n", a.id, a.title));
    out.push_str(&format!(
        "Severity: {} (the run {})\n",
        a.severity.as_str(),
        a.effect.describe()
    ));
    if let Some(why) = &a.lowered {
        out.push_str(&format!("Severity lowered: {why}\n"));
    }
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
            "Case: {} ({}) when {}{}\n",
            case.severity.as_str(),
            case.effect.describe(),
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
    out
}
