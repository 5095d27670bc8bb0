//! Every advisory file parses, and every example in it does what it says.

use crate::support::repo;
use tunelint::advisory_examples::run_example;
use tunelint::kb::{KnowledgeBase, EMBEDDED};

#[test]
fn every_embedded_advisory_parses() {
    for (name, text) in EMBEDDED {
        if let Err(e) = tunelint::kb::Advisory::parse(text) {
            panic!("{name}: {e}");
        }
    }
    assert!(!EMBEDDED.is_empty());
}

#[test]
fn file_names_match_ids() {
    for (name, text) in EMBEDDED {
        let a = tunelint::kb::Advisory::parse(text).unwrap();
        assert_eq!(
            *name,
            format!("{}.md", a.id),
            "an advisory lives in a file named after its id"
        );
    }
}

#[test]
fn every_example_does_what_it_says() {
    let kb = KnowledgeBase::embedded_with_examples();
    let mut failures = Vec::new();
    let mut count = 0;
    for advisory in &kb.advisories {
        for example in &advisory.examples {
            count += 1;
            if let Err(e) = run_example(advisory, example, &kb) {
                failures.push(format!("{} / {}: {e}", advisory.id, example.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn advisories_have_references_and_a_body() {
    for a in &KnowledgeBase::embedded().advisories {
        assert!(!a.references.is_empty(), "{} has no references", a.id);
        assert!(
            a.body.starts_with(&format!("# {}", a.id)),
            "{}'s body starts with its heading",
            a.id
        );
    }
}

/// A valid advisory that the cases below break one rule at a time.
const VALID: &str = r#"```toml
schema = 2
id = "AB001"
title = "t"
effect = "fails"
severity = "error"
summary = "s"
references = ["https://github.com/huggingface/trl/releases/tag/v0.12.0"]
flag = [{ import = "trl" }]

[versions]
trl = ">=0.12"

[[symptoms]]
pattern = "trl (?P<trl>\\S+) broke"
message = "m"

[[fixes]]
kind = "pin"
package = "trl"
specifier = "<0.12"
applicability = "unsafe"

[[provenance]]
package = "trl"
boundary = "first-bad"
version = "0.12.0"
source = "https://github.com/huggingface/trl/releases/tag/v0.12.0"

[[examples]]
name = "t"
expect = "trigger"
path = "a.py"
source = "import trl\n"
environment = { trl = "0.12.0" }

[[examples]]
name = "c"
expect = "clean"
path = "a.py"
source = "import trl\n"
environment = { trl = "0.11.4" }
```

# AB001: t
"#;

/// Every validation rule has a case that only it rejects, with the line and the key in the
/// message: deleting a rule makes its case load, and this test fail.
#[test]
fn invalid_advisories_are_rejected_with_a_reason() {
    tunelint::kb::Advisory::parse(VALID).expect("the base case is valid");
    let cases: &[(&str, &str, &str, &str)] = &[
        ("no front matter", "```toml\n", "# x\n", "must start with a ```toml"),
        ("unclosed block", "```\n\n# AB001", "", "not closed"),
        ("no schema", "schema = 2\n", "", "line 2: missing field `schema`"),
        ("old schema", "schema = 2", "schema = 1", "line 2: `schema = 1`"),
        ("bad id", "id = \"AB001\"", "id = \"x\"", "line 3: id `x` must be"),
        ("unknown key", "summary = \"s\"", "summary = \"s\"\ncolour = 1", "line 8: unknown field `colour`"),
        ("unknown effect", "effect = \"fails\"", "effect = \"bad\"", "line 5: AB001: unknown effect `bad`"),
        ("severity above its effect", "effect = \"fails\"", "effect = \"slower\"", "AB001: severity `error` is above what effect `slower` gives (`warning`)"),
        ("severity below its effect, unexplained", "severity = \"error\"", "severity = \"warning\"", "AB001: severity `warning` is below what effect `fails` gives (`error`): say why in `lowered`"),
        ("unknown severity", "severity = \"error\"", "severity = \"fatal\"", "line 6: AB001: unknown severity `fatal`"),
        ("bad range", "trl = \">=0.12\"", "trl = \"~~1\"", "line 11: AB001: `~~1` is not a PEP 440 specifier"),
        ("bad pattern", "trl (?P<trl>\\\\S+) broke", "trl (", "line 14: AB001: symptom pattern"),
        ("symptom group", "message = \"m\"", "message = \"m\"\nversions = { peft = \">=1\" }", "line 14: AB001: symptom constrains peft"),
        ("fix key of another kind", "specifier = \"<0.12\"", "specifier = \"<0.12\"\ncommand = \"x\"", "unknown field `command`"),
        ("unknown fix kind", "kind = \"pin\"", "kind = \"upgrade\"", "unknown variant `upgrade`"),
        ("bad fix range", "specifier = \"<0.12\"", "specifier = \"<<0.12\"", "line 18: AB001:"),
        ("unknown applicability", "applicability = \"unsafe\"", "applicability = \"maybe\"", "line 18: AB001: unknown applicability `maybe`"),
        ("boundary role", "boundary = \"first-bad\"", "boundary = \"worst\"", "line 24: AB001: provenance of trl 0.12.0: unknown boundary `worst`"),
        ("boundary version", "version = \"0.12.0\"", "version = \"zero\"", "line 24: AB001: provenance of trl: `zero` is not a PEP 440 version"),
        ("moving source", "source = \"https://github.com/huggingface/trl/releases/tag/v0.12.0\"", "source = \"https://github.com/huggingface/trl/blob/main/trl/__init__.py\"", "line 24: AB001: provenance of trl 0.12.0: `https://github.com/huggingface/trl/blob/main/trl/__init__.py` points at a moving branch"),
        ("moving reference", "references = [\"https://github.com/huggingface/trl/releases/tag/v0.12.0\"]", "references = [\"https://github.com/huggingface/trl/tree/main/docs\"]", "line 8: AB001: reference `https://github.com/huggingface/trl/tree/main/docs` points at a moving branch"),
        ("no clean example", "expect = \"clean\"", "expect = \"trigger\"", "AB001: needs at least one `trigger` and one `clean` example"),
        ("report not a thread", "expect = \"trigger\"", "report = \"https://github.com/huggingface/trl/releases/tag/v0.12.0\"\nexpect = \"trigger\"", "is not an issue, pull request, discussion or forum thread"),
        ("report not cited", "expect = \"trigger\"", "report = \"https://github.com/huggingface/trl/issues/2226\"\nexpect = \"trigger\"", "its report `https://github.com/huggingface/trl/issues/2226` is not in `references`"),
        ("matches nothing", "flag = [{ import = \"trl\" }]\n\n[versions]\ntrl = \">=0.12\"\n\n[[symptoms]]\npattern = \"trl (?P<trl>\\\\S+) broke\"\nmessage = \"m\"\n", "", "AB001: matches nothing"),
    ];
    for (what, from, to, expected) in cases {
        assert!(VALID.contains(from), "{what}: the base has no `{from}`");
        let text = VALID.replacen(from, to, 1);
        let err = tunelint::kb::Advisory::parse(&text)
            .err()
            .unwrap_or_else(|| panic!("{what}: accepted"));
        assert!(
            err.contains(expected),
            "{what}: expected `{expected}` in `{err}`"
        );
    }
}

/// A retired code still works where users wrote it: in a suppression (with a note and a fix
/// that writes the new code) and in the configuration.
#[test]
fn retired_codes_still_suppress_and_configure_their_advisory() {
    use crate::support::{run, tunelint};
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join("freeze.txt"),
        "torch==2.6.0\nxformers==0.0.28.post2\n",
    )
    .unwrap();
    let check = |file: &str, text: &str| {
        std::fs::write(dir.path().join(file), text).unwrap();
        let out = run(tunelint()
            // TL005 is advice (the retired code still works): asked for here.
            .args([
                "check",
                "--format",
                "concise",
                "--extend-select",
                "TL005",
                "--env-file",
            ])
            .arg(dir.path().join("freeze.txt"))
            .arg(dir.path().join(file)));
        out.stdout
    };
    let plain = check("train.py", "import xformers\n");
    assert!(plain.contains("XF001 [warning]"), "{plain}");
    assert!(
        plain.contains("xformers 0.0.28.post2 declares torch ==2.5.0"),
        "the message names the table's row: {plain}"
    );
    let suppressed = check("train.py", "import xformers  # tunelint: ignore[XF006]\n");
    assert!(!suppressed.contains("XF001 ["), "{suppressed}");
    assert!(
        suppressed.contains(
            "TL005 [info] suppression names `XF006`, a retired code that is now part of XF001"
        ),
        "{suppressed}"
    );
    let out = run(tunelint()
        .args(["check", "--fix", "--extend-select", "TL005", "--env-file"])
        .arg(dir.path().join("freeze.txt"))
        .arg(dir.path().join("train.py")));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("train.py")).unwrap(),
        "import xformers  # tunelint: ignore[XF001]\n"
    );
    std::fs::write(dir.path().join("train.py"), "import xformers\n").unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[tool.tunelint]\nignore = [\"XF006\"]\n",
    )
    .unwrap();
    let out = run(tunelint()
        .args(["check", "--format", "concise", "--env-file"])
        .arg(dir.path().join("freeze.txt"))
        .arg(dir.path().join("train.py")));
    assert!(!out.stdout.contains("XF001 ["), "{}", out.stdout);
}

/// Every release file of the index parses, and names releases in order.
#[test]
fn the_release_index_parses() {
    let index = tunelint::kb::ReleaseIndex::embedded();
    for package in [
        "torch",
        "torchvision",
        "torchaudio",
        "xformers",
        "triton",
        "unsloth",
        "unsloth-zoo",
        "trl",
        "peft",
        "transformers",
        "accelerate",
        "bitsandbytes",
        "datasets",
        "vllm",
        "flash-attn",
    ] {
        let p = index
            .package(package)
            .unwrap_or_else(|| panic!("{package} is tracked"));
        assert!(!p.releases.is_empty(), "{package}");
        assert!(p.newest().is_some(), "{package}");
    }
    let names: Vec<&str> = index.package_names().collect();
    assert_eq!(names.len(), 15, "{names:?}");
    for name in names {
        assert_eq!(index.package(name).unwrap().package, name);
    }
    let xf = index.package("xformers").unwrap();
    let release = xf.get(&"0.0.28.post2".parse().unwrap()).unwrap();
    assert_eq!(release.uploaded.as_deref(), Some("2024-10-22"));
}

/// The rows of every compatibility table agree with the release index: a row's `requires` is
/// what that release's own metadata declares, and what it works with includes it. The tables
/// are derived from the index, not kept by hand.
#[test]
fn tables_agree_with_the_release_index() {
    let index = tunelint::kb::ReleaseIndex::embedded();
    let kb = KnowledgeBase::embedded();
    assert!(kb.tables().len() >= 2);
    for table in kb.tables() {
        assert!(
            tunelint::kb::embedded_table_names().any(|n| n == table.name),
            "table `{}` must be named after its file",
            table.name
        );
    }
    let mut problems = Vec::new();
    for table in kb.tables() {
        let releases = index
            .package(&table.key)
            .unwrap_or_else(|| panic!("{} is in the release index", table.key));
        for row in &table.rows {
            let Some(declared) = index.requires_of(&table.key, &row.version, &table.other) else {
                problems.push(format!(
                    "{} {}: not in the release index",
                    table.key, row.version
                ));
                continue;
            };
            let declared: Vec<String> = declared
                .iter()
                .map(|r| match &r.spec {
                    tunelint::requirement::RequirementSpec::Specifiers(s) => s.to_string(),
                    other => format!("{other:?}"),
                })
                .collect();
            // A release that declares nothing on the other package (torchaudio 2.11.0 on
            // torch) has an empty `requires`.
            let expected: Vec<String> = if row.requires.is_empty() {
                Vec::new()
            } else {
                vec![row.requires.to_string()]
            };
            if declared != expected {
                problems.push(format!(
                    "{} {}: the table says {} {}, its metadata {declared:?}",
                    table.key, row.version, table.other, row.requires
                ));
            }
            if let Some(pin) = row.requires.iter().next() {
                if !row.works_with.contains(pin.version()) {
                    problems.push(format!(
                        "{} {}: works-with {} leaves out its own pin {}",
                        table.key, row.version, row.works_with, pin
                    ));
                }
            }
        }
        // Every release since the table's first row has a row, so that a release the table
        // does not know is never reported as compatible by omission.
        let first = &table.rows[0].version;
        for r in releases.releases.iter().filter(|r| &r.version >= first) {
            if table.row(&r.version).is_none() {
                problems.push(format!(
                    "{} {} (uploaded {}) has no row in {}",
                    table.key,
                    r.version,
                    r.uploaded.as_deref().unwrap_or("?"),
                    table.name
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The JSON Schema editors use agrees with the loader: every advisory and table validates, and
/// the schema rejects what the loader rejects (an unknown key, a key of another fix kind, a
/// moving-branch link). Needs Python's `jsonschema`, which `.ci/run` installs.
#[test]
fn the_json_schema_validates_every_advisory_and_table() {
    if !crate::support::has_python_jsonschema() {
        return;
    }
    let script = r#"
import glob, json, sys, tomllib, jsonschema
root = sys.argv[1]
advisory = json.load(open(root + "/advisories/schema/advisory.schema.json"))
table = json.load(open(root + "/advisories/schema/table.schema.json"))
def front(text):
    return tomllib.loads(text[len("```toml\n"):text.index("\n```\n")])
count = 0
for f in sorted(glob.glob(root + "/advisories/*.md")):
    jsonschema.validate(front(open(f).read()), advisory)
    count += 1
for f in sorted(glob.glob(root + "/advisories/tables/*.toml")):
    jsonschema.validate(tomllib.loads(open(f).read()), table)
base = front(open(root + "/advisories/XF001.md").read())
broken = [
    dict(base, colour=1),
    dict(base, references=["https://github.com/unslothai/unsloth/blob/main/pyproject.toml"]),
    dict(base, fixes=[{"kind": "pin", "package": "x", "specifier": "<1", "applicability": "safe", "command": "x"}]),
    dict(base, fixes=[{"kind": "upgrade", "applicability": "safe"}]),
    dict(base, severity="fatal"),
]
for b in broken:
    try:
        jsonschema.validate(b, advisory)
    except jsonschema.ValidationError:
        continue
    sys.exit("accepted: " + json.dumps(b)[:200])
print(count)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let count: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(count, EMBEDDED.len());
}

/// Every key the JSON Schema names is a key of the loader's serde types, so that the schema
/// cannot promise what the loader rejects.
#[test]
fn the_json_schema_names_only_keys_the_loader_reads() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("advisories/schema/advisory.schema.json")).unwrap(),
    )
    .unwrap();
    let loader = std::fs::read_to_string(repo().join("server/src/kb/schema.rs")).unwrap();
    let mut keys = Vec::new();
    fn walk(v: &serde_json::Value, keys: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::Object(props)) = m.get("properties") {
                    keys.extend(props.keys().cloned());
                }
                m.values().for_each(|x| walk(x, keys));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, keys)),
            _ => {}
        }
    }
    walk(&schema, &mut keys);
    for key in keys {
        let field = key.replace('-', "_");
        assert!(
            loader.contains(&format!("pub {field}:"))
                || loader.contains(&format!("    {field}:"))
                || key == "kind",
            "the schema names `{key}`, which server/src/kb/schema.rs does not read"
        );
    }
}

/// One snapshot per advisory of what each of its examples shows a user: the messages and the
/// fixes with the lines they change. A changed message or fix shows in review, as ruff
/// snapshots each rule's fixture.
#[test]
fn every_advisory_has_a_snapshot_of_its_examples() {
    let kb = KnowledgeBase::embedded_with_examples();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo().join("tests/integration/snapshots/advisories"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for advisory in &kb.advisories {
            let mut text = String::new();
            for example in &advisory.examples {
                match tunelint::advisory_examples::render_example(advisory, example, &kb) {
                    Ok(t) => text.push_str(&t),
                    Err(e) => text.push_str(&format!("## {}\nFAILED: {e}\n", example.name)),
                }
                text.push('\n');
            }
            insta::assert_snapshot!(advisory.id.clone(), text);
        }
    });
}

/// Condition trees: `all`, `any` and `not` over versions, code and the platform facts of a
/// saved Unsloth banner; a fact the evidence lacks makes the condition unknown, and an unknown
/// condition never reports.
#[test]
fn condition_trees_decide_on_versions_code_and_platform_facts() {
    let banner = |gpu: &str, capability: &str| {
        format!("==((====))==  Unsloth 2025.3.14: Fast Llama patching. Transformers: 4.49.0.\\n   \\\\\\\\   /|    GPU: {gpu}. Num GPUs = 1. Max memory: 14.741 GB. Platform: Linux.\\nO^O/ \\\\_/ \\\\    Torch: 2.5.1+cu124. CUDA: {capability}. CUDA Toolkit: 12.4. Triton: 3.1.0\\n")
    };
    let example = |name: &str, expect: &str, stdout: Option<String>| {
        let cell = match stdout {
            Some(s) => {
                format!("[[examples.cells]]\nsource = \"import unsloth\"\nstdout = \"{s}\"\n")
            }
            None => "[[examples.cells]]\nsource = \"import unsloth\"\n".to_string(),
        };
        format!(
            "[[examples]]\nname = \"{name}\"\nexpect = \"{expect}\"\npath = \"nb.ipynb\"\n{cell}"
        )
    };
    let text = format!(
        "```toml\nschema = 2\nid = \"ORG003\"\ntitle = \"t\"\neffect = \"fails-sometimes\"\nseverity = \"warning\"\nsummary = \"s\"\nflag = [{{ import = \"unsloth\" }}]\n[versions]\nunsloth = \">=2025.1\"\nwhen = {{ all = [{{ any = [{{ gpu = \"T4|V100\" }}, {{ compute-capability = \"<7.0\" }}] }}, {{ not = {{ platform = \"Windows\" }} }}, {{ cuda = \">=12\" }}, {{ torch-build = \"^cu12\" }}, {{ code = {{ import = \"unsloth\" }} }}] }}\n{}{}{}{}```\n\n# ORG003\n",
        example("a T4", "trigger", Some(banner("Tesla T4", "7.5"))),
        example("a P100 by its capability", "trigger", Some(banner("Tesla P100-PCIE-16GB", "6.0"))),
        example("an L4", "clean", Some(banner("NVIDIA L4", "8.9"))),
        example("no banner: unknown, not reported", "clean", None),
    );
    let text = text.replacen("[versions]\nunsloth = \">=2025.1\"\nwhen", "when", 1);
    let mut kb = KnowledgeBase::embedded();
    kb.extend_from(&[("ORG003.md".into(), text)]).unwrap();
    let org = kb.get("ORG003").unwrap();
    assert!(org.when.is_some());
    for spec in &org.examples {
        run_example(org, spec, &kb).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
    }
}

/// A symptom's captured versions are evidence like installed ones: they pick the advisory's
/// case (its severity and note) and decide the symptom's own condition.
#[test]
fn captured_versions_pick_cases_and_decide_conditions() {
    let example = |name: &str, expect: &str, severity: &str, line: &str| {
        format!("[[examples]]\nname = \"{name}\"\nexpect = \"{expect}\"\n{severity}path = \"train.log\"\nsource = \"{line}\\n\"\n")
    };
    let text = format!(
        "```toml\nschema = 2\nid = \"ORG004\"\ntitle = \"t\"\neffect = \"fails-sometimes\"\nseverity = \"warning\"\nsummary = \"s\"\n\n[[cases]]\neffect = \"fails\"\nseverity = \"error\"\nversions = {{ unsloth = \"<2025\" }}\nnote = \"an old unsloth stops here\"\n\n[[symptoms]]\npattern = \"Unsloth (?P<unsloth>[0-9.]+) broke\"\nmessage = \"it broke\"\nwhen = {{ not = {{ versions = {{ unsloth = \"==2024.1\" }} }} }}\n\n{}{}{}```\n\n# ORG004\n",
        example("an old unsloth: the case", "trigger", "severity = \"error\"\n", "Unsloth 2024.5 broke"),
        example("a new unsloth: the base severity", "trigger", "severity = \"warning\"\n", "Unsloth 2025.2 broke"),
        example("the symptom's condition rules it out", "clean", "", "Unsloth 2024.1 broke"),
    );
    let mut kb = KnowledgeBase::embedded();
    kb.extend_from(&[("ORG004.md".into(), text)]).unwrap();
    let org = kb.get("ORG004").unwrap();
    for spec in &org.examples {
        let found = run_example(org, spec, &kb).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        if spec.name.starts_with("an old") {
            let f = found.iter().find(|f| f.code == "ORG004").unwrap();
            assert!(
                f.message.ends_with("(an old unsloth stops here)"),
                "{}",
                f.message
            );
        }
    }
}

/// The copy a check parses at start-up (build.rs drops examples and provenance) is the whole
/// advisory in every other respect.
#[test]
fn the_runtime_copy_is_the_advisory_without_examples() {
    let runtime = KnowledgeBase::embedded();
    let whole = KnowledgeBase::embedded_with_examples();
    assert_eq!(runtime.advisories.len(), whole.advisories.len());
    for (r, w) in runtime.advisories.iter().zip(&whole.advisories) {
        assert_eq!(r.id, w.id);
        assert!(r.examples.is_empty() && r.provenance.is_empty(), "{}", r.id);
        assert!(!w.examples.is_empty(), "{}", w.id);
        let shape = |a: &tunelint::kb::Advisory| {
            format!(
                "{} {} {} {:?} {:?} {:?} {} {} {} {} {} {:?} {:?}",
                a.title,
                a.severity.as_str(),
                a.summary,
                a.versions
                    .iter()
                    .map(|(p, r)| format!("{p}{r}"))
                    .collect::<Vec<_>>(),
                a.when.as_ref().map(ToString::to_string),
                a.table,
                a.cases.len(),
                a.symptoms.len(),
                a.fixes.len(),
                a.flag.len(),
                a.body.len(),
                a.aliases,
                a.requires_dist,
            )
        };
        assert_eq!(shape(r), shape(w));
    }
}

/// Every package whose version an advisory tests (in `versions` or a case) names the primary
/// source of its boundary, except the packages of a table, whose rows carry their sources, and
/// those of a `requires-dist` check, whose source is each release's own metadata.
#[test]
fn every_boundary_names_its_source() {
    let kb = KnowledgeBase::embedded_with_examples();
    let mut missing = Vec::new();
    for a in &kb.advisories {
        let table = a.table.as_deref().and_then(|t| kb.table(t));
        let sourced = |p: &str| {
            a.provenance.iter().any(|s| s.package == p)
                || table.is_some_and(|t| t.key == p || t.other == p)
                || a.requires_dist
                    .as_ref()
                    .is_some_and(|(package, on)| package == p || on == p)
        };
        let tested = a
            .versions
            .iter()
            .chain(a.cases.iter().flat_map(|c| &c.versions))
            .map(|(p, _)| p.as_str());
        for p in tested {
            if !sourced(p) && !missing.contains(&format!("{} {p}", a.id)) {
                missing.push(format!("{} {p}", a.id));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "no [[provenance]] for: {}",
        missing.join(", ")
    );
}

/// Every real report attached to a table row is recognised as its reporter met it: from the
/// versions they had (an environment with that release and that torch, and code that imports
/// the package) and from the lines they pasted (a training log). Either way the table's
/// advisory is reported.
#[test]
fn every_reported_table_row_is_recognised_from_its_versions_and_from_its_text() {
    use crate::support::{run, tunelint};
    let kb = KnowledgeBase::embedded();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let mut reports = 0;
    for table in kb.tables() {
        let advisory = kb
            .advisories
            .iter()
            .find(|a| a.table.as_deref() == Some(table.name.as_str()))
            .unwrap_or_else(|| panic!("an advisory uses table {}", table.name));
        let code = format!("{} [", advisory.id);
        for row in &table.rows {
            for report in &row.reports {
                reports += 1;
                let what = format!("{} {} ({})", table.key, row.version, report.url);
                assert!(
                    !row.works_with.contains(&report.other),
                    "{what}: the reported {} {} is inside what the row works with; a report of a \
                     working pair belongs in the row's evidence, not in `reports`",
                    table.other,
                    report.other
                );
                std::fs::write(
                    dir.path().join("freeze.txt"),
                    format!(
                        "{}=={}\n{}=={}\n",
                        table.key, row.version, table.other, report.other
                    ),
                )
                .unwrap();
                let module = table.key.replace('-', "_");
                std::fs::write(dir.path().join("train.py"), format!("import {module}\n")).unwrap();
                let out = run(tunelint()
                    .args(["check", "--format", "concise", "--env-file"])
                    .arg(dir.path().join("freeze.txt"))
                    .arg(dir.path().join("train.py")));
                assert!(
                    out.stdout.contains(&code),
                    "{what}: the reported versions must be recognised\n{}",
                    out.stdout
                );
                std::fs::write(dir.path().join("run.log"), format!("{}\n", report.text)).unwrap();
                let out = run(tunelint()
                    .args(["check", "--format", "concise"])
                    .arg(dir.path().join("run.log")));
                assert!(
                    out.stdout.contains(&code),
                    "{what}: the pasted text must be recognised\n{}",
                    out.stdout
                );
            }
        }
    }
    assert!(reports >= 15, "{reports} reports");
}

/// The README's "What the knowledge base covers" says what the knowledge base holds: the
/// number of advisories, of table rows, of advisories with an example trimmed from a public
/// report, and the advisories per package (each advisory's `[versions]` packages).
#[test]
fn the_readme_counts_what_the_knowledge_base_holds() {
    let kb = KnowledgeBase::embedded_with_examples();
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("## What the knowledge base covers")
        .expect("README has the coverage section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    // Prose may be reflowed: phrases are looked up with their spaces and line breaks as one.
    let prose = section.split_whitespace().collect::<Vec<_>>().join(" ");
    let number_before = |words: &str| -> usize {
        let at = prose
            .find(words)
            .unwrap_or_else(|| panic!("the coverage section says `N{words}`"));
        let digits: String = prose[..at]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        digits
            .parse()
            .unwrap_or_else(|_| panic!("no number before `{words}` in the coverage section"))
    };
    let rows: usize = kb.tables().iter().map(|t| t.rows.len()).sum();
    let reported = kb
        .advisories
        .iter()
        .filter(|a| !a.reports().is_empty())
        .count();
    assert_eq!(number_before(" advisories and "), kb.advisories.len());
    assert_eq!(number_before(" table rows"), rows);
    assert_eq!(
        number_before(" advisories have an example trimmed from a public report"),
        reported
    );
    let mut per_package: std::collections::BTreeMap<&str, usize> = Default::default();
    for advisory in &kb.advisories {
        let mut seen = std::collections::BTreeSet::new();
        for package in advisory.packages() {
            if seen.insert(package) {
                *per_package.entry(package).or_default() += 1;
            }
        }
    }
    let listed: std::collections::BTreeSet<&str> = section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| package") && !l.starts_with("| ---"))
        .filter_map(|l| l[2..].split(" |").next())
        .flat_map(|names| names.split(", "))
        .collect();
    assert_eq!(
        listed,
        per_package.keys().copied().collect(),
        "the coverage table lists exactly the packages advisories test"
    );
    for (package, count) in &per_package {
        let row = section
            .lines()
            .find(|l| {
                l.starts_with("| ")
                    && l[2..]
                        .split(" |")
                        .next()
                        .is_some_and(|names| names.split(", ").any(|n| n == *package))
            })
            .unwrap_or_else(|| panic!("the coverage table has no row for {package}"));
        let cell = row.split('|').nth(2).unwrap().trim();
        let written: usize = cell
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        assert_eq!(
            written, *count,
            "README coverage row for {package}: `{row}`"
        );
    }
}
