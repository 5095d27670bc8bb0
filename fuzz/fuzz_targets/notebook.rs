//! The notebook reader, cell map, masking and the whole analysis of whatever it accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tunelint::check::{analyze, CheckContext};
use tunelint::evidence::Environment;
use tunelint::kb::KnowledgeBase;
use tunelint::source::{Document, Notebook};

fuzz_target!(|data: &[u8]| {
    if let Ok(nb) = Notebook::parse(data) {
        // Every offset maps back to a cell position without panicking.
        for offset in [0, nb.text.len() / 2, nb.text.len()] {
            let _ = nb.locate(offset);
        }
        let doc = Document::from_notebook(nb);
        assert_eq!(doc.python.len(), doc.text.len(), "masking moved an offset");
        thread_local!(static KB: KnowledgeBase = KnowledgeBase::embedded());
        let env = Environment::from_pairs([("peft", "0.12.0"), ("unsloth", "2024.7")], "fuzz");
        KB.with(|kb| {
            let path = std::path::Path::new("fuzz.ipynb");
            let ctx = CheckContext {
                display_path: "fuzz.ipynb",
                path,
                env: &env,
                project: &[],
                kb,
                memo: None,
            };
            let _ = analyze(&doc, &ctx);
        });
    }
});
