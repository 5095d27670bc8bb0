//! Real editors driving the language server: Neovim's built-in LSP client, headless
//! (Debian's `neovim`, installed by .ci/run).

use crate::support::{copy_tree, repo};

fn nvim() -> Option<std::path::PathBuf> {
    let found = std::process::Command::new("nvim")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some("nvim".into());
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have Neovim (installed by .ci/run)"
    );
    eprintln!("skipping: nvim is not installed (apt-get install neovim)");
    None
}

#[test]
fn neovim_shows_uns001_and_applies_the_pin() {
    let Some(nvim) = nvim() else { return };
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("tests/fixtures/envs/founding"), dir.path());
    std::fs::write(
        dir.path().join("requirements.txt"),
        "peft>=0.11\ntrl==0.8.6\n",
    )
    .unwrap();
    // A repository root stops discovery from walking above the workspace.
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let out = std::process::Command::new(nvim)
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!(
            "luafile {}",
            repo().join("tests/editors/neovim/check.lua").display()
        ))
        .arg("train.py")
        .current_dir(dir.path())
        .env("TUNELINT", env!("CARGO_BIN_EXE_tunelint"))
        .env("ACTION", "Pin peft to <0.12")
        .env("XDG_STATE_HOME", dir.path().join(".state"))
        .env("XDG_CONFIG_HOME", dir.path().join(".config"))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "neovim failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("DIAG 0:0 sev=2 code=UNS001"), "{stdout}");
    assert!(
        stdout.contains("ACTION Ignore UNS001 on this line"),
        "{stdout}"
    );
    assert!(
        stdout.contains("APPLIED Pin peft to <0.12 in requirements.txt"),
        "{stdout}"
    );
    let requirements = std::fs::read_to_string(dir.path().join("requirements.txt")).unwrap();
    assert_eq!(requirements, "peft<0.12\ntrl==0.8.6\n");
}
