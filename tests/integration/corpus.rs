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

/// The checks parse a script one run of top-level statements at a time; on every corpus script
/// and notebook cell that parses cleanly, that must give exactly the facts of one whole parse.
#[test]
fn statement_pieces_give_the_facts_of_the_whole() {
    let Some(dir) = corpus() else {
        eprintln!("skipping: ../shared/corpus is not there");
        return;
    };
    let mut texts = Vec::new();
    for entry in walk(&dir) {
        let Ok(bytes) = std::fs::read(&entry) else {
            continue;
        };
        if entry.extension().is_some_and(|e| e == "ipynb") {
            let Ok(notebook) = tunelint::source::Notebook::parse(&bytes) else {
                continue;
            };
            texts.extend(
                notebook
                    .map
                    .spans
                    .iter()
                    .map(|s| (entry.clone(), s.range.slice(&notebook.python).to_string())),
            );
        } else {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let doc =
                tunelint::source::Document::from_text(tunelint::source::SourceKind::Script, text);
            texts.push((entry.clone(), doc.python.clone()));
        }
    }
    let mut compared = 0;
    for (path, text) in texts {
        let whole = tunelint::syntax::extract(&text);
        if whole.has_syntax_error {
            continue;
        }
        let mut pieces = tunelint::syntax::PythonFacts::default();
        for range in tunelint::source::top_level_statements(&text) {
            pieces.extend(tunelint::syntax::extract(range.slice(&text)).offset(range.start));
        }
        assert_eq!(pieces, whole, "{}", path.display());
        compared += 1;
    }
    assert!(compared > 1000, "only {compared} texts compared");
}

/// A check parses only the statements that name something an advisory looks for, and reuses
/// the facts of a statement it has parsed in another file. On every corpus file that must
/// give the findings that the facts of a whole parse give.
#[test]
fn parsing_only_what_advisories_name_finds_what_a_whole_parse_finds() {
    let Some(dir) = corpus() else {
        eprintln!("skipping: ../shared/corpus is not there");
        return;
    };
    let kb = tunelint::kb::KnowledgeBase::embedded();
    let overrides = tunelint::workspace::Overrides {
        isolated: true,
        ..Default::default()
    };
    let whole = tunelint::workspace::Workspace::new(dir.clone(), overrides.clone());
    let selective =
        tunelint::workspace::Workspace::new(dir.clone(), overrides).remember_parsed_facts();
    let (mut compared, mut found) = (0, 0);
    for path in walk(&dir) {
        let Ok(loaded) = tunelint::workspace::load_file(&path) else {
            continue;
        };
        let Some(doc) = loaded.doc else {
            continue;
        };
        let facts = tunelint::check::python_facts(&doc);
        let expected = whole.analyze(&path, &doc, Some(facts), &kb).findings;
        let got = selective.analyze(&path, &doc, None, &kb).findings;
        if got != expected {
            let brief = |fs: &[tunelint::finding::Finding]| -> Vec<String> {
                fs.iter()
                    .map(|f| format!("{} {:?} {:?} {}", f.code, f.severity, f.range, f.message))
                    .collect()
            };
            panic!(
                "{}: parsing a part found\n{:#?}\nparsing all found\n{:#?}",
                path.display(),
                brief(&got),
                brief(&expected)
            );
        }
        compared += 1;
        found += got.len();
    }
    assert!(
        compared > 200 && found > 100,
        "{compared} files, {found} findings"
    );
}

/// What a user sees on the current official notebooks (`nb__*` and `original_template__*`, the
/// ones `bench/default_set.py` measures): the default set lists each finding, the widened set
/// (`--extend-select ALL`) counts them by code and severity. A change to either is a change of
/// what the README says users see, and shows up here for review.
#[test]
fn the_default_and_widened_sets_on_official_notebooks() {
    let Some(dir) = corpus() else {
        eprintln!("skipping: ../shared/corpus is not there");
        return;
    };
    let notebooks = dir.join("notebooks");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&notebooks)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            (name.starts_with("nb__") || name.starts_with("original_template__"))
                && name.ends_with(".ipynb")
        })
        .collect();
    files.sort();
    assert!(files.len() > 50, "{} official notebooks", files.len());
    let findings = |widen: bool| -> Vec<serde_json::Value> {
        let mut cmd = tunelint();
        cmd.current_dir(&notebooks).args([
            "check",
            "--isolated",
            "--exit-zero",
            "--format",
            "json",
        ]);
        if widen {
            cmd.args(["--extend-select", "ALL"]);
        }
        cmd.args(files.iter().map(|f| f.file_name().unwrap()));
        let out = run(&mut cmd);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON output");
        v["findings"].as_array().unwrap().clone()
    };
    let mut shown = format!("{} notebooks\n\nshown by default:\n", files.len());
    for f in findings(false) {
        shown += &format!(
            "  {} [{}] {} cell {} line {}\n",
            f["code"].as_str().unwrap(),
            f["severity"].as_str().unwrap(),
            f["path"].as_str().unwrap(),
            f["cell"],
            f["start"]["line"]
        );
    }
    let mut widened = std::collections::BTreeMap::new();
    for f in findings(true) {
        let key = format!(
            "{} [{}]",
            f["code"].as_str().unwrap(),
            f["severity"].as_str().unwrap()
        );
        *widened.entry(key).or_insert(0) += 1;
    }
    shown += "\nwidened (--extend-select ALL), by code:\n";
    for (key, count) in widened {
        shown += &format!("  {key}: {count}\n");
    }
    insta::assert_snapshot!("official_notebooks_default_and_widened", shown);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "py" || e == "ipynb") {
            out.push(path);
        }
    }
    out
}
