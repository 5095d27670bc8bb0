//! The CLI as users run it: formats (snapshots), exit codes, fixes, and malformed input.

use crate::support::{copy_tree, repo, run, tunelint};

#[test]
fn example_full_format() {
    let out = run(tunelint().args(["check", "examples"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    insta::assert_snapshot!("example_full", out.stdout);
}

#[test]
fn example_concise_format() {
    let out = run(tunelint().args(["check", "examples", "--format", "concise"]));
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("example_concise", out.stdout);
}

#[test]
fn example_json_format() {
    let out = run(tunelint().args(["check", "examples", "--format", "json"]));
    assert_eq!(out.code, 1);
    let value: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON object");
    for f in value["findings"].as_array().unwrap() {
        for key in [
            "code", "severity", "message", "path", "cell", "start", "end", "fixes", "evidence",
        ] {
            assert!(f.get(key).is_some(), "finding lacks `{key}`: {f}");
        }
    }
    insta::assert_snapshot!("example_json", out.stdout);
}

#[test]
fn notebook_findings_are_located_in_their_cell() {
    let out = run(tunelint().args([
        "check",
        "examples/founding-case/gemma2-finetune.ipynb",
        "--format",
        "json",
    ]));
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let f = value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "UNS001")
        .expect("UNS001");
    assert_eq!(f["severity"], "warning");
    assert_eq!(
        f["cell"], 5,
        "the get_peft_model cell is the fifth cell, markdown included"
    );
    assert_eq!(f["start"], serde_json::json!({"line": 1, "column": 9}));
}

#[test]
fn exit_codes() {
    let clean = run(tunelint().args([
        "check",
        "tests/fixtures/notebooks/source-as-string.ipynb",
        "--isolated",
    ]));
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    assert!(clean.stdout.contains("All checks passed!"));
    assert_eq!(
        run(tunelint().args(["check", "examples", "--format", "yaml"])).code,
        2
    );
    assert_eq!(run(tunelint().args(["check", "does/not/exist"])).code, 2);
    assert_eq!(
        run(tunelint().args(["check", "examples", "--exit-zero"])).code,
        0
    );
    assert_eq!(
        run(tunelint().args(["check", "--env-file", "missing.json", "examples"])).code,
        2
    );
}

#[test]
fn benign_zero_layer_lines_are_not_errors() {
    for name in [
        "benign-qwen2-zero-qkv.ipynb",
        "benign-dropout-zero-all.ipynb",
        "benign-target-modules-zero-all.ipynb",
    ] {
        let out = run(tunelint().args([
            "check",
            &format!("tests/fixtures/notebooks/{name}"),
            "--format",
            "json",
            "--isolated",
        ]));
        assert_eq!(out.code, 0, "{name}: {}", out.stdout);
        let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        for f in value["findings"].as_array().unwrap() {
            assert_eq!(f["severity"], "info", "{name}: {f}");
        }
    }
}

#[test]
fn malformed_notebooks_are_findings_with_a_position() {
    let out = run(tunelint().args([
        "check",
        "tests/fixtures/notebooks/trailing-comma.ipynb",
        "tests/fixtures/notebooks/not-json.ipynb",
        "tests/fixtures/notebooks/nbformat3.ipynb",
        "--format",
        "concise",
        "--isolated",
    ]));
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("malformed_notebooks", out.stdout);
}

#[test]
fn the_magics_fixture_reads_every_install_form() {
    let out = run(tunelint().args([
        "check",
        "tests/fixtures/notebooks/magics-and-shell.ipynb",
        "--isolated",
        "--format",
        "concise",
    ]));
    assert_ne!(out.code, 2, "{}", out.stderr);
}

#[test]
fn git_builds_from_before_the_fix_are_found_in_saved_pip_output() {
    let out = run(tunelint().args([
        "check",
        "tests/fixtures/notebooks/uv-and-pip-outputs.ipynb",
        "--isolated",
        "--format",
        "json",
    ]));
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let codes: Vec<_> = value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        codes.contains(&("UNS001".into(), "warning".into())),
        "{}",
        out.stdout
    );
}

#[test]
fn fix_rewrites_the_notebook_and_keeps_every_other_byte() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("examples/founding-case"), dir.path());
    let nb = dir.path().join("gemma2-finetune.ipynb");
    let before = std::fs::read_to_string(&nb).unwrap();
    let out = run(tunelint()
        .args(["check", "--fix", "--unsafe-fixes", "--format", "concise"])
        .arg(dir.path()));
    assert_ne!(out.code, 2, "{}", out.stderr);
    let after = std::fs::read_to_string(&nb).unwrap();
    assert_ne!(before, after);
    let old: serde_json::Value = serde_json::from_str(&before).unwrap();
    let new: serde_json::Value = serde_json::from_str(&after).unwrap();
    let old_cells = old["cells"].as_array().unwrap();
    let new_cells = new["cells"].as_array().unwrap();
    assert_eq!(new_cells.len(), old_cells.len() + 1, "one cell inserted");
    // The inserted cell comes right before the first unsloth import (cell 3, index 2).
    let inserted: String = new_cells[2]["source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(inserted.contains("pip uninstall unsloth -y"), "{inserted}");
    // Outputs and metadata are untouched: the old text minus the changed spans is identical.
    assert_eq!(old["metadata"], new["metadata"]);
    assert_eq!(old_cells[4]["outputs"], new_cells[5]["outputs"]);
    assert!(after.ends_with("}\n"));
    let pyproject = std::fs::read_to_string(dir.path().join("pyproject.toml")).unwrap();
    assert!(pyproject.contains("\"peft<0.12\""), "{pyproject}");
    nbformat_validates(&nb);

    // A second run changes nothing.
    let again = run(tunelint()
        .args(["check", "--fix", "--unsafe-fixes", "--format", "concise"])
        .arg(dir.path()));
    assert_ne!(again.code, 2);
    assert_eq!(
        std::fs::read_to_string(&nb).unwrap(),
        after,
        "--fix is idempotent"
    );
}

#[test]
fn safe_fix_alone_leaves_unsafe_edits() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("examples/founding-case"), dir.path());
    let before = std::fs::read_to_string(dir.path().join("pyproject.toml")).unwrap();
    run(tunelint().args(["check", "--fix"]).arg(dir.path()));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pyproject.toml")).unwrap(),
        before
    );
}

#[test]
fn diff_prints_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("examples/founding-case"), dir.path());
    let before = std::fs::read_to_string(dir.path().join("pyproject.toml")).unwrap();
    let out = run(tunelint()
        .args(["check", "--diff", "--unsafe-fixes"])
        .arg(dir.path()));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("-    \"peft\",\n+    \"peft<0.12\",\n"),
        "{}",
        out.stdout
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pyproject.toml")).unwrap(),
        before
    );
}

#[test]
fn rule_and_advisories() {
    let out = run(tunelint().args(["rule", "UNS001"]));
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("# UNS001"));
    assert_eq!(run(tunelint().args(["rule", "NOPE999"])).code, 2);
    let out = run(tunelint().args(["advisories", "--format", "json"]));
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let first = &value["advisories"][0];
    for key in ["id", "title", "severity", "packages", "references"] {
        assert!(first.get(key).is_some(), "{key}");
    }
}

#[test]
fn user_advisories_are_loaded_and_validated() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ORG001.md"),
        "```toml\nschema = 2\nid = \"ORG001\"\ntitle = \"Our cluster cannot run trl 0.8.6\"\neffect = \"fails-sometimes\"\nseverity = \"warning\"\nsummary = \"trl 0.8.6 is banned here\"\nreferences = [\"https://example.org\"]\nflag = [{ import = \"trl\" }]\n[versions]\ntrl = \"==0.8.6\"\n[[examples]]\nname = \"t\"\nexpect = \"trigger\"\npath = \"a.py\"\nsource = \"import trl\\n\"\nenvironment = { trl = \"0.8.6\" }\n[[examples]]\nname = \"c\"\nexpect = \"clean\"\npath = \"a.py\"\nsource = \"import trl\\n\"\nenvironment = { trl = \"0.9.6\" }\n```\n\n# ORG001: banned\n",
    )
    .unwrap();
    let out = run(tunelint()
        .args([
            "check",
            "examples/founding-case/train.py",
            "--format",
            "concise",
            "--advisories",
        ])
        .arg(dir.path()));
    assert!(out.stdout.contains("ORG001"), "{}", out.stdout);
    std::fs::write(
        dir.path().join("BAD001.md"),
        "```toml\nschema = 2\nid = \"BAD001\"\n```\n",
    )
    .unwrap();
    let out = run(tunelint()
        .args(["check", "examples", "--advisories"])
        .arg(dir.path()));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("BAD001.md: line 2: missing field `title`"),
        "the file, the line and the key: {}",
        out.stderr
    );
}

fn nbformat_validates(path: &std::path::Path) {
    let check = std::process::Command::new("python3")
        .args(["-c", "import nbformat"])
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .status();
    if !check.is_ok_and(|s| s.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have the nbformat package (installed by .ci/run)"
        );
        eprintln!("skipping nbformat validation: the Python package nbformat is not installed");
        return;
    }
    let status = std::process::Command::new("python3")
        .args([
            "-c",
            "import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], 4))",
        ])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "nbformat rejects the rewritten notebook");
}

/// `!pip install transformers>=4.51.3`: the shell cuts the word at `>` (a redirection), so the
/// bound never applies. TL008 says so on the word, and its fix quotes it; output redirections
/// written apart (`> log.txt 2>&1`) are left alone.
#[test]
fn an_unquoted_comparison_in_an_install_line_is_reported_and_quoted_by_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let nb = dir.path().join("nb.ipynb");
    let cell = |source: &str| {
        serde_json::json!({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            {"cell_type": "code", "id": "a", "metadata": {}, "execution_count": null, "outputs": [],
             "source": source}]})
        .to_string()
    };
    std::fs::write(
        &nb,
        cell("!pip install transformers>=4.51.3 \"trl<0.9\"\n%pip install peft<0.12\n!pip install unsloth > log.txt 2>&1"),
    )
    .unwrap();
    let out = run(tunelint()
        .args(["check", "--format", "concise", "--isolated"])
        .arg(&nb));
    let lines: Vec<&str> = out.stdout.lines().filter(|l| l.contains("TL008")).collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(
        lines[0].contains("cell 1:1:14: TL008 [warning] `transformers>=4.51.3` is not quoted")
            && lines[0].contains("writes the installer's output to a file named `=4.51.3`"),
        "{}",
        out.stdout
    );
    assert!(
        lines[1].contains("cell 1:2:14: TL008 [warning] `peft<0.12` is not quoted"),
        "{}",
        out.stdout
    );
    let fixed = run(tunelint()
        .args(["check", "--fix", "--unsafe-fixes", "--isolated"])
        .arg(&nb));
    assert!(!fixed.stdout.contains("TL008"), "{}", fixed.stdout);
    let source: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&nb).unwrap()).unwrap();
    let text: String = match &source["cells"][0]["source"] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a.iter().filter_map(|l| l.as_str()).collect(),
        other => panic!("{other}"),
    };
    assert_eq!(
        text,
        "!pip install \"transformers>=4.51.3\" \"trl<0.9\"\n%pip install \"peft<0.12\"\n!pip install unsloth > log.txt 2>&1"
    );
}

/// Sends one request to a running `tunelint check-service` and reads its answer.
fn ask_service(
    service: &mut std::process::Child,
    args: &[&str],
    stdin: &[u8],
) -> (serde_json::Value, String) {
    use std::io::{BufRead, Read, Write};
    let head = serde_json::json!({
        "args": args,
        "cwd": repo().display().to_string(),
        "stdin_bytes": stdin.len(),
    });
    let input = service.stdin.as_mut().expect("piped stdin");
    input.write_all(format!("{head}\n").as_bytes()).unwrap();
    input.write_all(stdin).unwrap();
    input.flush().unwrap();
    let mut output = std::io::BufReader::new(service.stdout.as_mut().expect("piped stdout"));
    let mut line = String::new();
    output.read_line(&mut line).unwrap();
    let answer: serde_json::Value = serde_json::from_str(&line).expect("a JSON head line");
    let mut report = vec![0; answer["report_bytes"].as_u64().unwrap() as usize];
    output.read_exact(&mut report).unwrap();
    // A BufReader may read ahead only into the next answer, which is never requested yet.
    assert!(
        output.buffer().is_empty(),
        "the service wrote more than it announced"
    );
    (answer, String::from_utf8(report).unwrap())
}

#[test]
fn the_check_service_answers_each_request_as_check_would() {
    use std::process::Stdio;
    let mut service = tunelint()
        .arg("check-service")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the check service starts");
    let dir_args = ["check", "examples/founding-case", "--format", "json"];
    let one_shot = run(tunelint().args(dir_args));
    for _ in 0..2 {
        let (answer, report) = ask_service(&mut service, &dir_args, b"");
        assert_eq!(answer["code"], one_shot.code, "{answer}");
        assert_eq!(answer["error"], serde_json::Value::Null);
        assert_eq!(report, one_shot.stdout);
    }

    // `-` reads the bytes sent with the request, not the service's own stdin.
    let notebook =
        std::fs::read(repo().join("examples/founding-case/gemma2-finetune.ipynb")).unwrap();
    let stdin_args = [
        "check",
        "--format",
        "concise",
        "--env-file",
        "examples/founding-case/pip-list.json",
        "-",
        "--stdin-filename",
        "session.ipynb",
    ];
    let mut cmd = tunelint();
    cmd.args(stdin_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &notebook).unwrap();
    let expected = child.wait_with_output().unwrap();
    let (answer, report) = ask_service(&mut service, &stdin_args, &notebook);
    assert_eq!(answer["code"], expected.status.code().unwrap());
    assert!(
        report.contains("session.ipynb") && report.contains("UNS001"),
        "{report}"
    );
    assert_eq!(report, String::from_utf8_lossy(&expected.stdout));

    // What `check` would refuse is refused with its message, and the service goes on.
    let (answer, report) = ask_service(&mut service, &["check", "--no-such-flag"], b"");
    assert_eq!(answer["code"], 2);
    assert!(
        answer["error"].as_str().unwrap().contains("--no-such-flag"),
        "{answer}"
    );
    assert!(report.is_empty());
    let (answer, _) = ask_service(&mut service, &["env"], b"");
    assert_eq!(answer["error"], "the check service runs `check` only");
    let (answer, _) = ask_service(&mut service, &["check", "no/such/file.py"], b"");
    assert_eq!(
        answer["error"],
        "no/such/file.py: no such file or directory"
    );
    let (answer, report) = ask_service(&mut service, &dir_args, b"");
    assert_eq!(
        (answer["code"].clone(), report),
        (one_shot.code.into(), one_shot.stdout)
    );

    // The end of its input ends it.
    drop(service.stdin.take());
    assert!(service.wait().unwrap().success());
}
