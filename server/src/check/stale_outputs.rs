//! Saved outputs the code has moved on from. A notebook edited after it ran keeps the old
//! outputs under the new code: a cell that now loads Qwen3 can still show the banner of the
//! Qwen2 run it had before. Such an output is no evidence about the code above it, so a
//! finding that rests on it is at most an info that says so.
//!
//! The test is deliberately narrow: the banner's model family must be one whose name every
//! model of that architecture carries (Gemma, Qwen), and the loaded name must name another
//! generation of it, or another family. Llama and Mistral banners are never judged: Unsloth
//! patches Phi, Orpheus, TinyLlama and many others through them.

use super::run_outcome::evidence_cell;
use crate::evidence::VersionFact;
use crate::finding::{Finding, Severity};
use crate::source::Document;
use crate::syntax::{Literal, PythonFacts};
use crate::text::TextRange;
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A code cell whose saved output comes from a run of another model than the one it loads.
struct StaleCell {
    /// 0-based cell index.
    cell: usize,
    /// The family the banner names: `Qwen2`.
    family: String,
    /// The model the cell loads now.
    model: String,
}

/// Families whose every model carries the family's name.
const NAMED_FAMILIES: &[&str] = &["gemma", "qwen"];
/// Family words a model name can carry, to tell "another family" from "a name we cannot read".
const FAMILY_WORDS: &[&str] = &[
    "gemma", "qwen", "llama", "mistral", "phi", "granite", "gpt-oss", "deepseek", "falcon",
];

fn banner() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"Unsloth(?: \d\S*)?: Fast (\w+) (?:vision )?patching")
            .expect("built-in pattern compiles")
    })
}

/// The generation digit right after `word` in `text` (`qwen2.5` → 2, `gemma-3n` → 3), when
/// what follows is a generation and not a size (`gemma-7b`, `gemma-270m`).
fn generation_after(text: &str, word: &str) -> Option<char> {
    let rest = &text[text.find(word)? + word.len()..];
    let rest = rest.strip_prefix(['-', '_']).unwrap_or(rest);
    let mut chars = rest.chars();
    let digit = chars.next().filter(char::is_ascii_digit)?;
    match chars.next() {
        None | Some('.' | '-' | '_' | 'n') => Some(digit),
        Some(_) => None,
    }
}

/// Whether a banner's family and a loaded model's name cannot be the same model.
fn contradicts(family: &str, model: &str) -> bool {
    let family = family.to_ascii_lowercase();
    let model = model.to_ascii_lowercase();
    let Some(word) = NAMED_FAMILIES.iter().find(|w| family.starts_with(**w)) else {
        return false;
    };
    if !model.contains(word) {
        return FAMILY_WORDS.iter().any(|w| model.contains(w));
    }
    match (
        generation_after(&family, word),
        generation_after(&model, word),
    ) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    }
}

/// The model names the `Fast*.from_pretrained(...)` calls in `range` load: a string literal
/// given as `model_name=` or first, or a name assigned a string literal before the call.
fn loaded_models(facts: &PythonFacts, range: TextRange) -> Vec<String> {
    let resolve = |value: &Literal, at: usize| -> Option<String> {
        match value {
            Literal::Str(s) => Some(s.clone()),
            Literal::Expr(name) => facts
                .assignments
                .iter()
                .rev()
                .find(|a| &a.name == name && a.range.start < at)
                .and_then(|a| match &a.value {
                    Literal::Str(s) => Some(s.clone()),
                    _ => None,
                }),
            _ => None,
        }
    };
    facts
        .calls
        .iter()
        .filter(|c| range.start <= c.range.start && c.range.start < range.end)
        .filter(|c| c.callee.ends_with(".from_pretrained") && c.callee.contains("Fast"))
        .filter_map(|c| {
            let value = c
                .keywords
                .iter()
                .find(|k| k.name == "model_name")
                .map(|k| &k.value)
                .or(c.positional.first())?;
            resolve(value, c.range.start)
        })
        .collect()
}

fn stale_cells(doc: &Document, facts: &PythonFacts) -> Vec<StaleCell> {
    let Some(nb) = &doc.notebook else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for span in &nb.map.spans {
        let family = nb.cells[span.cell]
            .outputs
            .iter()
            .find_map(|o| banner().captures(&o.text).map(|c| c[1].to_string()));
        let Some(family) = family else { continue };
        let models = loaded_models(facts, span.range);
        if !models.is_empty() && models.iter().all(|m| contradicts(&family, m)) {
            out.push(StaleCell {
                cell: span.cell,
                family,
                model: models[0].clone(),
            });
        }
    }
    out
}

/// Makes every finding whose evidence is a stale cell's saved output an info that says why.
pub(super) fn soften_stale(
    doc: &Document,
    facts: &PythonFacts,
    last_run: &BTreeMap<String, VersionFact>,
    findings: &mut [Finding],
) {
    if doc.notebook.is_none() || findings.is_empty() {
        return;
    }
    let stale = stale_cells(doc, facts);
    if stale.is_empty() {
        return;
    }
    for f in findings.iter_mut() {
        let Some(cell) = evidence_cell(doc, last_run, f) else {
            continue;
        };
        let Some(s) = stale.iter().find(|s| s.cell == cell) else {
            continue;
        };
        f.severity = f.severity.min(Severity::Info);
        f.message = format!(
            "{}; but cell {}'s saved output comes from a run of {}, and the cell now loads `{}`: rerun it to refresh the output",
            f.message,
            s.cell + 1,
            s.family,
            s.model
        );
    }
}

#[cfg(test)]
mod tests {
    use super::contradicts;

    #[test]
    fn a_banner_contradicts_only_another_generation_or_family() {
        assert!(contradicts("Qwen2", "unsloth/Qwen3-1.7B"));
        assert!(contradicts("Gemma2", "unsloth/gemma-3-4b-it"));
        assert!(contradicts("Gemma2", "unsloth/Llama-3.2-1B"));
        assert!(!contradicts("Qwen2", "unsloth/Qwen2.5-Coder-1.5B-Instruct"));
        assert!(!contradicts("Qwen3", "unsloth/DeepSeek-R1-0528-Qwen3-8B"));
        assert!(!contradicts("Gemma3", "unsloth/functiongemma-270m-it"));
        assert!(!contradicts("Gemma3N", "unsloth/gemma-3n-E4B-it"));
        assert!(!contradicts("Gemma4_Unified", "unsloth/gemma-4-12b-it"));
        assert!(!contradicts(
            "Qwen2",
            "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"
        ));
        assert!(!contradicts("Gemma", "google/gemma-7b"));
        // Unsloth patches many architectures through Llama and Mistral.
        assert!(!contradicts("Llama", "unsloth/Phi-4"));
        assert!(!contradicts("Mistral", "unsloth/Phi-3-medium-4k-instruct"));
        // A name that says nothing about its family is not judged.
        assert!(!contradicts("Qwen2", "./outputs/checkpoint-60"));
    }
}
