//! `tunelint rule ID` and `tunelint advisories`.

use super::{load_kb, KbArgs, ListFormat};
use serde_json::json;

pub fn rule(id: &str, kb_args: &KbArgs) -> Result<u8, String> {
    let kb = load_kb(kb_args)?;
    let Some(a) = kb.get(id) else {
        return Err(format!(
            "no advisory `{id}`; `tunelint advisories` lists them"
        ));
    };
    let mut out = format!("{} ({})\n", a.id, a.severity.as_str());
    if !a.versions.is_empty() {
        let ranges: Vec<String> = a.versions.iter().map(|(p, r)| format!("{p} {r}")).collect();
        out.push_str(&format!("Versions: {}\n", ranges.join(" with ")));
    }
    if let Some(d) = &a.date {
        out.push_str(&format!("Since: {d}\n"));
    }
    out.push('\n');
    out.push_str(&a.body);
    out.push('\n');
    if !a.references.is_empty() {
        out.push_str("\n## References\n\n");
        for r in &a.references {
            out.push_str(&format!("- {r}\n"));
        }
    }
    super::print_out(&out);
    Ok(0)
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
