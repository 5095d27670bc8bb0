//! Micro-benchmarks of each stage: notebook reading and cell mapping, tree-sitter facts,
//! install-command parsing, environment scanning (1,000 distributions), knowledge-base
//! matching, and rendering. Run with `cargo bench -p tunelint --bench core`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use tunelint::check::{analyze, analyze_with_facts, python_facts, CheckContext};
use tunelint::evidence::Environment;
use tunelint::install::parse_shell_line;
use tunelint::kb::KnowledgeBase;
use tunelint::render::{render_full, FileReport};
use tunelint::source::{Document, Notebook};

/// The allocator the `tunelint` binary uses, so that a stage costs here what it costs a user.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The largest notebook of ../shared/corpus, or the bundled example when the corpus is absent.
fn large_notebook() -> Vec<u8> {
    let corpus = repo().join("../shared/corpus/notebooks");
    let largest = std::fs::read_dir(&corpus).ok().and_then(|d| {
        d.filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| Notebook::parse(&std::fs::read(p).unwrap_or_default()).is_ok())
            .max_by_key(|p| p.metadata().map(|m| m.len()).unwrap_or(0))
    });
    std::fs::read(
        largest.unwrap_or_else(|| repo().join("examples/founding-case/gemma2-finetune.ipynb")),
    )
    .unwrap()
}

fn bench_sources(c: &mut Criterion) {
    let bytes = large_notebook();
    c.bench_function(
        "notebook: read and map cells (largest corpus notebook)",
        |b| b.iter(|| Notebook::parse(black_box(&bytes)).unwrap()),
    );
    let doc = Document::from_notebook(Notebook::parse(&bytes).unwrap());
    c.bench_function("syntax: tree-sitter facts of every cell", |b| {
        b.iter(|| python_facts(black_box(&doc)))
    });
    let line = r#"!uv pip install -qqq --upgrade --no-deps "xformers<0.0.27" "trl<0.9.0" peft accelerate bitsandbytes {xformers} "unsloth[colab-new] @ git+https://github.com/unslothai/unsloth.git" && pip uninstall -y unsloth"#;
    let shell = tunelint::source::ShellLine {
        range: tunelint::text::TextRange::new(0, line.len()),
        prefix: tunelint::source::ShellPrefix::Bang,
        condition: None,
    };
    c.bench_function("install: parse one install line", |b| {
        b.iter(|| parse_shell_line(black_box(line), &shell))
    });
}

fn bench_environment(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("lib/python3.11/site-packages");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(dir.path().join("pyvenv.cfg"), "version = 3.11.7\n").unwrap();
    for i in 0..1000 {
        let d = site.join(format!("package_{i}-1.{i}.0.dist-info"));
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("METADATA"), format!("Metadata-Version: 2.1\nName: package-{i}\nVersion: 1.{i}.0\nSummary: a generated distribution\nRequires-Dist: numpy\n\nA long description that tunelint does not read.\n")).unwrap();
    }
    c.bench_function("environment: scan 1,000 distributions", |b| {
        b.iter(|| {
            tunelint::environment::from_prefix(
                black_box(dir.path()),
                tunelint::evidence::EnvironmentOrigin::ProjectVenv,
            )
        })
    });
}

/// `pip check` of 1,000 distributions whose METADATA declare what real ones do: a dozen
/// requirements each, half behind extras or Python markers, on packages that are installed.
fn bench_pip_check(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("lib/python3.11/site-packages");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(dir.path().join("pyvenv.cfg"), "version = 3.11.7\n").unwrap();
    for i in 0..1000 {
        let d = site.join(format!("package_{i}-1.{i}.0.dist-info"));
        std::fs::create_dir(&d).unwrap();
        let mut metadata = format!("Metadata-Version: 2.1\nName: package-{i}\nVersion: 1.{i}.0\n");
        for j in 1..=6 {
            let other = (i + j * 37) % 1000;
            metadata.push_str(&format!("Requires-Dist: package-{other}>=1.0\n"));
            metadata.push_str(&format!(
                "Requires-Dist: package-{other}[extra]<3,>=1.{j} ; extra == \"dev\"\n"
            ));
        }
        metadata.push_str("Requires-Dist: typing-extensions>=4.0 ; python_version < \"3.12\"\n");
        metadata.push_str("Requires-Dist: peft>=0.12 ; sys_platform == \"linux\"\n\nText.\n");
        std::fs::write(d.join("METADATA"), metadata).unwrap();
    }
    let kb = KnowledgeBase::embedded();
    c.bench_function("environment: scan and pip-check 1,000 distributions", |b| {
        b.iter(|| {
            let env = tunelint::environment::from_prefix(
                black_box(dir.path()),
                tunelint::evidence::EnvironmentOrigin::ProjectVenv,
            );
            tunelint::check::unmet_requirements(&env, &kb)
        })
    });
    let env = tunelint::environment::from_prefix(
        dir.path(),
        tunelint::evidence::EnvironmentOrigin::ProjectVenv,
    );
    c.bench_function("environment: pip-check alone, 1,000 distributions", |b| {
        b.iter(|| tunelint::check::unmet_requirements(black_box(&env), &kb))
    });
}

fn bench_matching_and_rendering(c: &mut Criterion) {
    let kb = KnowledgeBase::embedded();
    let path = repo().join("examples/founding-case/gemma2-finetune.ipynb");
    let bytes = std::fs::read(&path).unwrap();
    let doc = Document::from_notebook(Notebook::parse(&bytes).unwrap());
    let env = Environment::from_pairs(
        [
            ("peft", "0.12.0"),
            ("unsloth", "2024.7"),
            ("trl", "0.8.6"),
            ("transformers", "4.43.3"),
        ],
        "bench",
    );
    let ctx = CheckContext {
        display_path: "gemma2-finetune.ipynb",
        path: &path,
        env: &env,
        project: &[],
        kb: &kb,
        memo: None,
    };
    c.bench_function(
        "check: analyse the founding notebook against every advisory",
        |b| b.iter(|| analyze(black_box(&doc), &ctx)),
    );
    // What the language server redoes on each edit of the largest notebook: the analysis with
    // the cells' facts already cached (the facts of the edited cell are the syntax bench's)
    // and what the saved outputs say kept, as the server keeps them for a notebook in use.
    let mut large = Notebook::parse(&large_notebook()).unwrap();
    large.signals = Some(Default::default());
    let large = Document::from_notebook(large);
    let large_facts = python_facts(&large);
    c.bench_function(
        "check: analyse the largest notebook with its facts cached (an edit)",
        |b| b.iter(|| analyze_with_facts(black_box(&large), large_facts.clone(), &ctx)),
    );
    c.bench_function("kb: load the embedded advisories", |b| {
        b.iter(KnowledgeBase::embedded)
    });
    let findings = analyze(&doc, &ctx).findings;
    c.bench_function("render: full format with code frames", |b| {
        b.iter_batched(
            || {
                vec![FileReport {
                    path: path.clone(),
                    display: "gemma2-finetune.ipynb".into(),
                    raw: String::new(),
                    doc: Some(doc.clone()),
                    findings: findings.clone(),
                    acknowledged: Vec::new(),
                    advice: Vec::new(),
                }]
            },
            |reports| render_full(&reports, false),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(
    benches,
    bench_sources,
    bench_environment,
    bench_pip_check,
    bench_matching_and_rendering
);
criterion_main!(benches);
