//! The precision benchmark: every warning and error tunelint reports on the real corpus
//! (`../shared/corpus`) has a reviewed verdict in `bench/precision/verdicts.toml`. A finding
//! that appears or disappears without its verdict being updated fails here, and so does a
//! README whose share of true findings is not the file's.

use crate::support::{corpus, repo, run, tunelint};
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Verdicts {
    finding: Vec<Verdict>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Verdict {
    path: String,
    code: String,
    severity: String,
    cell: Option<u64>,
    line: u64,
    construct: String,
    verdict: String,
    why: String,
}

/// What identifies a finding across runs: its file (relative to the corpus), code, severity,
/// place and the construct its message quotes first (`` `torch==2.6.0` ``, or the output line).
/// The rest of a message may be reworded without a new review; a new place, severity or
/// construct needs one.
type Key = (String, String, String, Option<u64>, u64, String);

/// The text between the first pair of backticks of a message.
fn construct(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .filter(|_| message.matches('`').count() >= 2)
        .unwrap_or("")
        .to_string()
}

fn verdicts() -> Vec<Verdict> {
    let text = std::fs::read_to_string(repo().join("bench/precision/verdicts.toml")).unwrap();
    let parsed: Verdicts = toml::from_str(&text).expect("verdicts.toml parses");
    parsed.finding
}

#[test]
fn every_verdict_is_reviewed_and_the_readme_gives_the_share_that_is_true() {
    let verdicts = verdicts();
    for v in &verdicts {
        assert!(
            matches!(v.verdict.as_str(), "true" | "false" | "debatable"),
            "{}: verdict `{}` is not true, false or debatable",
            v.path,
            v.verdict
        );
        assert!(
            v.why.len() > 40,
            "{} {}: say why, with what was checked",
            v.path,
            v.code
        );
    }
    let true_count = verdicts.iter().filter(|v| v.verdict == "true").count();
    let share = format!(
        "{true_count} of {} warnings and errors on the corpus are true",
        verdicts.len()
    );
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        readme.contains(&share),
        "README.md should say \"{share}\" (from bench/precision/verdicts.toml)"
    );
}

#[test]
fn the_corpus_warnings_and_errors_are_the_reviewed_ones() {
    let Some(dir) = corpus() else {
        eprintln!("skipping: ../shared/corpus is not there");
        return;
    };
    let out = run(tunelint()
        .args(["check", "--isolated", "--format", "json", "--exit-zero"])
        .arg(&dir));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON output");
    let reported: BTreeSet<Key> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            (
                // Shown relative to where the run started: `../shared/corpus/notebooks/…`.
                path.split_once("corpus/")
                    .map_or(path, |(_, p)| p)
                    .to_string(),
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["cell"].as_u64(),
                f["start"]["line"].as_u64().unwrap(),
                construct(f["message"].as_str().unwrap()),
            )
        })
        .collect();
    let reviewed: BTreeSet<Key> = verdicts()
        .into_iter()
        .map(|v| (v.path, v.code, v.severity, v.cell, v.line, v.construct))
        .collect();
    let new: Vec<&Key> = reported.difference(&reviewed).collect();
    let gone: Vec<&Key> = reviewed.difference(&reported).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "the corpus findings changed; review them in bench/precision/verdicts.toml\nnew (no verdict yet): {new:#?}\ngone (verdict to remove): {gone:#?}"
    );
}
