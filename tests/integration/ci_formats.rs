//! What CI sees: GitHub annotations on the stored file, SARIF that validates against the
//! 2.1.0 schema, JUnit, statistics, output files, configuration and its errors, training logs,
//! and the pip wheel.

use crate::support::{repo, run, tunelint};
use std::io::Write;

#[test]
fn github_annotations_point_into_the_stored_notebook() {
    let out = run(tunelint().args([
        "check",
        "examples/founding-case/gemma2-finetune.ipynb",
        "--format",
        "github",
    ]));
    assert_eq!(out.code, 1);
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("title=UNS001"))
        .expect("an UNS001 annotation");
    assert!(
        line.starts_with("::warning file=examples/founding-case/gemma2-finetune.ipynb,line="),
        "{line}"
    );
    // The annotation's line holds the flagged source line in the raw JSON.
    let n: usize = line
        .split("line=")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let col: usize = line
        .split(",col=")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let raw = std::fs::read_to_string(repo().join("examples/founding-case/gemma2-finetune.ipynb"))
        .unwrap();
    let stored = raw.lines().nth(n - 1).unwrap();
    assert!(
        stored.contains("model = FastLanguageModel.get_peft_model("),
        "{stored}"
    );
    assert_eq!(
        &stored[col - 1..col - 1 + "FastLanguageModel".len()],
        "FastLanguageModel"
    );
    insta::assert_snapshot!("github_example", out.stdout);
}

#[test]
fn sarif_validates_against_the_schema() {
    let out = run(tunelint().args(["check", "examples", "--format", "sarif"]));
    assert_eq!(out.code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules
        .iter()
        .any(|r| r["id"] == "UNS001" && r["helpUri"].is_string() && r["help"]["text"].is_string()));
    let notebook_result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "UNS001" && r["locations"][0]["properties"]["cell"].is_number());
    assert!(
        notebook_result.is_some(),
        "a notebook result names its cell"
    );
    let schema = repo().join("../shared/schemas/sarif-schema-2.1.0.json");
    if !schema.is_file() {
        eprintln!("skipping schema validation: ../shared/schemas is not there");
        return;
    }
    if !crate::support::has_python_jsonschema() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.sarif");
    std::fs::write(&file, &out.stdout).unwrap();
    let check = std::process::Command::new("python3")
        .args(["-c", "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))"])
        .arg(&schema)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn junit_has_a_case_per_file_and_a_failure_per_finding() {
    let out = run(tunelint().args(["check", "examples", "--format", "junit"]));
    assert_eq!(out.code, 1);
    assert!(out.stdout.starts_with("<?xml"));
    assert_eq!(
        out.stdout.matches("<testcase ").count(),
        3,
        "{}",
        out.stdout
    );
    // The default set: the example's advice is not reported.
    assert_eq!(out.stdout.matches("<failure ").count(), 5, "{}", out.stdout);
}

#[test]
fn statistics_and_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    let out = run(tunelint()
        .args([
            "check",
            "examples",
            "--format",
            "json",
            "--statistics",
            "--output-file",
        ])
        .arg(&file));
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("UNS001"),
        "statistics go to stderr beside a machine format: {}",
        out.stderr
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(v["findings"].as_array().unwrap().len() >= 5);
    let out = run(tunelint().args(["check", "examples", "--statistics"]));
    insta::assert_snapshot!("statistics_example", out.stdout);
}

#[test]
fn fail_levels() {
    // The benign notebook only has info findings.
    let nb = "tests/fixtures/notebooks/benign-dropout-zero-all.ipynb";
    assert_eq!(run(tunelint().args(["check", nb, "--isolated"])).code, 0);
    // Advice nobody selected is not reported, so it fails nothing; selected, it does.
    assert_eq!(
        run(tunelint().args(["check", nb, "--isolated", "--fail-level", "info"])).code,
        0
    );
    assert_eq!(
        run(tunelint().args([
            "check",
            nb,
            "--isolated",
            "--fail-level",
            "info",
            "--extend-select",
            "ALL"
        ]))
        .code,
        1
    );
    // The founding case is a warning (training runs, slower and with more memory): it fails
    // a check at the default level, not at `--fail-level error`.
    assert_eq!(run(tunelint().args(["check", "examples"])).code, 1);
    assert_eq!(
        run(tunelint().args(["check", "examples", "--fail-level", "error"])).code,
        0
    );
}

fn project(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_tree(&repo().join("tests/fixtures/envs/founding"), dir.path());
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join("pyproject.toml"), config).unwrap();
    dir
}

#[test]
fn configuration_selects_ignores_and_rejects_unknown_keys() {
    let dir = project("[tool.tunelint]\nignore = [\"UNS\"]\n");
    let out = run(tunelint()
        .args(["check", "--format", "concise"])
        .arg(dir.path()));
    assert_eq!(out.code, 0, "{}", out.stdout);
    let dir = project("[tool.tunelint]\nper-file-ignores = { \"train.py\" = [\"UNS001\"] }\n");
    assert_eq!(run(tunelint().args(["check"]).arg(dir.path())).code, 0);
    let dir = project("[tool.tunelint]\nselect = [\"PIN\"]\nextend-select = [\"UNS001\"]\nfail-level = \"warning\"\n");
    let out = run(tunelint()
        .args(["check", "--format", "concise"])
        .arg(dir.path()));
    assert_eq!(out.code, 1, "{}", out.stdout);
    let dir = project("[project]\nname = \"x\"\n\n[tool.tunelint]\ncolour = \"red\"\n");
    let out = run(tunelint().args(["check"]).arg(dir.path()));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("pyproject.toml:5: unknown key `colour`"),
        "{}",
        out.stderr
    );
    // --isolated ignores it; --config points at another file.
    assert_eq!(
        run(tunelint().args(["check", "--isolated"]).arg(dir.path())).code,
        1
    );
    let other = dir.path().join("tunelint.toml");
    std::fs::write(&other, "exclude = [\"train.py\"]\n").unwrap();
    let out = run(tunelint()
        .args(["check", "--format", "concise", "--config"])
        .arg(&other)
        .arg(dir.path()));
    // The excluded script says nothing; the environment it would have used still has the
    // founding pair, reported on the distribution's METADATA.
    assert!(!out.stdout.contains("train.py"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("peft-0.12.0.dist-info/METADATA:2:1: UNS001 [warning]"),
        "{}{}",
        out.stdout,
        out.stderr
    );
}

#[test]
fn suppressions_on_a_line_and_for_a_file() {
    let dir = project("[project]\nname = \"x\"\n");
    let train = dir.path().join("train.py");
    std::fs::write(&train, "from unsloth import FastLanguageModel  # tunelint: ignore[UNS001]\nmodel = FastLanguageModel.get_peft_model(None, r=16)\n").unwrap();
    let out = run(tunelint()
        .args(["check", "--format", "concise"])
        .arg(&train));
    assert_eq!(out.stdout.matches("UNS001").count(), 1, "{}", out.stdout);
    std::fs::write(&train, "# tunelint: ignore-file[UNS001]\nfrom unsloth import FastLanguageModel\nmodel = FastLanguageModel.get_peft_model(None, r=16)\n").unwrap();
    assert_eq!(run(tunelint().args(["check"]).arg(&train)).code, 0);
    std::fs::write(
        &train,
        "import unsloth  # tunelint: ignore[UNS001, NOPE123]\n",
    )
    .unwrap();
    let out = run(tunelint()
        .args(["check", "--format", "concise"])
        .arg(&train));
    assert!(
        out.stdout.contains("TL004") && out.stdout.contains("NOPE123"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_suppression_that_suppresses_nothing_is_advice_with_a_removal() {
    let dir = project("[project]\nname = \"x\"\n");
    let train = dir.path().join("train.py");
    // UNS001 fires on the import (the project's environment has the founding pair); nothing
    // here is TRL001, and nothing on the `os` line at all.
    std::fs::write(
        &train,
        "from unsloth import FastLanguageModel  # tunelint: ignore[TRL001, UNS001]\nimport os  # tunelint: ignore\nmodel = FastLanguageModel.get_peft_model(None, r=16)\n",
    )
    .unwrap();
    let check = |extra: &[&str]| {
        run(tunelint()
            .args(["check", "--format", "concise"])
            .args(extra)
            .arg(&train))
    };
    // Advice: off by default, counted in the summary.
    let default = check(&[]);
    assert!(!default.stdout.contains("TL007"), "{}", default.stdout);
    let out = check(&["--extend-select", "TL007"]);
    let lines: Vec<&str> = out.stdout.lines().filter(|l| l.contains("TL007")).collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(
        lines[0].ends_with(
            "train.py:1:59: TL007 [info] suppression of `TRL001` suppresses nothing on this line with these versions"
        ),
        "{}",
        out.stdout
    );
    assert!(
        lines[1].ends_with(
            "train.py:2:12: TL007 [info] suppression of every code suppresses nothing on this line with these versions"
        ),
        "{}",
        out.stdout
    );
    let fixed = check(&["--extend-select", "TL007", "--fix", "--unsafe-fixes"]);
    assert_eq!(fixed.code, 1, "UNS001 remains: {}", fixed.stdout);
    assert_eq!(
        std::fs::read_to_string(&train).unwrap(),
        "from unsloth import FastLanguageModel  # tunelint: ignore[UNS001]\nimport os\nmodel = FastLanguageModel.get_peft_model(None, r=16)\n"
    );
}

#[test]
fn training_logs_from_files_and_stdin() {
    let out = run(tunelint().args([
        "check",
        "tests/fixtures/logs/founding-train.log",
        "--format",
        "concise",
    ]));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("founding-train.log:7:1: UNS001 [warning] log line"),
        "{}",
        out.stdout
    );
    let mut child = tunelint()
        .args([
            "check",
            "-",
            "--stdin-filename",
            "train.log",
            "--format",
            "concise",
            "--extend-select",
            "ALL",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(repo().join("tests/fixtures/logs/dropout-train.log")).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "the dropout line is explained");
    assert!(String::from_utf8_lossy(&out.stdout).contains("train.log:3:1: UNS001 [info]"));
}

#[test]
fn the_wheel_installs_a_working_binary() {
    let has = |args: &[&str]| {
        std::process::Command::new("python3")
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has(&["-m", "maturin", "--version"]) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have maturin (installed by .ci/run)"
        );
        eprintln!("skipping: maturin is not installed (pip install maturin)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wheels = dir.path().join("wheels");
    // Its own target directory: this test runs inside `cargo test`, which holds the default one.
    let target = std::env::temp_dir().join("tunelint-wheel-target");
    let build = std::process::Command::new("python3")
        .args(["-m", "maturin", "build", "--release", "--quiet", "-o"])
        .arg(&wheels)
        .current_dir(repo())
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let wheel = std::fs::read_dir(&wheels)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .expect("a wheel");
    let venv = dir.path().join("venv");
    assert!(std::process::Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .unwrap()
        .success());
    let pip = std::process::Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--no-index"])
        .arg(&wheel)
        .output()
        .unwrap();
    assert!(
        pip.status.success(),
        "{}",
        String::from_utf8_lossy(&pip.stderr)
    );
    let version = std::process::Command::new(venv.join("bin/tunelint"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("tunelint {}", env!("CARGO_PKG_VERSION"))
    );
    // The Python package beside it (the kernel extension, guard()) imports and finds that
    // binary; `python -m tunelint` is the same CLI.
    let python = std::process::Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import tunelint, tunelint._binary as b, sysconfig, os; \
             print(tunelint.__version__, os.path.dirname(b.find_binary()) == sysconfig.get_path('scripts'))",
        ])
        .env_remove("TUNELINT_BINARY")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&python.stdout).trim(),
        format!("{} True", env!("CARGO_PKG_VERSION")),
        "{}",
        String::from_utf8_lossy(&python.stderr)
    );
    let module = std::process::Command::new(venv.join("bin/python"))
        .args(["-m", "tunelint", "--version"])
        .env_remove("TUNELINT_BINARY")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&module.stdout).trim(),
        format!("tunelint {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_directory_check_reads_the_training_logs_beside_the_code_unless_ignored() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join("train.py"), "print('train')\n").unwrap();
    std::fs::copy(
        repo().join("tests/fixtures/logs/founding-train.log"),
        dir.path().join("run.log"),
    )
    .unwrap();
    let out = run(tunelint()
        .args(["check", "--format", "concise", "--isolated"])
        .arg(dir.path()));
    assert!(
        out.stdout.contains("run.log:7:1: UNS001 [warning] log line `Unsloth 2024.7 patched 42 layers with 0 QKV layers"),
        "{}",
        out.stdout
    );
    std::fs::write(dir.path().join(".gitignore"), "*.log\n").unwrap();
    let out = run(tunelint()
        .args(["check", "--format", "concise", "--isolated"])
        .arg(dir.path()));
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn include_reads_logs_whose_names_do_not_say_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::create_dir(dir.path().join("runs")).unwrap();
    std::fs::write(dir.path().join("train.py"), "print('train')\n").unwrap();
    std::fs::copy(
        repo().join("tests/fixtures/logs/founding-train.log"),
        dir.path().join("runs/job-17.out"),
    )
    .unwrap();
    let check = || {
        run(tunelint()
            .args(["check", "--format", "concise"])
            .arg(dir.path()))
    };
    // Without `include`, an `.out` file is not one tunelint knows.
    assert!(!check().stdout.contains("job-17.out"));
    std::fs::write(
        dir.path().join("tunelint.toml"),
        "include = [\"runs/*.out\"]\n",
    )
    .unwrap();
    let out = check();
    assert!(
        out.stdout
            .contains("job-17.out:7:1: UNS001 [warning] log line"),
        "{}{}",
        out.stdout,
        out.stderr
    );
}
