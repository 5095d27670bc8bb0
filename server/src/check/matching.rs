//! Version advisories: do the versions in play fall in an advisory's ranges, and where in the
//! document is that worth saying.

use super::conditions::{ConditionFacts, Truth};
use super::declarations::{declaration_location, Declaration, DeclarationSite};
use super::usage::{module_matches, Usage};
use super::CheckContext;
use crate::evidence::{EvidenceKind, VersionFact};
use crate::finding::{EvidenceItem, Finding, Related, RelatedLocation, Severity};
use crate::fix::{Applicability, Edit, EditTarget, Fix, FixAction};
use crate::kb::{Advisory, CallPattern, CompatTable, FixKind, FixTemplate, Matcher};
use crate::source::{CellKind, Document, SourceKind};
use crate::text::TextRange;
use std::collections::BTreeMap;

/// The facts that put a document in an advisory's ranges.
pub(super) struct VersionMatch {
    pub facts: Vec<VersionFact>,
    /// Set when a git install's commit could not be placed before or after the fix.
    pub unplaced: Option<String>,
    pub unplaced_severity: Severity,
    /// For a table advisory: the row that was broken, said for the message.
    pub row: Option<String>,
    /// For each install whose version was predicted rather than known: the package, and why
    /// it is in range.
    pub predictions: Vec<(String, String)>,
}

/// Whether `versions` satisfy every range of the advisory, and break its table's row when it
/// has one.
pub(super) fn match_versions(
    advisory: &Advisory,
    table: Option<&CompatTable>,
    versions: &BTreeMap<String, VersionFact>,
) -> Option<VersionMatch> {
    if !may_match_versions(advisory, versions) {
        return None;
    }
    let mut facts = Vec::new();
    let mut unplaced = None;
    let mut unplaced_severity = Severity::Info;
    let mut predictions = Vec::new();
    for (package, range) in &advisory.versions {
        let fact = versions.get(package)?;
        let placement = advisory.git.iter().find(|g| &g.package == package);
        let Some(version) = fact.version.as_ref() else {
            // A git install at a known commit is placed by the commit alone; an install that
            // gets the newest release is predicted when every release it can get is in range.
            match (placement, fact.git, fact.commit.as_deref()) {
                (Some(g), true, Some(commit))
                    if g.affected.iter().any(|k| same_commit(commit, k)) =>
                {
                    facts.push(fact.clone());
                }
                (_, true, Some(_)) => return None,
                _ => {
                    let (predicted, why) = predict_newest(fact, range)?;
                    facts.push(predicted);
                    predictions.push((package.clone(), why));
                }
            }
            continue;
        };
        match placement {
            Some(g) if fact.git && g.boundary.contains(version) => {
                let commit = fact.commit.as_deref().unwrap_or("");
                if g.affected.iter().any(|k| same_commit(commit, k)) {
                    // A build from before the fix, whatever version it prints.
                } else if g.fixed.iter().any(|k| same_commit(commit, k)) {
                    return None;
                } else {
                    unplaced_severity = g.unplaced;
                    unplaced = Some(if commit.is_empty() {
                        format!("{package} {version} was installed from git, but its commit is not recorded, so it cannot be placed before or after the fix ({})", g.fix_commit)
                    } else {
                        format!("{package} {version} is a git build at commit {} that cannot be placed before or after the fix ({})", &commit[..commit.len().min(10)], g.fix_commit)
                    });
                }
            }
            _ => {
                if !range.contains(version) {
                    return None;
                }
            }
        }
        facts.push(fact.clone());
    }
    let mut row = None;
    if let Some((package, on)) = &advisory.requires_dist {
        let (fact, broken) = match_requires_dist(package, on, versions)?;
        for fact in [fact, &versions[on]] {
            if !facts.iter().any(|f| f.package == fact.package) {
                facts.push(fact.clone());
            }
        }
        row = Some(broken);
    }
    let row = match table {
        Some(table) => {
            let (key, broken) = match_table_row(table, versions)?;
            for fact in [key, &versions[&table.other]] {
                if !facts.iter().any(|f| f.package == fact.package) {
                    facts.push(fact.clone());
                }
            }
            Some(broken)
        }
        None => row,
    };
    Some(VersionMatch {
        facts,
        unplaced,
        unplaced_severity,
        row,
        predictions,
    })
}

/// What every match of `advisory`'s ranges needs, checked without copying a fact or writing
/// a prediction: each package has a fact, and a known version that no git placement decides
/// is in its range. Most advisories a document is compared with fail here.
fn may_match_versions(advisory: &Advisory, versions: &BTreeMap<String, VersionFact>) -> bool {
    advisory.versions.iter().all(|(package, range)| {
        let Some(fact) = versions.get(package) else {
            return false;
        };
        let placed_by_git = fact.git && advisory.git.iter().any(|g| &g.package == package);
        match &fact.version {
            Some(version) if !placed_by_git => range.contains(version),
            _ => true,
        }
    })
}

/// Whether a recorded commit and a commit the knowledge base lists are the same: one is a
/// prefix of the other, and at least seven digits are compared.
fn same_commit(commit: &str, known: &str) -> bool {
    !commit.is_empty()
        && (commit.starts_with(known) || known.starts_with(commit))
        && commit.len().min(known.len()) >= 7
}

/// An install that gets the newest release on the day it runs (unpinned, or a range such as
/// `trl<0.9.0`), as the lowest release it can get today: the newest known release it picks
/// from. It is in an advisory's range only when the range has lower bounds alone and holds
/// that release, since every later release is then in it too. The second value says why, for
/// the message.
fn predict_newest(
    fact: &VersionFact,
    range: &pep440_rs::VersionSpecifiers,
) -> Option<(VersionFact, String)> {
    if !fact.newest || !lower_bounds_only(range) {
        return None;
    }
    let releases = crate::kb::ReleaseIndex::embedded().package(&fact.package)?;
    let floor = newest_floor(fact)?;
    if !range.contains(&floor.version) {
        return None;
    }
    let how = match &fact.picks_from {
        Some(s) => format!("`{}{s}`", fact.package),
        None => format!("an unpinned `{}`", fact.package),
    };
    let why = format!(
        "{how} installs {} or newer (the newest release known on {}), and every release `{range}` is affected",
        floor.version, releases.generated
    );
    let mut predicted = fact.clone();
    predicted.written = format!("{} or newer", floor.version);
    Some((predicted, why))
}

/// The release an install that gets the newest release installs today, at the least: the
/// newest known final release in the range it picks from.
pub(super) fn newest_floor(fact: &VersionFact) -> Option<&'static crate::kb::Release> {
    crate::kb::ReleaseIndex::embedded()
        .package(&fact.package)?
        .install_pick(fact.picks_from.as_ref(), None)
}

/// A range of lower bounds alone (`>=0.12.0`), which every release after one in it is also in.
pub(super) fn lower_bounds_only(range: &pep440_rs::VersionSpecifiers) -> bool {
    range.iter().next().is_some()
        && range.iter().all(|s| {
            matches!(
                s.operator(),
                pep440_rs::Operator::GreaterThanEqual | pep440_rs::Operator::GreaterThan
            )
        })
}

/// `package`'s fact and what it declares, when its own `Requires-Dist` on `on` (per the release
/// index) is not met by `on`'s version. Nothing when either version is unknown or the release
/// is not in the index.
fn match_requires_dist<'a>(
    package: &str,
    on: &str,
    versions: &'a BTreeMap<String, VersionFact>,
) -> Option<(&'a VersionFact, String)> {
    let fact = versions.get(package)?;
    let version = fact.version.as_ref()?;
    let other = versions.get(on)?.version.as_ref()?.clone().without_local();
    let declared = crate::kb::ReleaseIndex::embedded().requires_of(package, version, on)?;
    // A requirement under an extra applies only when the extra was installed, which the
    // evidence does not record.
    let unmet: Vec<String> = declared
        .iter()
        .filter(|r| r.marker.as_deref().is_none_or(|m| !m.contains("extra")))
        .filter(|r| !r.spec.allows(&other))
        .map(|r| match &r.spec {
            crate::requirement::RequirementSpec::Specifiers(s) => format!("{on}{s}"),
            _ => on.to_string(),
        })
        .collect();
    if unmet.is_empty() {
        return None;
    }
    Some((
        fact,
        format!(
            "{package} {} declares {} in its metadata (https://pypi.org/project/{package}/{}/)",
            version.clone().without_local(),
            unmet.join(", "),
            version.clone().without_local()
        ),
    ))
}

/// The key package's fact and a description of its row, when the row does not work with the
/// other package's version. Nothing when either version is unknown or the key's release has no
/// row: a table claims only what its rows say.
fn match_table_row<'a>(
    table: &CompatTable,
    versions: &'a BTreeMap<String, VersionFact>,
) -> Option<(&'a VersionFact, String)> {
    let key = versions.get(&table.key)?;
    let other = versions.get(&table.other)?;
    let key_version = key.version.as_ref()?;
    let other_version = other.version.as_ref()?;
    let row = table.row(key_version)?;
    // A local label (`+cu124`) names a build of the same release.
    if row
        .works_with
        .contains(&other_version.clone().without_local())
    {
        return None;
    }
    Some((
        key,
        format!(
            "{} {} declares {} {} and works with {} {} ({})",
            table.key,
            row.version,
            table.other,
            row.requires,
            table.other,
            row.works_with,
            row.source
        ),
    ))
}

/// The last run's versions split by the cell whose outputs printed them: saved outputs can
/// come from different runs, and only versions one cell printed are known to have been in the
/// same run. Computed once per document, not once per advisory.
pub(super) fn runs_by_cell(
    last_run: &BTreeMap<String, VersionFact>,
) -> Vec<BTreeMap<String, VersionFact>> {
    let mut runs: BTreeMap<Option<usize>, BTreeMap<String, VersionFact>> = BTreeMap::new();
    for (package, fact) in last_run {
        let cell = fact.location.as_ref().and_then(|l| l.cell);
        runs.entry(cell)
            .or_default()
            .insert(package.clone(), fact.clone());
    }
    runs.into_values().collect()
}
/// What one install path of a document gives the matchers: the document, its usage and
/// declarations on that path, the versions of the next run and of the last, and the check's
/// context. Built once per path, shared by every advisory.
#[derive(Clone, Copy)]
pub(super) struct MatchContext<'a> {
    pub doc: &'a Document,
    pub usage: &'a Usage<'a>,
    pub declarations: &'a [Declaration],
    pub next_run: &'a BTreeMap<String, VersionFact>,
    pub last_run: &'a BTreeMap<String, VersionFact>,
    /// The last run's versions per run of cells (see `runs_by_cell`).
    pub last_runs: &'a [BTreeMap<String, VersionFact>],
    /// The lines of saved outputs and logs, for symptoms.
    pub output_lines: &'a [super::symptoms::Line<'a>],
    pub ctx: &'a CheckContext<'a>,
}

/// How far matching an advisory on one install path went: whether the paths after it need
/// to try it at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reach {
    /// Ruled out by what every path shares: code it requires or flags is not in the document,
    /// or it has nothing to compare. Every other path would rule it out the same way.
    RuledOutOnEveryPath,
    /// Decided by what only this path has (its install lines, declarations or versions),
    /// found or not.
    ThisPath,
}

pub(super) fn match_advisory(
    advisory: &Advisory,
    m: &MatchContext,
    findings: &mut Vec<Finding>,
) -> Reach {
    let MatchContext {
        doc,
        usage,
        declarations,
        next_run,
        last_run,
        last_runs,
        ctx,
        ..
    } = *m;
    let table = advisory.table.as_deref().and_then(|t| ctx.kb.table(t));
    // The code an advisory requires is looked up first: most documents lack it, and what a
    // matcher found is kept for every path and advisory that asks again.
    // Code the advisory requires that the document lacks rules it out on every path; a
    // missing install line only on this one.
    let lacks = |m: &Matcher| !usage.finds(m);
    if advisory
        .require
        .iter()
        .any(|m| !m.reads_install_lines() && lacks(m))
    {
        return Reach::RuledOutOnEveryPath;
    }
    if advisory.require.iter().any(|m| lacks(m)) {
        return Reach::ThisPath;
    }
    if advisory.versions.is_empty()
        && table.is_none()
        && advisory.requires_dist.is_none()
        && advisory.flag.is_empty()
    {
        return Reach::RuledOutOnEveryPath;
    }
    // Versions in range say nothing until something in the document is worth pointing at:
    // most advisories end here, before their versions are compared or a message is written.
    if !has_anchor(advisory, table, m) {
        let anchored_by_this_path =
            advisory.flag_declarations || advisory.flag.iter().any(|f| f.reads_install_lines());
        return if anchored_by_this_path {
            Reach::ThisPath
        } else {
            Reach::RuledOutOnEveryPath
        };
    }
    // Advisories without version ranges or a table are pure usage checks: they always "match".
    let scenario = if advisory.versions.is_empty()
        && advisory.table.is_none()
        && advisory.requires_dist.is_none()
    {
        Some(VersionMatch {
            facts: vec![],
            unplaced: None,
            unplaced_severity: Severity::Info,
            row: None,
            predictions: Vec::new(),
        })
    } else {
        // Saved outputs can come from different runs; only versions printed by one cell's
        // outputs are known to have been in the same run.
        match_versions(advisory, table, next_run).or_else(|| {
            last_runs
                .iter()
                .find_map(|run| match_versions(advisory, table, run))
        })
    };
    let Some(scenario) = scenario else {
        return Reach::ThisPath;
    };

    // When some code the advisory requires appears only in `if False:` bodies, nothing it
    // predicts happens until the user enables them, wherever the finding is placed.
    let requires_dormant_code = advisory.require.iter().any(|m| {
        usage
            .find(m)
            .iter()
            .all(|(range, _)| usage.facts.is_dormant(*range))
    });
    let versions_now: BTreeMap<String, VersionFact> = scenario
        .facts
        .iter()
        .map(|f| (f.package.clone(), f.clone()))
        .collect();
    let conditions = ConditionFacts {
        versions: [&versions_now, next_run, last_run],
        usage,
        python: ctx.env.python_version.as_deref(),
    };
    if !conditions.allow(advisory.when.as_ref()) {
        return Reach::ThisPath;
    }
    let mut severity = advisory.severity;
    let mut effect = advisory.effect;
    let mut note = None;
    let mut offered: Option<&[String]> = None;
    for case in &advisory.cases {
        let versions_hold = case
            .versions
            .iter()
            .all(|(p, r)| conditions.version_in(p, r) == Truth::True);
        let when_holds = conditions.allow(case.when.as_ref());
        if versions_hold && when_holds && case.require.iter().all(|m| usage.finds(m)) {
            severity = case.severity;
            effect = case.effect;
            note = case.note.clone();
            offered = case.fixes.as_deref();
            break;
        }
    }
    if scenario.unplaced.is_some() {
        severity = severity.min(scenario.unplaced_severity);
    }
    let facts_text = scenario
        .facts
        .iter()
        .map(VersionFact::describe)
        .collect::<Vec<_>>()
        .join(" with ");
    let mut tail = advisory.summary.clone();
    if let Some(row) = &scenario.row {
        tail = format!("{row}: {tail}");
    }
    if let Some(u) = &scenario.unplaced {
        tail = format!("{tail}; {u}");
    }
    if let Some(n) = &note {
        tail = format!("{tail} ({n})");
    }
    for (package, why) in &scenario.predictions {
        tail = format!("{tail}; predicted: {why}");
        // The last run, judged by its day, shows the prediction is not only about the future.
        let dated = last_runs.iter().find_map(|run| run.get(package));
        if let Some(then) = dated.filter(|f| f.newest && f.kind == EvidenceKind::LastRun) {
            let in_range = |v: &pep440_rs::Version| {
                advisory
                    .versions
                    .iter()
                    .any(|(p, r)| p == package && r.contains(v))
            };
            if let Some(v) = then.version.as_ref().filter(|v| in_range(v)) {
                tail = format!("{tail}; the last run got {package} {v} ({})", then.source);
            }
        }
    }
    // A version judged by the day a cell ran rests on its metadata and on pip having had
    // nothing installed already: enough for a warning, not for an error.
    if scenario
        .facts
        .iter()
        .any(|f| f.kind == EvidenceKind::LastRun && f.newest)
    {
        severity = severity.min(Severity::Warning);
    }

    let mut anchors: Vec<(TextRange, String)> = Vec::new();
    if matches!(doc.kind, SourceKind::Script | SourceKind::Notebook) {
        for m in &advisory.flag {
            let mut found = usage.find(m).to_vec();
            // A module imported in five cells is one problem: its first import that runs is
            // where the run meets it (one in an `if False:` body only when none other runs).
            found.sort_by_key(|(range, _)| usage.facts.is_dormant(*range));
            let take = if matches!(**m, crate::kb::Matcher::Import { .. }) {
                1
            } else {
                found.len()
            };
            anchors.extend(found.into_iter().take(take));
        }
    }
    let involved: Vec<&Declaration> = declarations
        .iter()
        .filter(|d| versions_now.contains_key(&d.package))
        .filter(|d| d.install.as_ref().is_none_or(|i| !i.uninstall))
        .collect();
    // When every fix of this match pins a named package, the lines that declare those are
    // where the user acts, and the other package's lines are related information. A fix of
    // another kind (reinstall, a command, a pin chosen from a table) may act on either side,
    // so then every declaration stays a place of its own.
    let offered_fixes: Vec<&crate::kb::FixKind> = advisory
        .fixes
        .iter()
        .filter(|t| offered.is_none_or(|titles| titles.contains(&t.title)))
        .map(|t| &t.kind)
        .filter(|k| !matches!(k, crate::kb::FixKind::RestartRuntime))
        .collect();
    let pinned: Vec<&str> = offered_fixes
        .iter()
        .map_while(|k| match k {
            crate::kb::FixKind::Pin { package, .. } => Some(package.as_str()),
            _ => None,
        })
        .collect();
    let pin_here = pinned.len() == offered_fixes.len()
        && involved
            .iter()
            .any(|d| pinned.contains(&d.package.as_str()) && d.range_here().is_some());
    if advisory.flag_declarations {
        for d in &involved {
            let Some(range) = d.range_here() else {
                continue;
            };
            if pin_here && !pinned.contains(&d.package.as_str()) {
                continue;
            }
            let fact = &versions_now[&d.package];
            let allows = fact.version.as_ref().is_none_or(|v| d.spec().allows(v));
            if allows {
                anchors.push((range, format!("`{}` declared here", d.written)));
            }
        }
    }
    if anchors.is_empty() {
        return Reach::ThisPath;
    }
    let evidence: Vec<EvidenceItem> = scenario.facts.iter().map(evidence_item).collect();
    let mut related = Vec::new();
    for fact in &scenario.facts {
        related.push(fact_related(fact));
        if let Some((written, location)) = &fact.replaced {
            related.push(Related {
                location: RelatedLocation::Elsewhere(location.clone()),
                message: format!("`{written}` here is replaced by the later install"),
            });
        }
    }
    for d in &involved {
        let loc = declaration_location(doc, ctx.path, d);
        related.push(Related {
            location: match &d.site {
                DeclarationSite::Here(r) => RelatedLocation::Here(*r),
                DeclarationSite::Elsewhere(_) => RelatedLocation::Elsewhere(loc),
            },
            message: format!("{} is declared here as `{}`", d.package, d.written),
        });
    }
    for (range, what) in anchors {
        let mut message = if facts_text.is_empty() {
            format!("{what}: {tail}")
        } else {
            format!("{what}: {facts_text}: {tail}")
        };
        // Code in an `if False:` body does not run as written: what it would meet is advice
        // until the user enables the block.
        let mut severity = severity;
        if requires_dormant_code || usage.facts.is_dormant(range) {
            severity = severity.min(Severity::Info);
            message.push_str(
                " (the code it needs is in a block that does not run as written, such as `if False:`; this happens once you enable it)",
            );
        }
        let mut finding = Finding::new(&advisory.id, severity, message, range);
        finding.effect = Some(effect);
        finding.evidence = evidence.clone();
        finding.related = related
            .iter()
            .filter(|r| r.location != RelatedLocation::Here(range))
            .cloned()
            .collect();
        finding.fixes = build_fixes(advisory, offered, m, &versions_now, range);
        findings.push(finding);
    }
    Reach::ThisPath
}

/// Whether a match of `advisory` would have a place in the document to be reported at: code
/// one of its `flag` matchers finds, or (when it flags declarations) a line here that declares
/// a package whose version a match depends on. The anchors below are built from the same
/// two, so a match without either reports nothing.
fn has_anchor(advisory: &Advisory, table: Option<&CompatTable>, m: &MatchContext) -> bool {
    let code = matches!(m.doc.kind, SourceKind::Script | SourceKind::Notebook)
        && advisory
            .flag_segments
            .as_ref()
            .is_none_or(|segments| segments.iter().any(|s| m.usage.names_segment(s)))
        && advisory.flag.iter().any(|f| m.usage.finds(f));
    code || (advisory.flag_declarations
        && m.declarations.iter().any(|d| {
            d.range_here().is_some()
                && d.install.as_ref().is_none_or(|i| !i.uninstall)
                && matched_packages(advisory, table).any(|p| p == d.package)
        }))
}

/// The packages whose facts a version match of `advisory` holds: those of its ranges, and
/// those its `Requires-Dist` check or table row compares.
fn matched_packages<'a>(
    advisory: &'a Advisory,
    table: Option<&'a CompatTable>,
) -> impl Iterator<Item = &'a str> {
    let requires = advisory
        .requires_dist
        .iter()
        .flat_map(|(package, on)| [package.as_str(), on.as_str()]);
    let table = table
        .into_iter()
        .flat_map(|t| [t.key.as_str(), t.other.as_str()]);
    advisory
        .versions
        .iter()
        .map(|(package, _)| package.as_str())
        .chain(requires)
        .chain(table)
}

pub(super) fn evidence_item(fact: &VersionFact) -> EvidenceItem {
    EvidenceItem {
        package: fact.package.clone(),
        version: fact
            .version
            .as_ref()
            .map_or_else(|| fact.written.clone(), |v| v.to_string()),
        kind: fact.kind,
        source: fact.source.clone(),
    }
}

pub(super) fn fact_related(fact: &VersionFact) -> Related {
    let message = format!(
        "{} {} comes from here",
        fact.package,
        fact.version
            .as_ref()
            .map_or_else(|| fact.written.clone(), |v| v.to_string())
    );
    // A source without a location is a file, or a line of one (`freeze.txt line 2`, an env
    // file's package line): the line is where the editor should go.
    let location = match &fact.location {
        Some(l) => RelatedLocation::Elsewhere(l.clone()),
        None => {
            let (path, line) = fact
                .source
                .rsplit_once(" line ")
                .map_or((fact.source.as_str(), None), |(path, line)| {
                    (path, line.parse::<usize>().ok().filter(|&n| n > 0))
                });
            match line {
                Some(line) => RelatedLocation::Elsewhere(crate::evidence::Location {
                    path: std::path::PathBuf::from(path),
                    range: crate::text::TextRange::default(),
                    line,
                    column: 1,
                    cell: None,
                }),
                None => RelatedLocation::File(std::path::PathBuf::from(path)),
            }
        }
    };
    Related { location, message }
}

/// The fixes an advisory offers at one place in a document, for the versions in play there.
pub(super) fn build_fixes(
    advisory: &Advisory,
    offered: Option<&[String]>,
    m: &MatchContext,
    versions: &BTreeMap<String, VersionFact>,
    anchor: TextRange,
) -> Vec<Fix> {
    let MatchContext {
        doc,
        usage,
        declarations,
        last_run,
        ctx,
        ..
    } = *m;
    let mut fixes = Vec::new();
    // When the reinstall cell an advisory would insert is already there, the remaining
    // evidence is a stale saved output: re-running is the fix, and offering other edits
    // would make `--fix` change the file again on every run.
    let reinstall_in_place = doc.notebook.is_some()
        && advisory.fixes.iter().any(|t| match &t.kind {
            FixKind::InsertCell {
                before_import,
                source,
            } => {
                insert_cell_fix(doc, usage, before_import, source, &t.title, t.applicability)
                    .is_none()
                    && usage
                        .imports
                        .iter()
                        .any(|i| module_matches(&i.module, before_import))
            }
            _ => false,
        });
    for template in &advisory.fixes {
        if reinstall_in_place && !matches!(template.kind, FixKind::RestartRuntime) {
            continue;
        }
        // A case that says which fixes help offers only those.
        if offered.is_some_and(|titles| !titles.contains(&template.title)) {
            continue;
        }
        match &template.kind {
            FixKind::Pin { package, specifier } => {
                fixes.extend(pin_fix(
                    package,
                    specifier,
                    &template.title,
                    template.applicability,
                    declarations,
                    versions,
                    doc,
                ));
            }
            FixKind::PinTableMatch => {
                let Some(table) = advisory.table.as_deref().and_then(|t| ctx.kb.table(t)) else {
                    continue;
                };
                let Some(other) = versions.get(&table.other).and_then(|f| f.version.as_ref())
                else {
                    continue;
                };
                let other = other.clone().without_local();
                // The newest release of the key package that works with the other's version.
                let Some(row) = table
                    .rows
                    .iter()
                    .rev()
                    .find(|r| r.works_with.contains(&other))
                else {
                    continue;
                };
                let specifier = format!("=={}", row.version);
                let title = format!(
                    "Pin {} to {specifier} (it works with {} {other})",
                    table.key, table.other
                );
                fixes.extend(pin_fix(
                    &table.key,
                    &specifier,
                    &title,
                    template.applicability,
                    declarations,
                    versions,
                    doc,
                ));
            }
            FixKind::InsertCell {
                before_import,
                source,
            } => {
                if let Some(fix) = insert_cell_fix(
                    doc,
                    usage,
                    before_import,
                    source,
                    &template.title,
                    template.applicability,
                ) {
                    fixes.push(fix);
                }
            }
            FixKind::RunCommand { command } => fixes.push(Fix {
                title: template.title.clone(),
                applicability: Applicability::DisplayOnly,
                edits: vec![],
                action: Some(FixAction::RunCommand {
                    command: command.clone(),
                }),
            }),
            // Only a notebook has a runtime to restart.
            FixKind::RestartRuntime if doc.notebook.is_some() => fixes.push(Fix {
                title: template.title.clone(),
                applicability: Applicability::DisplayOnly,
                edits: vec![],
                action: Some(FixAction::RestartRuntime),
            }),
            FixKind::RestartRuntime => {}
            FixKind::RenameKeyword { call, from, to } => {
                let edits = keywords_at(usage, call, from, anchor)
                    .map(|k| Edit::here(k.name_range, to.clone()))
                    .collect();
                push_edit_fix(&mut fixes, template, edits);
            }
            FixKind::SetKeyword { call, name, value } => {
                let edits = keywords_at(usage, call, name, anchor)
                    .filter(|k| !k.value.matches_source(value))
                    .map(|k| Edit::here(k.value_range, value.clone()))
                    .collect();
                push_edit_fix(&mut fixes, template, edits);
            }
            FixKind::RenameImport { from, to } => {
                let edits: Vec<Edit> = usage
                    .imports
                    .iter()
                    .filter(|i| i.range == anchor || i.range.contains_range(anchor))
                    .filter_map(|i| {
                        let text = i.range.slice(&doc.text);
                        let at = find_word(text, from)?;
                        Some(Edit::here(
                            TextRange::new(i.range.start + at, i.range.start + at + from.len()),
                            to.clone(),
                        ))
                    })
                    .collect();
                push_edit_fix(&mut fixes, template, edits);
            }
            FixKind::PinToEvidence => {
                // The install token at the anchor, pinned to what is installed or what the
                // last run used.
                let Some(d) = declarations
                    .iter()
                    .find(|d| d.range_here() == Some(anchor) && d.install.is_some())
                else {
                    continue;
                };
                let version = ctx
                    .env
                    .get(&d.package)
                    .or_else(|| last_run.get(&d.package))
                    .and_then(|f| f.version.as_ref());
                let Some(version) = version else { continue };
                let specifier = format!("=={version}");
                fixes.push(Fix {
                    title: format!("Pin {} to {specifier}", d.package),
                    applicability: template.applicability,
                    edits: vec![Edit::here(anchor, pinned_text(d, &specifier))],
                    action: None,
                });
            }
            FixKind::MoveImportFirst { module } => {
                if let Some(fix) =
                    move_import_first(doc, usage, module, &template.title, template.applicability)
                {
                    fixes.push(fix);
                }
            }
        }
    }
    // Two templates can make the same fix: a rename offered for `AutoModel*` and for `*For*`
    // both rewrite `AutoModelForCausalLM(...)`. The user is offered it once.
    // The same fix made twice keeps the first place and the safer applicability of the two.
    let mut unique: Vec<Fix> = Vec::with_capacity(fixes.len());
    for fix in fixes {
        match unique
            .iter_mut()
            .find(|u| u.title == fix.title && u.edits == fix.edits && u.action == fix.action)
        {
            Some(kept) => kept.applicability = kept.applicability.max(fix.applicability),
            None => unique.push(fix),
        }
    }
    unique
}

fn call_pattern(written: &str) -> CallPattern {
    // Patterns were validated when the advisory was loaded; an empty one matches nothing.
    CallPattern::new(written)
        .unwrap_or_else(|_| CallPattern::new("\u{0}").expect("literal pattern"))
}

/// Adds the template's fix with these edits, unless nothing needed an edit.
fn push_edit_fix(fixes: &mut Vec<Fix>, template: &FixTemplate, edits: Vec<Edit>) {
    if !edits.is_empty() {
        fixes.push(Fix {
            title: template.title.clone(),
            applicability: template.applicability,
            edits,
            action: None,
        });
    }
}

/// The keyword `name` of calls matching `call` that overlap the flagged range; the pattern is
/// built once per fix, not once per call.
fn keywords_at<'u>(
    usage: &'u Usage,
    call: &str,
    name: &'u str,
    anchor: TextRange,
) -> impl Iterator<Item = &'u crate::syntax::Keyword> + 'u {
    let pattern = call_pattern(call);
    usage
        .calls
        .iter()
        .filter(move |(q, _)| pattern.matches(q))
        .filter_map(move |(_, c)| c.keyword(name))
        .filter(move |k| k.range.contains_range(anchor) || anchor.contains_range(k.range))
}

fn find_word(text: &str, word: &str) -> Option<usize> {
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// The requirement text with a new specifier, in the form the site needs.
fn pinned_text(d: &Declaration, specifier: &str) -> String {
    if !d.pep508 {
        return specifier.to_string();
    }
    let mut text = d.package.clone();
    if !d.requirement.extras.is_empty() {
        text = format!("{text}[{}]", d.requirement.extras.join(","));
    }
    text.push_str(specifier);
    if let Some(marker) = &d.requirement.marker {
        text = format!("{text}; {marker}");
    }
    match &d.install {
        // Shell words with `<` or `>` must be quoted, so install lines always get quotes.
        Some(_) => format!("\"{text}\""),
        None => text,
    }
}

fn insert_cell_fix(
    doc: &Document,
    usage: &Usage,
    before_import: &str,
    source: &str,
    title: &str,
    applicability: Applicability,
) -> Option<Fix> {
    let first_import = usage
        .imports
        .iter()
        .find(|i| module_matches(&i.module, before_import))?;
    let Some(nb) = &doc.notebook else {
        let command = source
            .lines()
            .map(|l| l.trim_start_matches(['!', '%']))
            .collect::<Vec<_>>()
            .join(" && ");
        return Some(Fix {
            title: title.to_string(),
            applicability: Applicability::DisplayOnly,
            edits: vec![],
            action: Some(FixAction::RunCommand { command }),
        });
    };
    let span = nb.map.span_at(first_import.range.start)?;
    // Applying this fix twice must change nothing: if an earlier cell already runs these
    // commands, there is nothing to insert.
    let wanted: Vec<&str> = source
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let already = nb.cells[..span.cell]
        .iter()
        .filter(|c| c.kind == CellKind::Code)
        .any(|c| {
            wanted
                .iter()
                .all(|w| c.source.lines().any(|l| l.trim() == *w))
        });
    if already {
        return None;
    }
    // Editors that cannot insert cells get the lines at the top of the install cell instead,
    // below its cell magic (`%%capture` must stay the first line).
    let install_span = nb
        .map
        .spans
        .iter()
        .take_while(|s| s.range.start <= span.range.start)
        .find(|s| {
            doc.shell_lines
                .iter()
                .any(|l| s.range.contains(l.range.start))
        })
        .unwrap_or(span);
    let cell_text = install_span.range.slice(&doc.text);
    let mut at = install_span.range.start;
    for line in cell_text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("%%") || t.starts_with("#@title") {
            at += line.len();
        } else {
            break;
        }
    }
    let mut insertion = source.trim_end().to_string();
    insertion.push('\n');
    let fallback = vec![Edit::here(TextRange::empty(at), insertion)];
    // Cell numbers count every cell of the notebook, markdown included, as the CLI's
    // locations and the editor's cell list do.
    let import_text = statement_head(first_import.range.slice(&doc.text));
    let title = title.trim_end_matches('.');
    Some(Fix {
        title: format!(
            "{title}: insert a cell before cell {} (`{import_text}`)",
            span.cell + 1
        ),
        applicability,
        edits: vec![],
        action: Some(FixAction::InsertCell {
            before_cell: span.cell,
            source: source.trim_end().to_string(),
            fallback,
            fallback_title: if install_span.cell == span.cell {
                format!(
                    "{title}: add its lines at the top of cell {}",
                    span.cell + 1
                )
            } else {
                format!(
                    "{title}: add its lines at the top of the install cell (cell {})",
                    install_span.cell + 1
                )
            },
        }),
    })
}

/// The first line of a statement, shortened for a title: `from unsloth import FastLanguageModel`,
/// `from unsloth import (…`.
fn statement_head(statement: &str) -> String {
    const LONGEST: usize = 60;
    let line = statement.lines().next().unwrap_or("").trim();
    let more = statement.trim_end().contains('\n');
    if line.chars().count() > LONGEST {
        let cut: String = line.chars().take(LONGEST - 1).collect();
        format!("{}…", cut.trim_end())
    } else if more {
        format!("{line} …")
    } else {
        line.to_string()
    }
}

/// Rewrites the requirement where `package` is declared, here or in a project file, to
/// `specifier`; nothing when no declaration that allows the version in play can be edited.
fn pin_fix(
    package: &str,
    specifier: &str,
    title: &str,
    applicability: Applicability,
    declarations: &[Declaration],
    versions: &BTreeMap<String, VersionFact>,
    doc: &Document,
) -> Option<Fix> {
    let doc_kind = doc.kind;
    // A lock file records what a resolver chose; the pin goes in the manifest, and the lock
    // is then made again.
    let lock_of = |d: &Declaration| match &d.site {
        DeclarationSite::Here(_) => match doc_kind {
            SourceKind::Lock(format) => Some(format),
            _ => None,
        },
        DeclarationSite::Elsewhere(l) => l
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| crate::declared::LockFormat::from_name(&n.to_ascii_lowercase())),
    };
    let relock = declarations
        .iter()
        .filter(|d| d.package == package)
        .find_map(lock_of);
    let sites: Vec<&Declaration> = declarations
        .iter()
        .filter(|d| d.package == package && d.install.as_ref().is_none_or(|i| !i.uninstall))
        .filter(|d| lock_of(d).is_none())
        .filter(|d| {
            versions
                .get(package)
                .and_then(|f| f.version.as_ref())
                .is_none_or(|v| d.spec().allows(v))
        })
        .collect();
    let here: Vec<&&Declaration> = sites.iter().filter(|d| d.range_here().is_some()).collect();
    let mut edits = Vec::new();
    // Where each edit goes, as a person finds it: "requirements.txt line 4", "cell 2".
    let mut places = Vec::new();
    if !here.is_empty() {
        for d in here {
            let range = d.range_here().expect("filtered");
            places.push(place_here(doc, range.start));
            edits.push(Edit::here(range, pinned_text(d, specifier)));
        }
    } else {
        for d in &sites {
            if let DeclarationSite::Elsewhere(l) = &d.site {
                let name = l
                    .path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                places.push(match l.cell {
                    Some(cell) => format!("{name} cell {cell}"),
                    None => format!("{name} line {}", l.line),
                });
                edits.push(Edit {
                    target: EditTarget::File(l.path.clone()),
                    range: l.range,
                    content: pinned_text(d, specifier),
                });
            }
        }
    }
    if edits.is_empty() {
        return None;
    }
    let title = match places.len() {
        1 => format!("{title} in {}", places[0]),
        2 => format!("{title} in {} and 1 more place", places[0]),
        n => format!("{title} in {} and {} more places", places[0], n - 1),
    };
    let title = match relock {
        Some(format) => format!("{title}, then {}", format.relock_hint()),
        None => title,
    };
    Some(Fix {
        title,
        applicability,
        edits,
        action: None,
    })
}

/// A place in the document being checked: its cell in a notebook, its line elsewhere.
fn place_here(doc: &Document, offset: usize) -> String {
    if let Some(nb) = &doc.notebook {
        if let Some(span) = nb.map.span_at(offset) {
            return format!("cell {}", span.cell + 1);
        }
    }
    let line = doc.text[..offset.min(doc.text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count();
    format!("line {}", line + 1)
}

fn move_import_first(
    doc: &Document,
    usage: &Usage,
    module: &str,
    title: &str,
    applicability: Applicability,
) -> Option<Fix> {
    let first = usage.imports.first()?;
    let target = usage
        .imports
        .iter()
        .find(|i| module_matches(&i.module, module))?;
    if target.range.start == first.range.start {
        return None;
    }
    // Only a statement alone on its line(s) can be moved safely.
    let line = doc.lines().line_of(target.range.start);
    let line_start = doc.lines().line_start(line);
    let end_line = doc.lines().line_of(target.range.end);
    let line_end = doc.lines().line_range(end_line, &doc.text).end;
    if doc.text[line_start..target.range.start].trim() != ""
        || doc.text[target.range.end..line_end]
            .trim_start()
            .split('#')
            .next()
            .unwrap_or("")
            .trim()
            != ""
    {
        return None;
    }
    let first_line_start = doc
        .lines()
        .line_start(doc.lines().line_of(first.range.start));
    if doc.text[first_line_start..first.range.start].trim() != "" {
        return None;
    }
    let delete_end = (line_end + 1).min(doc.text.len());
    let statement = target.range.slice(&doc.text);
    Some(Fix {
        title: title.to_string(),
        applicability,
        edits: vec![
            Edit::here(TextRange::new(line_start, delete_end), ""),
            Edit::here(TextRange::empty(first_line_start), format!("{statement}\n")),
        ],
        action: None,
    })
}
