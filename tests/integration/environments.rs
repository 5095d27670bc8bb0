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
        "--extend-select",
        "ALL",
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

/// A project with only a `pip freeze` snapshot and a script that imports nothing of the stack.
fn snapshot_project(freeze: &str, script: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join("freeze.txt"), freeze).unwrap();
    std::fs::write(dir.path().join("train.py"), script).unwrap();
    dir
}

#[test]
fn a_snapshot_with_a_known_bad_pair_is_a_finding_on_its_line_in_every_format() {
    let dir = snapshot_project(
        "numpy==1.26.4\ntorch==2.6.0\nxformers==0.0.28.post2\n",
        "print('nothing imported')\n",
    );
    let check = |format: &str| {
        run(tunelint().current_dir(dir.path()).args([
            "check",
            "train.py",
            "--env-file",
            "freeze.txt",
            "--format",
            format,
        ]))
    };
    let concise = check("concise");
    assert_eq!(concise.code, 1, "{}", concise.stdout);
    assert!(
        concise
            .stdout
            .starts_with("freeze.txt:2:1: XF001 [warning] `torch==2.6.0` installed: xformers 0.0.28.post2 (installed, freeze.txt line 3) with torch 2.6.0 (installed, freeze.txt line 2)"),
        "{}",
        concise.stdout
    );
    // One finding per problem, not one per package line.
    assert_eq!(
        concise.stdout.matches("XF001").count(),
        1,
        "{}",
        concise.stdout
    );
    let github = check("github");
    assert!(
        github.stdout.contains(
            "::warning file=freeze.txt,line=2,col=1,endLine=2,endColumn=13,title=XF001::"
        ),
        "{}",
        github.stdout
    );
    let sarif: serde_json::Value = serde_json::from_str(&check("sarif").stdout).unwrap();
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "freeze.txt");
    assert_eq!(location["region"]["startLine"], 2);
}

#[test]
fn a_file_that_reports_or_silences_the_problem_is_not_repeated_by_the_environment() {
    let dir = snapshot_project(
        "torch==2.6.0\nxformers==0.0.28.post2\n",
        "import xformers.ops\nxformers.ops.memory_efficient_attention(q, k, v)\n",
    );
    let check = || {
        run(tunelint().current_dir(dir.path()).args([
            "check",
            "train.py",
            "--env-file",
            "freeze.txt",
            "--format",
            "concise",
        ]))
        .stdout
    };
    let out = check();
    assert!(!out.contains("freeze.txt:"), "{out}");
    assert!(out.contains("train.py:"), "{out}");
    std::fs::write(
        dir.path().join("train.py"),
        "# tunelint: ignore-file[XF001]\nimport xformers.ops\n",
    )
    .unwrap();
    let out = check();
    assert!(!out.contains("XF001"), "{out}");
}

#[test]
fn a_site_packages_problem_is_a_finding_on_the_distribution_metadata() {
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_tree(
        &crate::support::repo().join("tests/fixtures/envs/founding"),
        dir.path(),
    );
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join("train.py"), "print(1)\n").unwrap();
    let out = run(tunelint()
        .current_dir(dir.path())
        .args(["check", "train.py", "--format", "concise"]));
    assert!(
        out.stdout.starts_with(
            ".venv/lib/python3.11/site-packages/peft-0.12.0.dist-info/METADATA:2:1: UNS001 [warning] `peft==0.12.0` installed: peft 0.12.0 (installed"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn pip_check_is_built_in_and_weighed_by_the_stack() {
    // trl 0.19.0's METADATA is the released wheel's; transformers 4.46.3 does not meet it. The
    // requests/urllib3 pair is outside the stack, so it is advice; trl's and requests' extras
    // (`extra == "vllm"`, `extra == 'socks'`) are not installed and do not count.
    let out = run(tunelint().args([
        "check",
        "tests/fixtures/envs/pip-check/train.py",
        "--format",
        "concise",
        "--extend-select",
        "ALL",
    ]));
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert!(lines[0].starts_with(
        "tests/fixtures/envs/pip-check/.venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA:6:1: TL006 [info] requests 2.31.0 requires urllib3>=1.21.1, <3, but urllib3 1.20 is installed"
    ), "{}", out.stdout);
    assert!(lines[1].starts_with(
        "tests/fixtures/envs/pip-check/.venv/lib/python3.11/site-packages/trl-0.19.0.dist-info/METADATA:25:1: TL006 [warning] trl 0.19.0 requires transformers>=4.51.0, but transformers 4.46.3 is installed"
    ), "{}", out.stdout);
    assert_eq!(out.code, 1);
    // By default the advice outside the stack is counted, not listed.
    let default = run(tunelint().args([
        "check",
        "tests/fixtures/envs/pip-check/train.py",
        "--format",
        "concise",
    ]));
    assert!(!default.stdout.contains("urllib3"), "{}", default.stdout);
    assert!(
        default
            .stdout
            .contains("(1 piece of advice is off by default; `--extend-select ALL` shows it)"),
        "{}",
        default.stdout
    );
}

/// A finding about the environment itself (no checked file reports it) carries its pin as the
/// command that changes the environment, not as an edit of the snapshot: what the kernel
/// extension and the editor offer to copy or run.
#[test]
fn an_environment_finding_offers_its_pin_as_an_install_command() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let env = dir.path().join("kernel.json");
    std::fs::write(
        &env,
        r#"{"python": "3.11.7", "packages": [{"name": "peft", "version": "0.12.0"}, {"name": "unsloth", "version": "2024.7"}]}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("empty.py"), "print(1)\n").unwrap();
    let out = run(tunelint()
        .args(["check", "--format", "json", "--exit-zero", "--env-file"])
        .arg(&env)
        .arg(&env)
        .arg(dir.path().join("empty.py")));
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "UNS001")
        .unwrap_or_else(|| panic!("{}", out.stdout));
    let fixes = finding["fixes"].as_array().unwrap();
    assert!(
        fixes
            .iter()
            .any(|f| f["title"] == "Install `peft<0.12` in this environment"
                && f["applicability"] == "display-only"
                && f["edits"].as_array().unwrap().is_empty()
                && f["action"]["kind"] == "run-command"
                && f["action"]["command"] == "pip install \"peft<0.12\""),
        "{fixes:?}"
    );
}
