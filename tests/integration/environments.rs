//! Environments read from files: the fixture venvs, their dist-info, PEP 610 data and broken
//! metadata.

use crate::support::{run, tunelint};

fn json(args: &[&str]) -> serde_json::Value {
    let out = run(tunelint().args(args));
    assert_ne!(out.code, 2, "{}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

fn codes(value: &serde_json::Value) -> Vec<(String, String)> {
    value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().into(),
                f["severity"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[test]
fn the_founding_venv_is_a_warning_at_the_import_and_the_call() {
    let v = json(&[
        "check",
        "tests/fixtures/envs/founding/train.py",
        "--format",
        "json",
    ]);
    let found = codes(&v);
    assert_eq!(
        found,
        vec![("UNS001".to_string(), "warning".to_string()); 2],
        "{v:#}"
    );
    let message = v["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("peft 0.12.0 (installed"), "{message}");
    assert!(message.contains("peft-0.12.0.dist-info"), "{message}");
    assert!(
        message.contains("unsloth 2024.7 (installed, from git at 3c4f0e1b7d"),
        "{message}"
    );
}

#[test]
fn the_fixed_git_build_and_the_pinned_peft_are_clean() {
    for dir in ["fixed", "pinned-peft"] {
        let v = json(&[
            "check",
            &format!("tests/fixtures/envs/{dir}/train.py"),
            "--format",
            "json",
        ]);
        assert!(codes(&v).iter().all(|(c, _)| c != "UNS001"), "{dir}: {v:#}");
    }
}

#[test]
fn broken_metadata_is_reported_not_fatal() {
    let out = run(tunelint().args([
        "check",
        "tests/fixtures/envs/broken-metadata/train.py",
        "--format",
        "concise",
    ]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("TL002"), "{}", out.stdout);
    assert!(out.stdout.contains("notaversion"), "{}", out.stdout);
    assert!(out.stdout.contains("direct_url.json"), "{}", out.stdout);
}

#[test]
fn flags_override_discovery() {
    let v = json(&[
        "check",
        "tests/fixtures/envs/founding/train.py",
        "--format",
        "json",
        "--site-packages",
        "tests/fixtures/envs/pinned-peft/.venv/lib/python3.11/site-packages",
    ]);
    assert!(codes(&v).is_empty(), "{v:#}");
    let v = json(&[
        "check",
        "tests/fixtures/envs/pinned-peft/train.py",
        "--format",
        "json",
        "--python",
        "tests/fixtures/envs/founding/.venv/bin/python",
    ]);
    assert_eq!(codes(&v).len(), 2, "{v:#}");
}

#[test]
fn env_command_prints_the_table() {
    let out = run(tunelint().args(["env", "tests/fixtures/envs/founding"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("env_founding", out.stdout);
    let out = run(tunelint().args(["env", "tests/fixtures/envs/founding", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(
        v["advisories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == "UNS001"),
        "{v:#}"
    );
    let unsloth = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["package"] == "unsloth")
        .unwrap();
    assert_eq!(
        unsloth["git_commit"],
        "3c4f0e1b7d92a58e6f13c0b2d4a97e85f1620b3d"
    );
    let editable = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["package"] == "my-project");
    assert!(editable.is_some(), "{v:#}");
}
