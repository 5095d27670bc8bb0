//! Bad input: every case gives a finding about the file or a clean result, never a panic, a
//! hang or exit code 2.

use crate::support::tunelint;
use std::path::Path;
use std::time::{Duration, Instant};

struct Outcome {
    code: i32,
    json: serde_json::Value,
}

/// Runs `tunelint check --format json` on `path` with a deadline.
fn check(path: &Path, extra: &[&str]) -> Outcome {
    let mut child = tunelint()
        // Every finding, advice included: these tests are about reading bad input.
        .args([
            "check",
            "--isolated",
            "--extend-select",
            "ALL",
            "--format",
            "json",
        ])
        .args(extra)
        .arg(path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        // Generous: a debug build on a loaded 2-core machine reads a 50 MB output slowly.
        if start.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            panic!("{} hung", path.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let out = reader.join().unwrap();
    let code = status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "{}: exit {code}\n{out}",
        path.display()
    );
    let json = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("{}: output is not JSON ({e}): {out}", path.display()));
    Outcome { code, json }
}

fn codes(o: &Outcome) -> Vec<String> {
    o.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// Writes `bytes` to `name` in `dir`, checks it, and returns the outcome.
fn case(dir: &Path, name: &str, bytes: &[u8]) -> Outcome {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    check(&path, &[])
}

fn malformed(o: &Outcome, what: &str) {
    assert!(
        codes(o).contains(&"TL001".to_string()),
        "{what}: expected a TL001 finding, got {:#}",
        o.json
    );
}

#[test]
fn broken_notebooks_are_findings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    malformed(&case(d, "empty.ipynb", b""), "empty");
    malformed(&case(d, "one-byte.ipynb", b"\n"), "one byte");
    malformed(
        &case(
            d,
            "truncated.ipynb",
            br#"{"cells": [{"cell_type": "code", "source": ["import unsl"#,
        ),
        "truncated",
    );
    malformed(
        &case(d, "prose.ipynb", b"this is not a notebook\n"),
        "not JSON",
    );
    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    malformed(&case(d, "random.ipynb", &random), "random bytes");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    malformed(
        &case(d, "deep.ipynb", deep.as_bytes()),
        "100,000-deep nesting",
    );
    malformed(
        &case(
            d,
            "cells-object.ipynb",
            br#"{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": {"a": 1}}"#,
        ),
        "cells of the wrong type",
    );
    malformed(&case(d, "no-source.ipynb", br#"{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "metadata": {}, "outputs": []}]}"#), "missing source");
    malformed(&case(d, "source-number.ipynb", br#"{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": 7}]}"#), "source of the wrong type");
    malformed(&case(d, "nbformat3.ipynb", br#"{"nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": []}], "metadata": {}}"#), "nbformat 3");
    // Odd but readable: outputs of the wrong type and a string execution count are skipped.
    let o = case(d, "odd-outputs.ipynb", br#"{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": "import unsloth", "outputs": "oops", "execution_count": "1", "metadata": {}}]}"#);
    assert!(!codes(&o).contains(&"TL001".to_string()), "{:#}", o.json);
}

#[test]
fn a_50_mb_output_is_read_and_a_65_mb_file_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let big = "x".repeat(50 * 1024 * 1024);
    let nb = format!(
        r#"{{"nbformat": 4, "nbformat_minor": 5, "metadata": {{}}, "cells": [{{"cell_type": "code", "metadata": {{}}, "execution_count": 1, "source": "print(1)", "outputs": [{{"output_type": "stream", "name": "stdout", "text": "{big}\nUnsloth 2024.7 patched 42 layers with 0 QKV layers, 0 O layers and 0 MLP layers.\n"}}]}}]}}"#
    );
    let o = case(dir.path(), "huge-output.ipynb", nb.as_bytes());
    assert!(
        codes(&o).contains(&"UNS001".to_string()),
        "the symptom after 50 MB is still read: {:#}",
        o.json
    );
    let path = dir.path().join("too-big.py");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(65 * 1024 * 1024).unwrap();
    let o = check(&path, &[]);
    assert_eq!(codes(&o), vec!["TL003".to_string()]);
}

#[test]
fn strange_python_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    case(d, "nul.py", b"import unsloth\x00\x00\nx = 1\n");
    case(d, "latin1.py", b"# caf\xe9\nimport unsloth\n");
    let long_line = format!("x = [{}]\n", "1, ".repeat(3_500_000));
    case(d, "ten-mb-line.py", long_line.as_bytes());
    let million = "x = 1\n".repeat(1_000_000);
    case(d, "million-lines.py", million.as_bytes());
    case(
        d,
        "invalid.py",
        b"def f(:\n  return [\nimport unsloth\n)))\n",
    );
    let nested = format!("x = {}{}\n", "(".repeat(5000), ")".repeat(5000));
    case(d, "nested.py", nested.as_bytes());
    let o = case(d, "bom.py", "\u{feff}import unsloth\n".as_bytes());
    assert_eq!(o.code, 0);
}

#[test]
fn cjk_and_emoji_positions_are_right() {
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_tree(
        &crate::support::repo().join("tests/fixtures/envs/founding"),
        dir.path(),
    );
    let path = dir.path().join("train.py");
    std::fs::write(&path, "名前 = \"😀\"; import unsloth\n").unwrap();
    let out = crate::support::run(tunelint().args(["check", "--format", "json"]).arg(&path));
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "UNS001")
        .expect("UNS001");
    // Columns count characters: 名 前 space = space " 😀 " ; space → `import` is the 11th.
    assert_eq!(
        f["start"],
        serde_json::json!({"line": 1, "column": 11}),
        "{f:#}"
    );
}

#[test]
fn broken_dependency_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("requirements.txt"),
        "-r requirements.txt\npeft==0.12.0\n",
    )
    .unwrap();
    check(&d.join("requirements.txt"), &[]);
    std::fs::write(d.join("requirements-a.txt"), "-r requirements-b.txt\n").unwrap();
    std::fs::write(d.join("requirements-b.txt"), "-r requirements-a.txt\n!!!\n").unwrap();
    let o = check(&d.join("requirements-b.txt"), &[]);
    malformed(&o, "a bad requirement line");
    let o = case(d, "pyproject.toml", b"[project\nname = \n");
    malformed(&o, "invalid TOML");
    let garbage: Vec<u8> = (0..100_000u32)
        .map(|i| b"peft>=<!@#\n"[(i % 11) as usize])
        .collect();
    let sub = d.join("sub");
    std::fs::create_dir(&sub).unwrap();
    case(&sub, "requirements.txt", &garbage);
}

#[test]
fn broken_environments() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join(".venv/lib/python3.11/site-packages");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(dir.path().join(".venv/pyvenv.cfg"), "version = 3.11.7\n").unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    let garbage = site.join("peft-0.12.0.dist-info");
    std::fs::create_dir(&garbage).unwrap();
    std::fs::write(
        garbage.join("METADATA"),
        [0xff, 0xfe, 0x00, 0x01, 0x80, 0x81],
    )
    .unwrap();
    let bad_version = site.join("unsloth-notaversion.dist-info");
    std::fs::create_dir(&bad_version).unwrap();
    std::fs::write(
        bad_version.join("METADATA"),
        "Name: unsloth\nVersion: notaversion\n",
    )
    .unwrap();
    let bad_url = site.join("trl-0.9.6.dist-info");
    std::fs::create_dir(&bad_url).unwrap();
    std::fs::write(bad_url.join("METADATA"), "Name: trl\nVersion: 0.9.6\n").unwrap();
    std::fs::write(bad_url.join("direct_url.json"), "{\"url\": ").unwrap();
    // A dist-info that is a file, not a directory.
    std::fs::write(site.join("odd-1.0.dist-info"), "").unwrap();
    std::fs::write(dir.path().join("train.py"), "import unsloth\nimport trl\n").unwrap();
    let out = crate::support::run(
        tunelint()
            .args(["check", "--extend-select", "ALL", "--format", "json"])
            .arg(dir.path()),
    );
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "TL002"),
        "{v:#}"
    );
}

#[test]
fn links_loops_and_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::os::unix::fs::symlink(d.join("loop"), d.join("loop")).unwrap();
    std::os::unix::fs::symlink(d, d.join("self")).unwrap();
    std::os::unix::fs::symlink(d.join("nowhere.py"), d.join("dangling.py")).unwrap();
    let locked = d.join("locked.py");
    std::fs::write(&locked, "import unsloth\n").unwrap();
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    std::fs::write(d.join("fine.py"), "import os\n").unwrap();
    check(d, &[]);
}

/// Inputs that crashed a fuzz target once (pep508_rs 0.9.2 panics on a requirement whose name
/// ends in `-`, `.` or `_`); every reader that saw them must now return normally.
#[test]
fn fuzz_crashes_stay_fixed() {
    // The readers guard against panics in libraries, so a fixed crash could come back unseen;
    // a panic hook counts every panic on this thread, caught or not.
    let panics = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let this_thread = std::thread::current().id();
    let previous = std::panic::take_hook();
    let counter = panics.clone();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == this_thread {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        previous(info);
    }));
    let dir = crate::support::repo().join("tests/fixtures/fuzz");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let masked = tunelint::source::mask_cell(&text);
        for line in &masked.shell_lines {
            let _ = tunelint::install::parse_shell_line(&text, line);
        }
        // Every range a reader returns can slice the text (one crash was a range ending inside
        // a multi-byte character).
        for r in tunelint::declared::parse_requirements(&text).requirements {
            let _ = &text[r.range.start..r.range.end];
        }
        for r in tunelint::declared::parse_pyproject(&text).0.requirements {
            let _ = &text[r.range.start..r.range.end];
        }
        let _ = tunelint::environment::parse_env_file(&text, "fuzz");
        let _ = tunelint::environment::parse_metadata_headers(&bytes);
    }
    assert_eq!(
        panics.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a fuzz input panicked (see the message above)"
    );
}
