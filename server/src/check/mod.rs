//! The analysis: a document, the evidence around it and the knowledge base become findings.
//!
//! Pure and synchronous: everything it needs (environment, project declarations, advisories)
//! is handed in. The CLI and the language server call [`analyze`] the same way.

mod conditions;
mod declarations;
mod environment_report;
mod matching;
mod paths;
mod pip_check;
mod resolve;
mod run_outcome;
mod stale_outputs;
mod suppress;
mod symptoms;
mod usage;

pub use declarations::{collect_declarations, Declaration, DeclarationSite};
pub use environment_report::{environment_findings, EnvironmentFinding, EnvironmentReport};
pub use pip_check::unmet_requirements;
pub use resolve::{dated_last_run, installed_versions, last_run_versions, next_run_versions};
pub use usage::{qualify, CodeIndex, Usage};

use crate::declared::DeclaredFile;
use crate::evidence::{Environment, Location, VersionFact};
use crate::finding::Finding;
use crate::kb::KnowledgeBase;
use crate::kb::{CodeNeedles, Needle, IMPORT_NEEDLE};
use crate::source::{import_statements, Document, PythonChunk};
use crate::syntax::{FactsMemo, PythonFacts};
use crate::text::TextRange;
use matching::Reach;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A dependency file of the project that applies to the document being checked.
#[derive(Clone, Debug)]
pub struct ProjectFile {
    pub path: PathBuf,
    /// How the path is shown in messages (relative to where the run started).
    pub display: String,
    pub text: String,
    pub declared: DeclaredFile,
}

/// Everything around a document that the analysis needs.
pub struct CheckContext<'a> {
    /// The document's path as shown in messages.
    pub display_path: &'a str,
    pub path: &'a std::path::Path,
    pub env: &'a Environment,
    pub project: &'a [ProjectFile],
    pub kb: &'a KnowledgeBase,
    /// Facts of statements already parsed in this run, when the caller keeps them.
    pub memo: Option<&'a FactsMemo>,
}

/// The result of analysing one document: its facts, the versions in play, and the findings.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    pub facts: PythonFacts,
    pub declarations: Vec<Declaration>,
    /// What the next run will use, per package.
    pub next_run: BTreeMap<String, VersionFact>,
    /// What the saved outputs say the last run used, per package.
    pub last_run: BTreeMap<String, VersionFact>,
    pub findings: Vec<Finding>,
    /// Findings a `# tunelint: ignore` comment silenced: problems the user has seen.
    pub suppressed: Vec<Finding>,
}

/// Extracts the Python facts of a document, one run of touching chunks (a notebook cell, or a
/// script) at a time.
pub fn python_facts(doc: &Document) -> PythonFacts {
    python_facts_where(doc, None, None)
}

/// Extracts facts only from the chunks that name one of `needles` in code (when given): a
/// notebook cell or a script statement that names no import, no advisory's call and no loader
/// has no fact any check reads. Two kinds of chunk are pulled in afterwards, once the imports
/// and loader calls are known: those that call an advisory's class or function under a local
/// alias (`from trl import SFTTrainer as S`), and those that name a variable a loader takes
/// its model name from. Facts come back in source order whatever order the chunks were parsed
/// in.
pub fn python_facts_where(
    doc: &Document,
    needles: Option<&CodeNeedles>,
    memo: Option<&FactsMemo>,
) -> PythonFacts {
    let mut facts = PythonFacts::default();
    if !matches!(
        doc.kind,
        crate::source::SourceKind::Script | crate::source::SourceKind::Notebook
    ) {
        return facts;
    }
    let Some(needles) = needles else {
        extract_chunks(doc, &doc.python_chunks(), memo, &mut facts);
        facts.sort_by_position();
        return facts;
    };
    let import_needle = needles
        .needles()
        .iter()
        .position(|n| n.text == IMPORT_NEEDLE);
    let mut parsed = Vec::new();
    let mut skipped = Vec::new();
    // Chunks that name `import` and nothing else: only their import statements are parsed,
    // each on its own (two of them inside a function are not one text).
    let mut import_only = Vec::new();
    let mut import_statements_found = Vec::new();
    for chunk in doc.python_chunks() {
        let text = chunk.range.slice(&doc.python);
        let named = needles.named_in_code(text);
        if named.iter().any(|&n| Some(n) != import_needle) {
            parsed.push(chunk);
        } else if named.is_empty() {
            skipped.push(chunk);
        } else if let Some(imports) = import_statements(text).filter(|_| !may_be_dormant(text)) {
            import_statements_found
                .extend(imports.into_iter().map(|r| r.offset(chunk.range.start)));
            import_only.push(chunk);
        } else {
            parsed.push(chunk);
        }
    }
    // A run of nearby parsed chunks is parsed as one text, with the chunks between them: those
    // have given their facts already and are not parsed again.
    let covered = extract_chunks(doc, &parsed, memo, &mut facts);
    let uncovered = |range: &TextRange| {
        !covered
            .iter()
            .any(|run| run.start <= range.start && range.end <= run.end)
    };
    for range in import_statements_found.into_iter().filter(uncovered) {
        facts.extend(facts_of(range.slice(&doc.python), memo).offset(range.start));
    }
    facts.sort_by_position();

    let second_round = SecondRound::new(&facts, needles);
    if !second_round.is_empty() {
        let names_one = |chunk: &PythonChunk| {
            uncovered(&chunk.range) && second_round.named_by(chunk.range.slice(&doc.python))
        };
        let naming: Vec<PythonChunk> = skipped.into_iter().filter(names_one).collect();
        extract_chunks(doc, &naming, memo, &mut facts);
        // An import-only chunk gave its imports already; its calls and assignments are new.
        let mut more = PythonFacts::default();
        let naming: Vec<PythonChunk> = import_only.into_iter().filter(names_one).collect();
        extract_chunks(doc, &naming, memo, &mut more);
        facts.calls.extend(more.calls);
        facts.assignments.extend(more.assignments);
        facts.dormant.extend(more.dormant);
        facts.has_syntax_error |= more.has_syntax_error;
    }
    facts.sort_and_drop_repeats();
    facts
}

/// Whether a chunk may hold an `if False:` / `if 0:` / `while False:` body, which does not run
/// as written: its imports are then parsed with the statements around them, so that the body's
/// range is known, instead of one by one. A plain word test: a chunk that only mentions `False`
/// elsewhere is parsed whole, which costs a little time and changes nothing else.
fn may_be_dormant(text: &str) -> bool {
    text.contains("False") || text.contains("if 0") || text.contains("while 0")
}

/// The names that make an unparsed chunk worth parsing once the first round's facts are in.
struct SecondRound {
    /// Variables a loader call takes its model name from; any mention counts, since the
    /// assignment may sit anywhere.
    variables: Vec<String>,
    /// Local aliases of imported names that contain a needle, and names imported from a
    /// module a pattern matches every member of, called in code.
    aliases: Option<CodeNeedles>,
}

impl SecondRound {
    fn new(facts: &PythonFacts, needles: &CodeNeedles) -> SecondRound {
        let variables = facts
            .calls
            .iter()
            .filter(|c| c.callee.ends_with("from_pretrained"))
            .filter_map(|c| match c.model_name_argument() {
                Some((crate::syntax::Literal::Expr(name), _)) => Some(name.clone()),
                _ => None,
            })
            .collect();
        let aliases: Vec<Needle> = facts
            .imports
            .iter()
            .filter_map(|i| {
                // `from m import a as b` renames `a`; `import m.a as b` renames `m.a`, while a
                // plain `import m.a` binds `m` under its own name.
                let (original, renamed) = match &i.name {
                    Some(name) => (name.as_str(), i.binding != *name),
                    None => (
                        i.module.rsplit('.').next().unwrap_or(&i.module),
                        i.binding != i.module.split('.').next().unwrap_or(&i.module),
                    ),
                };
                let from_wildcard_module = i.name.is_some()
                    && i.binding != "*"
                    && needles.matches_every_member_of(&i.module);
                ((renamed
                    && needles
                        .needles()
                        .iter()
                        .any(|n| n.matches_identifier(original)))
                    || from_wildcard_module)
                    .then(|| Needle::identifier(&i.binding))
            })
            .collect();
        SecondRound {
            variables,
            aliases: (!aliases.is_empty()).then(|| CodeNeedles::new(aliases)),
        }
    }

    fn is_empty(&self) -> bool {
        self.variables.is_empty() && self.aliases.is_none()
    }

    fn named_by(&self, text: &str) -> bool {
        self.variables.iter().any(|v| text.contains(v.as_str()))
            || self
                .aliases
                .as_ref()
                .is_some_and(|a| !a.named_in_code(text).is_empty())
    }
}

/// Statements of one part closer than this are parsed as one text: the comments between them
/// cost the parser less than a parse of its own.
const JOIN_GAP: usize = 512;

/// Parses `chunks` (in order) and adds their facts, joining nearby statements of one part.
/// Returns the texts parsed, which hold every statement between the chunks they join.
fn extract_chunks(
    doc: &Document,
    chunks: &[PythonChunk],
    memo: Option<&FactsMemo>,
    facts: &mut PythonFacts,
) -> Vec<TextRange> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < chunks.len() {
        let part = chunks[i].part;
        let mut run = chunks[i].range;
        i += 1;
        while i < chunks.len()
            && chunks[i].part == part
            && chunks[i].range.start - run.end <= JOIN_GAP
        {
            run = TextRange::new(run.start, chunks[i].range.end);
            i += 1;
        }
        facts.extend(facts_of(run.slice(&doc.python), memo).offset(run.start));
        runs.push(run);
    }
    runs
}

/// The facts of one Python text, from `memo` when there is one.
fn facts_of(text: &str, memo: Option<&FactsMemo>) -> PythonFacts {
    match memo {
        Some(memo) => memo.facts_of(text),
        None => crate::syntax::extract(text),
    }
}

/// Analyses one document with facts already extracted (the language server caches them per
/// cell).
pub fn analyze_with_facts(doc: &Document, facts: PythonFacts, ctx: &CheckContext) -> Analysis {
    let declarations = collect_declarations(doc, ctx);
    let last_run = last_run_versions(doc, ctx.display_path, ctx.path);
    let output_lines = symptoms::collect_lines(doc);
    let memo = doc.notebook.as_ref().and_then(|nb| nb.signals.as_deref());
    let symptom_hits = symptoms::SymptomHits::scan(&output_lines, ctx.kb, memo);
    // Versions judged by the day a cell ran are a run of their own: they join the runs an
    // advisory can match, never the printed versions that conditions of the next run fall
    // back on (a 2025 unsloth_zoo is no evidence about the trl a run today installs).
    let mut runs = last_run.clone();
    for (package, fact) in dated_last_run(doc, &declarations, &last_run, ctx) {
        runs.entry(package).or_insert(fact);
    }
    let last_runs = matching::runs_by_cell(&runs);
    let paths = paths::install_paths(doc, &declarations);
    let code = CodeIndex::new(&facts, doc, ctx.env);
    let mut findings: Vec<Finding> = Vec::new();
    let mut found_on: Vec<FoundOn> = Vec::new();
    let mut first_next_run = None;
    let mut installed = Some(installed_versions(ctx));
    // An advisory that the code every path shares rules out on one path is not tried again.
    let mut ruled_out_on_every_path = vec![false; ctx.kb.advisories.len()];
    for (path_index, path) in paths.iter().enumerate() {
        let on_path: Vec<Declaration> = declarations
            .iter()
            .filter(|d| path.includes(d))
            .cloned()
            .collect();
        // The last path takes the environment's versions, the others a copy.
        let installed = if path_index + 1 == paths.len() {
            installed.take().unwrap_or_default()
        } else {
            installed.clone().unwrap_or_default()
        };
        let next_run = next_run_versions(doc, &on_path, ctx, installed);
        let usage = Usage::new(&code, &on_path);
        let mut path_findings = Vec::new();
        let m = matching::MatchContext {
            doc,
            usage: &usage,
            declarations: &on_path,
            next_run: &next_run,
            last_run: &last_run,
            last_runs: &last_runs,
            output_lines: &output_lines,
            ctx,
        };
        for ((advisory, hits), ruled_out) in ctx
            .kb
            .advisories
            .iter()
            .zip(&symptom_hits)
            .zip(&mut ruled_out_on_every_path)
        {
            if !*ruled_out {
                *ruled_out = matching::match_advisory(advisory, &m, &mut path_findings)
                    == Reach::RuledOutOnEveryPath;
            }
            symptoms::match_symptoms(advisory, hits, &m, &mut path_findings);
        }
        // The same finding on two paths is one finding (one per install line, not per arm):
        // the first path's message is kept, even when another path names other versions.
        for f in path_findings {
            let earlier = (0..findings.len()).find(|&i| {
                found_on[i].first < path_index
                    && findings[i].code == f.code
                    && findings[i].range == f.range
            });
            match earlier {
                Some(i) if found_on[i].last != path_index => {
                    found_on[i].paths += 1;
                    found_on[i].last = path_index;
                }
                Some(_) => {}
                None => {
                    findings.push(f);
                    found_on.push(FoundOn {
                        paths: 1,
                        first: path_index,
                        last: path_index,
                        label: path.label.clone(),
                    });
                }
            }
        }
        first_next_run.get_or_insert(next_run);
    }
    if paths.len() > 1 {
        // A finding on an install line inside an arm says which arm by where it is.
        let in_arm = |range: TextRange| {
            declarations.iter().any(|d| {
                d.install.as_ref().is_some_and(|i| i.condition.is_some())
                    && d.range_here()
                        .is_some_and(|r| r.start <= range.start && range.end <= r.end)
            })
        };
        for (f, on) in findings.iter_mut().zip(&found_on) {
            if in_arm(f.range) {
                continue;
            }
            if let (true, Some(label)) = (on.paths < paths.len(), &on.label) {
                f.message = format!("{} (when {label})", f.message);
            }
        }
    }
    merge_output_findings(doc, &mut findings);
    run_outcome::soften_disproved(doc, &last_run, &mut findings);
    stale_outputs::soften_stale(doc, &facts, &last_run, &mut findings);
    drop_pins_to_known_bad_versions(&mut findings, ctx.kb);
    findings.extend(declarations::declaration_problems(doc));
    let suppressed = suppress::apply_suppressions(doc, ctx.kb, &mut findings);
    findings.sort_by(|a, b| {
        (a.range.start, &a.code, a.range.end).cmp(&(b.range.start, &b.code, b.range.end))
    });
    findings.dedup_by(|a, b| a.code == b.code && a.range == b.range && a.message == b.message);
    Analysis {
        facts,
        declarations,
        next_run: first_next_run.unwrap_or_default(),
        last_run,
        findings,
        suppressed,
    }
}

/// On which install paths a finding was found.
struct FoundOn {
    /// How many paths found it.
    paths: usize,
    /// The first path that found it, whose message is kept.
    first: usize,
    /// The last path counted.
    last: usize,
    /// The first path's label.
    label: Option<String>,
}

/// One finding per problem: a saved output that shows what a finding in the code of the same
/// notebook cell already says (a FutureWarning under the deprecated call, Colab's restart
/// warning under the install that caused it) becomes related information of that finding, and
/// the one kept has the higher severity of the two.
fn merge_output_findings(doc: &Document, findings: &mut Vec<Finding>) {
    let Some(nb) = &doc.notebook else { return };
    let cell_of = |range: TextRange| nb.map.span_at(range.start).map(|s| s.cell);
    let mut merged = vec![false; findings.len()];
    // The same output line printed by several cells (pip repeating a conflict after each
    // install) is one finding, at the last cell that printed it.
    for i in 0..findings.len() {
        if findings[i].origin != crate::finding::Origin::Output {
            continue;
        }
        let later = (i + 1..findings.len()).find(|&j| {
            findings[j].origin == crate::finding::Origin::Output
                && findings[j].code == findings[i].code
                && findings[j].message == findings[i].message
        });
        if let Some(j) = later {
            let earlier = findings[i].range;
            findings[j].related.push(crate::finding::Related {
                location: crate::finding::RelatedLocation::Here(earlier),
                message: "an earlier output printed the same line".into(),
            });
            merged[i] = true;
        }
    }
    for i in 0..findings.len() {
        if findings[i].origin != crate::finding::Origin::Output || merged[i] {
            continue;
        }
        let Some(cell) = cell_of(findings[i].range) else {
            continue;
        };
        let target = findings.iter().position(|f| {
            f.origin == crate::finding::Origin::Code
                && f.code == findings[i].code
                && cell_of(f.range) == Some(cell)
        });
        let Some(target) = target else { continue };
        let output = findings[i].clone();
        let kept = &mut findings[target];
        kept.severity = kept.severity.max(output.severity);
        // Symptom messages start with the quoted line: "saved output `...`: why".
        let shown = output
            .message
            .split_once("`: ")
            .map_or(output.message.clone(), |(what, _)| format!("{what}`"));
        kept.related.push(crate::finding::Related {
            location: crate::finding::RelatedLocation::Here(output.range),
            message: format!("the cell's {shown} shows the same problem"),
        });
        merged[i] = true;
    }
    let mut index = 0;
    findings.retain(|_| {
        index += 1;
        !merged[index - 1]
    });
}

/// A fix that pins a package to the version in use must not pin a version that another finding
/// (a warning or an error) says is broken, or that another finding's pin excludes.
fn drop_pins_to_known_bad_versions(findings: &mut [Finding], kb: &KnowledgeBase) {
    let serious = findings
        .iter()
        .filter(|f| f.severity > crate::finding::Severity::Info);
    let mut bad: Vec<String> = Vec::new();
    let mut limits: Vec<crate::requirement::Requirement> = Vec::new();
    for f in serious {
        bad.extend(
            f.evidence
                .iter()
                .map(|e| format!("{}=={}", e.package, e.version)),
        );
        // The advisory's own pins count even when this finding does not offer them (a
        // reinstall already in place hides them), so that the answer does not change between
        // two runs of `--fix`.
        let pins = kb
            .get(&f.code)
            .into_iter()
            .flat_map(|a| &a.fixes)
            .filter_map(|t| match &t.kind {
                crate::kb::FixKind::Pin { package, specifier } => {
                    crate::requirement::parse_requirement(&format!("{package}{specifier}")).ok()
                }
                _ => None,
            });
        limits.extend(pins);
    }
    if bad.is_empty() && limits.is_empty() {
        return;
    }
    let excluded = |content: &str| {
        let content = content.trim_matches('"');
        if bad.iter().any(|b| b == content) {
            return true;
        }
        let Ok(pin) = crate::requirement::parse_requirement(content) else {
            return false;
        };
        let Some(version) = pin.spec.exact_version() else {
            return false;
        };
        limits
            .iter()
            .any(|l| l.name == pin.name && !l.spec.allows(&version))
    };
    for f in findings
        .iter_mut()
        .filter(|f| f.severity == crate::finding::Severity::Info)
    {
        f.fixes
            .retain(|fix| !fix.edits.iter().any(|e| excluded(&e.content)));
    }
}

/// Analyses one document.
pub fn analyze(doc: &Document, ctx: &CheckContext) -> Analysis {
    analyze_with_facts(
        doc,
        python_facts_where(doc, ctx.kb.code_needles(), ctx.memo),
        ctx,
    )
}

/// A location in the document, for related information and evidence.
pub fn location_in(
    doc: &Document,
    path: &std::path::Path,
    range: crate::text::TextRange,
) -> Location {
    match &doc.notebook {
        Some(nb) => {
            let (cell, lc) = nb
                .locate(range.start)
                .unwrap_or((1, crate::text::LineCol { line: 0, col: 0 }));
            Location {
                path: path.to_path_buf(),
                range,
                line: lc.line + 1,
                column: lc.col + 1,
                cell: Some(cell),
            }
        }
        None => {
            let lc = doc.lines().line_col_chars(range.start, &doc.text);
            Location {
                path: path.to_path_buf(),
                range,
                line: lc.line + 1,
                column: lc.col + 1,
                cell: None,
            }
        }
    }
}

/// How a place in the document is named in messages: `cell 3, line 2` or `line 4`.
pub fn describe_place(doc: &Document, range: crate::text::TextRange) -> String {
    match &doc.notebook {
        Some(nb) => match nb.locate(range.start) {
            Some((cell, lc)) => format!("cell {cell}, line {}", lc.line + 1),
            None => "the notebook".into(),
        },
        None => format!("line {}", doc.lines().line_of(range.start) + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceKind;

    fn needles() -> CodeNeedles {
        CodeNeedles::new(vec![
            Needle::identifier("import"),
            Needle::identifier("from_pretrained"),
            Needle::from_call_segment("*Trainer").unwrap(),
        ])
    }

    #[test]
    fn only_the_statements_an_advisory_can_match_are_parsed() {
        let doc = Document::from_text(
            SourceKind::Script,
            "import unsloth\nx = compute(1)\nplot(x)\nm = FastLanguageModel.from_pretrained(\"a/b\")\n"
                .into(),
        );
        let facts = python_facts_where(&doc, Some(&needles()), None);
        assert_eq!(facts.imports.len(), 1);
        let callees: Vec<&str> = facts.calls.iter().map(|c| c.callee.as_str()).collect();
        assert_eq!(callees, vec!["FastLanguageModel.from_pretrained"]);
        // Without needles every statement is parsed.
        assert_eq!(python_facts(&doc).calls.len(), 3);
    }

    #[test]
    fn an_import_only_statement_gives_its_imports_once_and_its_assignments_when_named() {
        let text = "def setup():\n    import unsloth\n    name = \"unsloth/gemma-2-9b\"\n    plot(name)\n\nmodel = FastLanguageModel.from_pretrained(name)\n";
        let doc = Document::from_text(SourceKind::Script, text.into());
        let facts = python_facts_where(&doc, Some(&needles()), None);
        let imports: Vec<&str> = facts.imports.iter().map(|i| i.module.as_str()).collect();
        assert_eq!(imports, vec!["unsloth"]);
        let assigned: Vec<&str> = facts.assignments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(assigned, vec!["name"]);
        // Parsed again for its assignment, the function gives its calls too, as a whole parse
        // would.
        assert_eq!(
            callees(&facts),
            vec!["plot", "FastLanguageModel.from_pretrained"]
        );
    }

    #[test]
    fn an_import_between_two_parsed_statements_is_one_import() {
        // The two trainer lines are parsed as one text that holds the import between them,
        // which names nothing but `import`.
        let text = "from trl import SFTTrainer\nfrom unsloth import is_bf16_supported\n\nt = SFTTrainer(m)\n";
        let doc = Document::from_text(SourceKind::Script, text.into());
        let facts = python_facts_where(&doc, Some(&needles()), None);
        assert_eq!(facts, python_facts(&doc));
        let modules: Vec<&str> = facts.imports.iter().map(|i| i.module.as_str()).collect();
        assert_eq!(modules, vec!["trl", "unsloth"]);
    }

    fn callees(facts: &PythonFacts) -> Vec<&str> {
        facts.calls.iter().map(|c| c.callee.as_str()).collect()
    }

    #[test]
    fn a_call_under_a_local_alias_is_parsed_wherever_it_is() {
        // The call names no needle; the import that binds `S` to `SFTTrainer` pulls it in, even
        // from a function defined before the import.
        let text = "def make():\n    return S(model=m, tokenizer=t)\n\nfrom trl import SFTTrainer as S\nplot(1)\n";
        let doc = Document::from_text(SourceKind::Script, text.into());
        let facts = python_facts_where(&doc, Some(&needles()), None);
        assert_eq!(callees(&facts), vec!["S"]);
    }

    #[test]
    fn a_needle_only_in_strings_comments_or_longer_names_does_not_parse_a_statement() {
        let text = "print(\"call from_pretrained next\")  # from_pretrained\nmy_from_pretrained_cache = {}\nt = SFTTrainer(m)\n";
        let doc = Document::from_text(SourceKind::Script, text.into());
        let facts = python_facts_where(&doc, Some(&needles()), None);
        assert_eq!(callees(&facts), vec!["SFTTrainer"]);
        assert!(facts.assignments.is_empty());
    }

    #[test]
    fn remembered_facts_are_the_facts_of_a_parse() {
        let memo = FactsMemo::default();
        let text = "import unsloth\nm = FastLanguageModel.from_pretrained(\"a/b\")\n";
        let doc = Document::from_text(SourceKind::Script, text.into());
        let fresh = python_facts_where(&doc, Some(&needles()), None);
        assert_eq!(
            python_facts_where(&doc, Some(&needles()), Some(&memo)),
            fresh
        );
        // The second document repeats the statements at other offsets.
        let moved = Document::from_text(SourceKind::Script, format!("x = 1\n{text}"));
        assert_eq!(
            python_facts_where(&moved, Some(&needles()), Some(&memo)),
            python_facts_where(&moved, Some(&needles()), None)
        );
    }

    /// A knowledge base with the embedded advisories and one more whose call pattern is
    /// `call`: whether it still parses only part of a file, and whether each of `sources` is
    /// flagged under trl 0.8.6 (the first one, under trl 0.9.6, must not be).
    fn flagged_with_call_pattern(call: &str, sources: &[&str]) -> (bool, Vec<bool>) {
        let mut kb = crate::kb::KnowledgeBase::embedded();
        assert!(kb.code_needles().is_some());
        let examples: String = sources
            .iter()
            .enumerate()
            .map(|(i, source)| {
                format!(
                    "[[examples]]\nname = \"e{i}\"\nexpect = \"trigger\"\npath = \"a.py\"\nsource = {source:?}\nenvironment = {{ trl = \"0.8.6\" }}\n"
                )
            })
            .chain(std::iter::once(format!(
                "[[examples]]\nname = \"clean\"\nexpect = \"clean\"\npath = \"a.py\"\nsource = {:?}\nenvironment = {{ trl = \"0.9.6\" }}\n",
                sources[0]
            )))
            .collect();
        let advisory = format!(
            "```toml\nschema = 2\nid = \"ORG002\"\ntitle = \"Any trl call\"\neffect = \"fails-sometimes\"\nseverity = \"warning\"\nsummary = \"trl 0.8.6 is banned here\"\nreferences = [\"https://example.org\"]\nflag = [{{ call = \"{call}\" }}]\n[versions]\ntrl = \"==0.8.6\"\n{examples}```\n\n# ORG002\n",
        );
        kb.extend_from(&[("ORG002.md".into(), advisory)]).unwrap();
        let parses_a_part = kb.code_needles().is_some();
        let org = kb.get("ORG002").unwrap();
        let flagged = org
            .examples
            .iter()
            .filter(|spec| spec.name != "clean")
            .map(|spec| {
                // The example runner checks what the example expects.
                crate::advisory_examples::run_example(org, spec, &kb).is_ok()
            })
            .collect();
        (parses_a_part, flagged)
    }

    #[test]
    fn a_call_pattern_no_word_can_find_makes_every_statement_parsed() {
        let (parses_a_part, flagged) =
            flagged_with_call_pattern("*.*", &["import trl\n\ntrl.setup()\n"]);
        assert!(!parses_a_part);
        assert_eq!(flagged, vec![true]);
    }

    #[test]
    fn a_call_pattern_ending_in_a_wildcard_finds_every_name_taken_from_its_module() {
        let (parses_a_part, flagged) = flagged_with_call_pattern(
            "trl.commands.*",
            &[
                "import trl\n\ntrl.commands.setup()\n",
                "from trl.commands import setup\n\nsetup()\n",
                "from trl.commands import setup as s\n\ns()\n",
                "import trl.commands as c\n\nc.setup()\n",
                "from trl import commands\n\ncommands.setup()\n",
            ],
        );
        assert!(parses_a_part);
        assert_eq!(flagged, vec![true; 5]);
    }
}

/// What an edit's analysis of a notebook skips or keeps (outputs scanned once, advisories ruled
/// out on every install path) gives what a full analysis gives.
#[cfg(test)]
mod edit_path_tests {
    use super::*;
    use crate::outputs::SignalsMemo;
    use crate::source::{CellInput, CellKind, Notebook, OutputKind, OutputText};
    use std::sync::Arc;

    /// A notebook whose second cell printed the founding case's patch summary among other
    /// lines, with its outputs shared as an editor's notebook shares them between edits.
    fn notebook(outputs: &[Arc<str>], memo: Option<Arc<SignalsMemo>>) -> Document {
        let cell = |source: &str, outputs: Vec<OutputText>| CellInput {
            kind: CellKind::Code,
            source: source.into(),
            execution_count: Some(1),
            outputs,
            ran_on: None,
        };
        let shared = |text: &Arc<str>| OutputText {
            kind: OutputKind::Stdout,
            text: text.clone(),
        };
        let mut nb = Notebook::from_cells(vec![
            cell("!pip install unsloth peft\n", vec![shared(&outputs[0])]),
            cell(
                "from unsloth import FastLanguageModel\nmodel = FastLanguageModel.get_peft_model(m)\n",
                outputs[1..].iter().map(shared).collect(),
            ),
        ]);
        nb.signals = memo;
        Document::from_notebook(nb)
    }

    fn findings(doc: &Document, kb: &KnowledgeBase) -> Vec<Finding> {
        let env = Environment::empty();
        let ctx = CheckContext {
            display_path: "n.ipynb",
            path: std::path::Path::new("n.ipynb"),
            env: &env,
            project: &[],
            kb,
            memo: None,
        };
        analyze(doc, &ctx).findings
    }

    #[test]
    fn symptoms_found_through_the_memo_are_the_symptoms_a_fresh_scan_finds() {
        let outputs: Vec<Arc<str>> = vec![
            "Successfully installed peft-0.12.0 unsloth-2024.7\n".into(),
            "\n==((====))==  Unsloth 2024.7: Fast Gemma2 patching.\n\n".into(),
            "loading\n\nUnsloth 2024.7 patched 42 layers with 0 QKV layers, 0 O layers and 0 MLP layers.\ndone\n".into(),
        ];
        let kb = KnowledgeBase::embedded();
        let fresh = findings(&notebook(&outputs, None), &kb);
        assert!(
            fresh.iter().any(|f| f.code == "UNS001"),
            "the patch summary is a symptom: {fresh:?}"
        );
        let memo = Arc::new(SignalsMemo::default());
        for _ in 0..2 {
            let doc = notebook(&outputs, Some(memo.clone()));
            assert_eq!(findings(&doc, &kb), fresh);
        }
        // A knowledge base with one more advisory, sorted first, numbers every advisory one
        // higher: it scans again rather than read the first one's hits, and the memo then
        // keeps its hits.
        let mut other = KnowledgeBase::embedded();
        let text = crate::kb::EMBEDDED
            .iter()
            .find(|(name, _)| name.starts_with("UNS001"))
            .map(|(_, text)| text.replace("id = \"UNS001\"", "id = \"AAA001\""))
            .unwrap();
        other.extend_from(&[("AAA001.md".into(), text)]).unwrap();
        assert_ne!(other.symptom_index().id(), kb.symptom_index().id());
        let expected = findings(&notebook(&outputs, None), &other);
        assert!(expected.iter().any(|f| f.code == "AAA001"));
        assert_eq!(
            findings(&notebook(&outputs, Some(memo.clone())), &other),
            expected
        );
        let mut scanned = 0;
        let kept = memo.symptom_hits_of(&outputs[2], other.symptom_index().id(), || {
            scanned += 1;
            Vec::new()
        });
        assert_eq!(
            (scanned, kept.len()),
            (0, 2),
            "UNS001's symptom and AAA001's copy"
        );
    }

    #[test]
    fn an_advisory_anchored_by_install_lines_is_tried_on_every_path() {
        // PIN001 flags an unpinned `--no-deps` install: only one arm has one, and the other
        // arm, first or second, ruling it out must not rule it out for both.
        for (first, second, line) in [("peft==0.11.1", "peft", 5), ("peft", "peft==0.11.1", 3)] {
            let source = format!(
                "import os\nif \"COLAB_\" in os.environ:\n    !pip install --no-deps {first}\nelse:\n    !pip install --no-deps {second}\n"
            );
            let doc = Document::from_notebook(Notebook::from_cells(vec![CellInput {
                kind: CellKind::Code,
                source: source.clone(),
                execution_count: None,
                outputs: Vec::new(),
                ran_on: None,
            }]));
            let found: Vec<(String, usize)> = findings(&doc, &KnowledgeBase::embedded())
                .iter()
                .map(|f| {
                    let line = doc.text[..f.range.start].matches('\n').count() + 1;
                    (f.code.clone(), line)
                })
                .collect();
            assert!(
                found.contains(&("PIN001".to_string(), line)),
                "{source}: {found:?}"
            );
        }
    }
}
