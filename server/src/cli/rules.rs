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
    super::print_out(&crate::render::rule_page(a, retired.then_some(id), &kb));
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
    let (mut passed, mut failed, mut reported, mut tested) = (0, 0, 0, 0);
    for advisory in &kb.advisories {
        if ids.as_ref().is_some_and(|ids| !ids.contains(&advisory.id)) {
            continue;
        }
        tested += 1;
        reported += usize::from(!advisory.reports().is_empty());
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
    out.push_str(&format!(
        "{passed} examples passed, {failed} failed; {reported} of {tested} advisories have an example trimmed from a public report\n"
    ));
    super::print_out(&out);
    Ok(u8::from(failed > 0))
}

pub fn list(format: ListFormat, kb_args: &KbArgs) -> Result<u8, String> {
    // The JSON listing names each advisory's reports, which live in its examples: only the
    // whole copy has them.
    let kb = match format {
        ListFormat::Json => load_whole_kb(kb_args)?,
        ListFormat::Text => load_kb(kb_args)?,
    };
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
                        // The public reports the advisory's examples are trimmed from.
                        "reports": a.reports(),
                        // The text one of which a line must contain for each symptom to match
                        // (null: none, the pattern is tried on every line), for pre-filters.
                        "symptoms": a.symptoms.iter().map(|symptom| {
                            let source = symptom.pattern.as_str();
                            json!({
                                "pattern": source,
                                "literals": crate::kb::pattern_literals(source).and_then(|found| {
                                    found.into_iter().map(|l| String::from_utf8(l).ok()).collect::<Option<Vec<_>>>()
                                }),
                            })
                        }).collect::<Vec<_>>(),
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
