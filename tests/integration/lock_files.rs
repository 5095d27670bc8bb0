//! Lock files as declared versions: each format in `tests/fixtures/lock-files/` locks the
//! founding pair (peft 0.12.0, unsloth 2024.7) next to a script that imports Unsloth.

use crate::support::{run, tunelint};

fn concise(dir: &str, extra: &[&str]) -> String {
    let path = format!("tests/fixtures/lock-files/{dir}");
    let mut args = vec!["check", path.as_str(), "--isolated", "--format", "concise"];
    args.extend_from_slice(extra);
    let out = run(tunelint().args(&args));
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    out.stdout
}

#[test]
fn every_lock_format_gives_exact_versions_with_their_file() {
    for (dir, lock) in [
        ("uv", "uv.lock [[package]] peft"),
        ("poetry", "poetry.lock [[package]] peft"),
        ("pylock", "pylock.toml [[packages]] peft"),
        ("pipfile", "Pipfile.lock default peft"),
        ("conda-environment", "environment.yml pip: peft==0.12.0"),
        ("conda-explicit", "conda-linux-64.lock conda peft"),
    ] {
        let out = concise(dir, &[]);
        let on_script = out
            .lines()
            .find(|l| l.contains("train.py:3:9: UNS001 [warning]"))
            .unwrap_or_else(|| panic!("{dir}: no UNS001 on the script:\n{out}"));
        assert!(
            on_script.contains(&format!(
                "peft 0.12.0 (declared, tests/fixtures/lock-files/{dir}/{lock})"
            )),
            "{dir}: {on_script}"
        );
    }
}

#[test]
fn a_lock_finding_sits_on_the_locked_version() {
    let out = concise("uv", &[]);
    assert!(
        out.contains("uv.lock:6:12: UNS001 [warning] `peft 0.12.0` declared here"),
        "{out}"
    );
}

#[test]
fn the_lock_wins_over_the_manifest_and_fixes_edit_the_manifest() {
    // pyproject.toml says `peft>=0.11`: only the lock says which release, and the pin goes in
    // pyproject.toml with a note to re-lock; the lock itself is never rewritten.
    let out = run(tunelint().args([
        "check",
        "tests/fixtures/lock-files/uv",
        "--isolated",
        "--diff",
        "--unsafe-fixes",
    ]));
    assert!(
        out.stdout
            .contains("+dependencies = [\"unsloth\", \"peft<0.12\"]"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout
            .contains("--- tests/fixtures/lock-files/uv/uv.lock"),
        "{}",
        out.stdout
    );
    let full = run(tunelint().args([
        "check",
        "tests/fixtures/lock-files/uv/uv.lock",
        "--isolated",
    ]));
    assert!(
        full.stdout
            .contains("Pin peft to <0.12 in pyproject.toml line 4, then re-lock (`uv lock`)"),
        "{}",
        full.stdout
    );
}
