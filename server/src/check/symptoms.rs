//! Symptom advisories: a saved output or log line that shows a known failure, unless the code
//! that produced it explains it away.

use super::conditions::{ConditionFacts, Truth};
use super::matching::{build_fixes, evidence_item, fact_related, MatchContext};
use super::usage::Usage;
use crate::evidence::{EvidenceKind, VersionFact};
use crate::finding::{Finding, Severity};
use crate::kb::{Advisory, BenignKind, KnowledgeBase, Symptom};
use crate::outputs::{output_lines, SignalsMemo};
use crate::source::{Document, SourceKind};
use crate::syntax::{Call, Literal};
use crate::text::TextRange;
use pep440_rs::Version;
use std::collections::BTreeMap;
use std::str::FromStr;

/// What the code says about a symptom.
enum Verdict {
    /// Nothing explains it: the symptom is the advisory's failure.
    Unexplained,
    /// A benign cause explains it.
    Benign(String),
    /// The code cannot rule the benign causes in or out.
    CannotTell(String),
}

/// For one advisory, the output lines each of its symptoms matches, found for all advisories
/// at once with the knowledge base's symptom set.
pub(super) struct SymptomHits {
    /// Line indexes per symptom of the advisory; a symptom past the end matched no line.
    per_symptom: Vec<Vec<usize>>,
}

impl SymptomHits {
    /// Scans every output once and sorts the hits by advisory. A notebook's outputs are the
    /// same shared texts from one edit to the next: with `memo`, each is scanned once.
    pub(super) fn scan(
        lines: &[Line],
        kb: &KnowledgeBase,
        memo: Option<&SignalsMemo>,
    ) -> Vec<SymptomHits> {
        // An advisory's lists are made on its first hit: most advisories have none.
        let mut hits: Vec<SymptomHits> = kb
            .advisories
            .iter()
            .map(|_| SymptomHits {
                per_symptom: Vec::new(),
            })
            .collect();
        if lines.is_empty() {
            return hits;
        }
        let index = kb.symptom_index();
        let mut record = |line: usize, advisory: usize, symptom: usize| {
            let per_symptom = &mut hits[advisory].per_symptom;
            if per_symptom.len() <= symptom {
                per_symptom.resize(symptom + 1, Vec::new());
            }
            per_symptom[symptom].push(line);
        };
        // The lines of one output are consecutive, the first marked.
        let mut start = 0;
        while start < lines.len() {
            let output = lines[start].output;
            let count = 1 + lines[start + 1..]
                .iter()
                .take_while(|l| !l.starts_output)
                .count();
            let group = &lines[start..start + count];
            // Most outputs hold no symptom's literal at all; one scan of the whole output
            // rules out all of its lines at once.
            let scan_group = || -> Vec<(usize, usize, usize)> {
                if !index.may_match(output) {
                    return Vec::new();
                }
                let mut found = Vec::new();
                for (j, line) in group.iter().enumerate() {
                    for (advisory, symptom) in index.matches(&kb.advisories, &line.text) {
                        found.push((j, advisory, symptom));
                    }
                }
                found
            };
            match (memo, lines[start].shared) {
                // A shared output's lines are exactly its non-blank lines (`collect_lines`),
                // which makes what was found a property of the text alone.
                (Some(memo), Some(text)) => {
                    let found = memo.symptom_hits_of(text, index.id(), scan_group);
                    for &(j, advisory, symptom) in found.iter() {
                        debug_assert!(j < count, "a hit past its output's last line");
                        record(start + j, advisory, symptom);
                    }
                }
                _ => {
                    for (j, advisory, symptom) in scan_group() {
                        record(start + j, advisory, symptom);
                    }
                }
            }
            start += count;
        }
        hits
    }

    fn lines(&self, symptom: usize) -> &[usize] {
        self.per_symptom.get(symptom).map_or(&[], Vec::as_slice)
    }
}

/// One output line to test, with the place a finding about it goes.
pub(super) struct Line<'a> {
    /// The line as the program printed it: log prefixes and colour codes left out.
    text: std::borrow::Cow<'a, str>,
    /// The whole output (or log) the line is part of.
    output: &'a str,
    /// For notebooks, `output` as the shared text the notebook holds, which a memo keys.
    shared: Option<&'a std::sync::Arc<str>>,
    /// Whether the line is its output's first (of a log: the log's first line).
    starts_output: bool,
    /// For notebooks, the cell (0-based) whose output it is.
    cell: Option<usize>,
    anchor: TextRange,
}

pub(super) fn match_symptoms(
    advisory: &Advisory,
    hits: &SymptomHits,
    m: &MatchContext,
    findings: &mut Vec<Finding>,
) {
    let MatchContext {
        doc,
        usage,
        next_run,
        last_run,
        output_lines: lines,
        ctx,
        ..
    } = *m;
    if advisory.symptoms.is_empty() {
        return;
    }
    if lines.is_empty() {
        return;
    }
    for (index, symptom) in advisory.symptoms.iter().enumerate() {
        for &line_index in hits.lines(index) {
            let line = &lines[line_index];
            let Some(mut groups) = symptom.pattern.named_groups(&line.text) else {
                continue;
            };
            if let Some(after) = &symptom.after_line {
                let Some(before) = previous_line(lines, line_index)
                    .and_then(|previous| after.named_groups(&previous.text))
                else {
                    continue;
                };
                groups.extend(before);
            }
            let mut listed: Vec<(&str, String)> = Vec::new();
            for group in &symptom.listed_packages {
                let text = groups.iter().find(|(n, _)| n == group).map_or("", |g| g.1);
                let relevant = relevant_packages(text, usage, ctx.kb);
                if !relevant.is_empty() {
                    listed.push((group.as_str(), relevant.join(", ")));
                }
            }
            // Lists that name nothing of the stack and nothing the document imports are not
            // the user's problem (Colab's own preloads: `google`, `certifi`).
            if !symptom.listed_packages.is_empty() && listed.is_empty() {
                continue;
            }
            let resolved = symptom.resolved_by.iter().any(|group| {
                let wanted = groups.iter().find(|(n, _)| n == group).map_or("", |g| g.1);
                resolved_later(wanted, lines, line_index, usage)
            });
            if resolved {
                continue;
            }
            let group_text = |name: &str| groups.iter().find(|(n, _)| *n == name).map(|g| g.1);
            let mut facts = Vec::new();
            let mut in_range = true;
            for (package, range) in &symptom.versions {
                let group = package.replace('-', "_");
                let Some(v) = group_text(&group).and_then(|m| Version::from_str(m).ok()) else {
                    in_range = false;
                    break;
                };
                if !range.contains(&v) {
                    in_range = false;
                    break;
                }
                let source = match line.cell {
                    Some(c) => format!("{} cell {} output", ctx.display_path, c + 1),
                    None => format!(
                        "{} {}",
                        ctx.display_path,
                        super::describe_place(doc, line.anchor)
                    ),
                };
                facts.push(VersionFact::known(
                    package,
                    &v.to_string(),
                    EvidenceKind::LastRun,
                    source,
                ));
            }
            if !in_range {
                continue;
            }
            // Every group named after a package the advisory speaks of is evidence for its
            // conditions and cases, as an installed version would be.
            let mut captured: BTreeMap<String, VersionFact> = facts
                .iter()
                .map(|f| (f.package.clone(), f.clone()))
                .collect();
            for (name, text) in &groups {
                let package = crate::requirement::normalize_name(name);
                if captured.contains_key(&package) || !advisory.names_package(&package) {
                    continue;
                }
                if let Ok(v) = Version::from_str(text) {
                    captured.insert(
                        package.clone(),
                        VersionFact::known(
                            &package,
                            &v.to_string(),
                            EvidenceKind::LastRun,
                            format!(
                                "{} {}",
                                ctx.display_path,
                                super::describe_place(doc, line.anchor)
                            ),
                        ),
                    );
                }
            }
            let traceback = traceback_above(lines, line_index, usage, ctx.kb);
            let conditions = ConditionFacts {
                versions: [&captured, next_run, last_run],
                usage,
                // The run that printed the line used the Python its traceback names.
                python: traceback
                    .python
                    .as_deref()
                    .or(ctx.env.python_version.as_deref()),
            };
            if !conditions.allow(symptom.when.as_ref()) {
                continue;
            }
            let mut message = symptom.message.clone() + &traceback.describe();
            for (group, relevant) in &listed {
                message = message.replace(&format!("{{{group}}}"), relevant);
            }
            for (name, text) in &groups {
                message = message.replace(&format!("{{{name}}}"), text);
            }
            let (anchor, call) = anchor_for(symptom, usage, doc, line);
            let verdict = judge(symptom, usage, doc, call, lines);
            let quoted = line.text.trim();
            let (origin, evidence_of_causes) = if line.cell.is_some() {
                ("saved output", "the code rules out the benign causes")
            } else {
                ("log line", "the log shows none of the benign causes")
            };
            let title = lowercase_first(&advisory.title);
            let mut offered: Option<&[String]> = None;
            let (severity, message) = match verdict {
                Verdict::Unexplained => {
                    let ruled_out = if symptom.benign.is_empty() { String::new() } else { format!("; {evidence_of_causes}") };
                    // A symptom without its own severity takes the advisory's, branch by branch:
                    // the first case that holds for this line's evidence (the versions it
                    // printed first, then the next and the last run's).
                    let case = case_for(advisory, &conditions, usage);
                    offered = case.and_then(|c| c.fixes.as_deref());
                    let (severity, note) = match (symptom.severity, case) {
                        (Some(s), _) => (s, None),
                        (None, Some(c)) => (c.severity, c.note.clone()),
                        (None, None) => (advisory.severity, None),
                    };
                    let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
                    (severity, format!("{origin} `{quoted}`: {message}{ruled_out}{note}"))
                }
                Verdict::Benign(reason) => (Severity::Info, format!("{origin} `{quoted}` is explained by {reason}, not by the problem that {title}")),
                Verdict::CannotTell(why) => (Severity::Info, format!("{origin} `{quoted}` may show that {title}: {why}")),
            };
            let mut finding = Finding::new(&advisory.id, severity, message, anchor);
            finding.origin = crate::finding::Origin::Output;
            finding.evidence = facts.iter().map(evidence_item).collect();
            finding.related = facts
                .iter()
                .filter(|f| f.location.is_some())
                .map(fact_related)
                .collect();
            if severity > Severity::Info {
                let versions: BTreeMap<String, VersionFact> = facts
                    .iter()
                    .map(|f| (f.package.clone(), f.clone()))
                    .collect();
                finding.fixes = build_fixes(advisory, offered, m, &versions, anchor);
            }
            findings.push(finding);
        }
    }
}

/// Whether an install after line `index`, in the same run, reports a version that meets
/// `wanted` (a requirement, or a bare name): `Successfully installed torchvision-0.20.1` in a
/// later line of the same cell, or in a cell that ran after it in the same kernel session.
fn resolved_later(wanted: &str, lines: &[Line], index: usize, usage: &Usage) -> bool {
    let Ok(requirement) = crate::requirement::parse_requirement(wanted.trim()) else {
        return false;
    };
    let here = &lines[index];
    lines[index + 1..]
        .iter()
        .filter(|later| {
            later.anchor == here.anchor
                || (later.cell != here.cell
                    && usage.runs_after(later.anchor.start, here.anchor.start))
        })
        .filter_map(|later| later.text.trim().split("Successfully installed ").nth(1))
        .flat_map(str::split_whitespace)
        .filter_map(|item| item.rsplit_once('-'))
        .any(|(name, version)| {
            crate::requirement::normalize_name(name) == requirement.name
                && pep440_rs::Version::from_str(version).is_ok_and(|v| requirement.spec.allows(&v))
        })
}

/// The previous non-blank line of the same output, when there is one.
fn previous_line<'l, 'a>(lines: &'l [Line<'a>], index: usize) -> Option<&'l Line<'a>> {
    let line = &lines[index];
    lines[..index]
        .iter()
        .rev()
        .take_while(|l| std::ptr::eq(l.output, line.output))
        .find(|l| !l.text.trim().is_empty())
}

/// What the traceback frames around a symptom's line, in the same output, show about the run: the
/// installed packages of the knowledge base's stack it passed through, in order, where they
/// were installed, and the Python.
#[derive(Default)]
struct TracebackEvidence {
    packages: Vec<String>,
    sites: Vec<String>,
    python: Option<String>,
}

impl TracebackEvidence {
    /// `; its traceback runs through trl and transformers installed in /usr/.../dist-packages`.
    fn describe(&self) -> String {
        if self.packages.is_empty() {
            return String::new();
        }
        let packages = match self.packages.as_slice() {
            [one] => format!("`{one}`"),
            [rest @ .., last] => format!(
                "{} and `{last}`",
                rest.iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            [] => unreachable!(),
        };
        format!(
            " (its traceback runs through {packages} installed in {})",
            self.sites.join(" and ")
        )
    }
}

/// The traceback frames above a line, in the same output; a traceback is shorter than this
/// many lines, and the bound keeps a long log cheap.
const TRACEBACK_LINES: usize = 400;

/// How far below a symptom's line its traceback may start (NumPy's banner is nine lines).
const BANNER_LINES: usize = 12;

fn traceback_above(
    lines: &[Line],
    line_index: usize,
    usage: &Usage,
    kb: &KnowledgeBase,
) -> TracebackEvidence {
    let mut out = TracebackEvidence::default();
    let output = lines[line_index].output.as_ptr();
    let same_output = |l: &&Line| l.output.as_ptr() == output;
    let start = line_index.saturating_sub(TRACEBACK_LINES);
    // Python prints the frames above the error line. A notebook's error output opens with
    // `ename: evalue` and has its traceback below it; a warning banner (NumPy's) is followed
    // by the traceback of the import that printed it, which ends at its first unindented line.
    let end = (line_index + 1 + TRACEBACK_LINES).min(lines.len());
    let opens_output = line_index == 0 || lines[line_index - 1].output.as_ptr() != output;
    let below = if opens_output {
        &lines[line_index + 1..end]
    } else {
        let after = &lines[line_index + 1..end];
        match after
            .iter()
            .take(BANNER_LINES)
            .position(|l| l.text.starts_with("Traceback (most recent call last)"))
        {
            Some(first) => {
                let length = after[first + 1..]
                    .iter()
                    .position(|l| !l.text.starts_with([' ', '\t']))
                    .unwrap_or(after.len() - first - 1);
                &after[first..first + 1 + length]
            }
            None => &[],
        }
    };
    for line in lines[start..line_index]
        .iter()
        .chain(below)
        .filter(same_output)
    {
        let Some(frame) = crate::outputs::traceback_frame(&line.text) else {
            continue;
        };
        let package = usage
            .distribution_of(&frame.module)
            .unwrap_or_else(|| crate::requirement::normalize_name(&frame.module));
        if !kb.tracks(&package) {
            continue;
        }
        out.python = out.python.or(frame.python);
        if !out.packages.contains(&package) {
            out.packages.push(package);
        }
        if !out.sites.contains(&frame.site) {
            out.sites.push(frame.site);
        }
    }
    out
}

/// Of a comma-separated list of packages (`[numpy,peft]`, or `numpy, peft`), those the
/// knowledge base tracks or the document imports, in list order.
fn relevant_packages(listed: &str, usage: &Usage, kb: &KnowledgeBase) -> Vec<String> {
    let imported: Vec<String> = usage
        .imports
        .iter()
        .filter_map(|i| usage.distribution_of(&i.module))
        .collect();
    listed
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|p| crate::requirement::normalize_name(p.trim().trim_matches(['\'', '"'])))
        .filter(|p| !p.is_empty())
        .filter(|p| kb.tracks(p) || imported.contains(p))
        .collect()
}

/// The first case whose versions, condition and code requirements hold for a line's evidence.
/// A symptom that shows a failure whatever the case says (an exception) states its own
/// severity, which this never overrides.
fn case_for<'a>(
    advisory: &'a Advisory,
    conditions: &ConditionFacts,
    usage: &Usage,
) -> Option<&'a crate::kb::Case> {
    advisory.cases.iter().find(|case| {
        case.versions
            .iter()
            .all(|(p, r)| conditions.version_in(p, r) == Truth::True)
            && conditions.allow(case.when.as_ref())
            && case.require.iter().all(|m| usage.finds(m))
    })
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub(super) fn collect_lines(doc: &Document) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    if let Some(nb) = &doc.notebook {
        for span in &nb.map.spans {
            let cell = &nb.cells[span.cell];
            let anchor = first_line(doc, span.range);
            for output in &cell.outputs {
                let first = out.len();
                for text in output_lines(&output.text) {
                    if !text.trim().is_empty() {
                        // Notebook outputs lose their colour codes when they are read.
                        out.push(Line {
                            text: std::borrow::Cow::Borrowed(text),
                            output: &output.text,
                            shared: Some(&output.text),
                            starts_output: out.len() == first,
                            cell: Some(span.cell),
                            anchor,
                        });
                    }
                }
            }
        }
    } else if doc.kind == SourceKind::TrainingLog {
        let mut offset = 0;
        for raw in doc.text.split_inclusive('\n') {
            let text = raw.trim_end_matches(['\n', '\r']);
            let shown = text.rsplit('\r').next().unwrap_or(text);
            let start = offset + (text.len() - shown.len());
            // A log written by a terminal program keeps its colour codes (`\x1b[31m`).
            let body = crate::outputs::log_body(shown);
            let body = if body.contains('\u{1b}') {
                std::borrow::Cow::Owned(crate::source::strip_ansi(body))
            } else {
                std::borrow::Cow::Borrowed(body)
            };
            out.push(Line {
                text: body,
                output: &doc.text,
                shared: None,
                starts_output: out.is_empty(),
                cell: None,
                anchor: TextRange::new(start, start + shown.len()),
            });
            offset += raw.len();
        }
    }
    out
}

/// The first non-blank line of a cell, where a finding about its output goes when no better
/// place is known.
fn first_line(doc: &Document, cell: TextRange) -> TextRange {
    let mut offset = cell.start;
    for line in cell.slice(&doc.text).split_inclusive('\n') {
        let t = line.trim_end_matches(['\n', '\r']);
        if !t.trim().is_empty() && !t.trim_start().starts_with("%%") {
            let lead = t.len() - t.trim_start().len();
            return TextRange::new(offset + lead, offset + t.len());
        }
        offset += line.len();
    }
    TextRange::new(cell.start, cell.start)
}

/// The place to report at, and the call whose arguments explain or condemn the symptom: the
/// inspected call in the same cell, else the last one before it, else any.
fn anchor_for<'a>(
    symptom: &Symptom,
    usage: &Usage<'a>,
    doc: &Document,
    line: &Line,
) -> (TextRange, Option<&'a Call>) {
    let Some(pattern) = &symptom.inspect else {
        return (line.anchor, None);
    };
    let calls: Vec<&'a Call> = usage
        .calls
        .iter()
        .filter(|(q, _)| pattern.matches(q))
        .map(|(_, c)| *c)
        .collect();
    let cell_range = line
        .cell
        .and_then(|c| doc.notebook.as_ref()?.map.span_of_cell(c))
        .map(|s| s.range);
    if let Some(range) = cell_range {
        if let Some(c) = calls.iter().find(|c| range.contains(c.range.start)) {
            return (c.callee_range, Some(c));
        }
        if let Some(c) = calls.iter().rev().find(|c| c.range.start < range.start) {
            return (line.anchor, Some(c));
        }
    }
    (line.anchor, calls.last().copied())
}

fn judge(
    symptom: &Symptom,
    usage: &Usage,
    doc: &Document,
    call: Option<&Call>,
    lines: &[Line],
) -> Verdict {
    let mut cannot_tell = Vec::new();
    for benign in &symptom.benign {
        match &benign.kind {
            BenignKind::Output(pattern) => {
                if lines.iter().any(|l| pattern.is_match(&l.text)) {
                    return Verdict::Benign(benign.reason.clone());
                }
            }
            BenignKind::Model(pattern) => {
                if let Some((name, _)) = usage.models.iter().find(|(m, _)| pattern.is_match(m)) {
                    return Verdict::Benign(benign.reason.replace("{value}", name));
                }
            }
            BenignKind::Keyword {
                name,
                fast,
                includes,
            } => {
                let Some(call) = call else { continue };
                let Some(keyword) = call.keyword(name) else {
                    continue;
                };
                let value = &keyword.value;
                let display = value.display();
                if !value.is_literal() {
                    cannot_tell.push(format!("`{name} = {display}` is not a literal"));
                    continue;
                }
                if !fast.is_empty() && !fast.iter().any(|f| value.matches_source(f)) {
                    return Verdict::Benign(benign.reason.replace("{value}", &display));
                }
                if !includes.is_empty() {
                    match value {
                        Literal::List(items) => {
                            let present: Vec<&str> = items
                                .iter()
                                .filter_map(|i| {
                                    if let Literal::Str(s) = i {
                                        Some(s.as_str())
                                    } else {
                                        None
                                    }
                                })
                                .collect();
                            if includes.iter().any(|w| !present.contains(&w.as_str())) {
                                return Verdict::Benign(benign.reason.replace("{value}", &display));
                            }
                        }
                        _ => cannot_tell.push(format!(
                            "`{name} = {display}` is not a list of module names"
                        )),
                    }
                }
            }
        }
    }
    // A training log has no code to read; Unsloth logs its own dropout and bias warnings, which
    // the output explanations above already looked for.
    if symptom.inspect.is_some() && call.is_none() && doc.kind != SourceKind::TrainingLog {
        return Verdict::CannotTell(format!(
            "no `{}` call in this file shows how the adapters were set up",
            symptom.inspect.as_ref().map_or("", |p| p.written.as_str())
        ));
    }
    if !cannot_tell.is_empty() {
        return Verdict::CannotTell(cannot_tell.join("; "));
    }
    Verdict::Unexplained
}
