//! The real corpus in ../shared/corpus (skipped when it is absent): no crash on any file, no
//! UNS001 error on any notebook (none of them shows the founding case), and the deliberately
//! malformed notebooks are findings.

use crate::support::{corpus, run, tunelint};

#[test]
fn corpus_runs_clean_of_false_alarms() {
    let Some(dir) = corpus() else {
        eprintln!("skipping: ../shared/corpus is not there");
        return;
    };
    let out = run(tunelint()
        .args(["check", "--isolated", "--format", "json"])
        .arg(&dir));
    assert!(
        out.code == 0 || out.code == 1,
        "tunelint failed on the corpus (exit {}): {}",
        out.code,
        out.stderr
    );
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON output");
    let findings = v["findings"].as_array().unwrap();
    let false_alarms: Vec<_> = findings
        .iter()
        .filter(|f| f["code"] == "UNS001" && f["severity"] == "error")
        .collect();
    assert!(
        false_alarms.is_empty(),
        "UNS001 errors on the corpus: {false_alarms:#?}"
    );
    let malformed: std::collections::BTreeSet<_> = findings
        .iter()
        .filter(|f| f["code"] == "TL001")
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert!(
        malformed.len() >= 6,
        "the corpus has six malformed notebooks; found {malformed:#?}"
    );
}
