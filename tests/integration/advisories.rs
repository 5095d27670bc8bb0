//! Every advisory file parses, and every example in it does what it says.

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
    let kb = KnowledgeBase::embedded();
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

#[test]
fn invalid_advisories_are_rejected_with_a_reason() {
    let cases = [
        ("no front matter", "# nothing"),
        ("bad id", "```toml\nid = \"x\"\ntitle = \"t\"\nseverity = \"error\"\nsummary = \"s\"\n```\n"),
        ("unknown key", "```toml\nid = \"AB001\"\ntitle = \"t\"\nseverity = \"error\"\nsummary = \"s\"\ncolour = 1\n```\n"),
        ("bad range", "```toml\nid = \"AB001\"\ntitle = \"t\"\nseverity = \"error\"\nsummary = \"s\"\n[versions]\npeft = \"~~1\"\n```\n"),
    ];
    for (what, text) in cases {
        let err = tunelint::kb::Advisory::parse(text).expect_err(what);
        assert!(!err.is_empty(), "{what}");
    }
}
