//! Which version of each package is in play: for the next run (installed, overridden by what
//! notebook install cells will do), and for the last run (saved outputs).

use super::declarations::{Declaration, DeclarationSite};
use super::{location_in, CheckContext};
use crate::evidence::{EvidenceKind, VersionFact};
use crate::outputs::{output_signals, read_signals, Signal};
use crate::requirement::RequirementSpec;
use crate::source::{Document, SourceKind};
use std::collections::BTreeMap;
use std::path::Path;

/// The environment's versions, each with where it was read: what a run has before its
/// installs. An analysis reads them once for all its install paths.
pub fn installed_versions(ctx: &CheckContext) -> BTreeMap<String, VersionFact> {
    let mut versions: BTreeMap<String, VersionFact> = ctx.env.packages.clone();
    if let Some(path) = &ctx.env.path {
        for fact in versions.values_mut() {
            if fact.source.is_empty() {
                fact.source = path.display().to_string();
            }
        }
    }
    versions
}

/// The versions the next run will use. The `installed` versions ([`installed_versions`])
/// count as they are, except where a notebook's own install commands change them: an `==` pin
/// is that version; an unpinned or ranged install keeps a satisfying installed version unless
/// it upgrades; anything else (latest, git, computed) is unknown. Project files give a version
/// only for packages that are not installed and are pinned exactly.
pub fn next_run_versions(
    doc: &Document,
    declarations: &[Declaration],
    ctx: &CheckContext,
    installed: BTreeMap<String, VersionFact>,
) -> BTreeMap<String, VersionFact> {
    let mut versions = installed;
    let in_document = |d: &&Declaration| matches!(d.site, DeclarationSite::Here(_));
    let installs: Vec<&Declaration> = declarations
        .iter()
        .filter(in_document)
        .filter(|d| d.install.is_some())
        .collect();
    let mut latest_install: BTreeMap<String, &Declaration> = BTreeMap::new();
    for d in installs {
        let info = d.install.as_ref().expect("filtered on install");
        let current = versions.get(&d.package).cloned();
        if info.uninstall {
            versions.remove(&d.package);
            continue;
        }
        let keep_current = !info.replaces_installed
            && current
                .as_ref()
                .is_some_and(|c| c.version.as_ref().is_some_and(|v| d.spec().allows(v)))
            && matches!(
                d.spec(),
                RequirementSpec::Unpinned | RequirementSpec::Specifiers(_)
            );
        if keep_current && d.spec().exact_version().is_none() {
            continue;
        }
        let mut fact = declared_fact(doc, ctx, d);
        // A later install of the same package wins; the message names the line it replaces.
        if let Some(earlier) = latest_install.insert(d.package.clone(), d) {
            if earlier.written != d.written {
                if let DeclarationSite::Here(range) = earlier.site {
                    let location = location_in(doc, ctx.path, range);
                    fact.source = format!(
                        "{}, after `{}` in {}",
                        fact.source, earlier.written, earlier.source
                    );
                    fact.replaced = Some((earlier.written.clone(), location));
                }
            }
        }
        versions.insert(d.package.clone(), fact);
    }
    // Dependency files and script headers: pins fill in what is not installed.
    let files = declarations.iter().filter(|d| d.install.is_none());
    for d in files {
        if versions.contains_key(&d.package) && doc.kind != SourceKind::Notebook {
            continue;
        }
        if versions.contains_key(&d.package) {
            continue;
        }
        if d.spec().exact_version().is_some() {
            versions.insert(d.package.clone(), declared_fact(doc, ctx, d));
        }
    }
    versions
}

fn declared_fact(doc: &Document, ctx: &CheckContext, d: &Declaration) -> VersionFact {
    let newest = match d.spec() {
        RequirementSpec::Unpinned => true,
        RequirementSpec::Specifiers(_) => d.spec().exact_version().is_none(),
        // A git install follows its default branch unless a ref says otherwise; another
        // branch, a tag or a commit is not "the newest".
        RequirementSpec::Url { url, git_ref } => {
            url.starts_with("git+")
                && git_ref
                    .as_deref()
                    .is_none_or(|r| matches!(r, "main" | "master" | "HEAD"))
        }
        RequirementSpec::Interpolated => false,
    };
    let (version, written, git, commit) = match d.spec() {
        RequirementSpec::Specifiers(_) => match d.spec().exact_version() {
            Some(v) => (Some(v.clone()), v.to_string(), false, None),
            None => (
                None,
                format!(
                    "`{}` (whichever release matches on the day it runs)",
                    d.written
                ),
                false,
                None,
            ),
        },
        RequirementSpec::Unpinned => (
            None,
            "unpinned (the latest release on the day it runs)".to_string(),
            false,
            None,
        ),
        RequirementSpec::Url { url, git_ref } => {
            let what = match git_ref {
                Some(r) => format!("from git at `{r}`"),
                None => format!("from git, the latest commit on the day it runs ({url})"),
            };
            (None, what, url.starts_with("git+"), git_ref.clone())
        }
        RequirementSpec::Interpolated => (
            None,
            format!("computed at run time (`{}`)", d.written),
            false,
            None,
        ),
    };
    let location = match &d.site {
        DeclarationSite::Here(r) => Some(location_in(doc, ctx.path, *r)),
        DeclarationSite::Elsewhere(l) => Some(l.clone()),
    };
    let source = match &d.site {
        DeclarationSite::Here(_) => format!("{} {}", ctx.display_path, d.source),
        DeclarationSite::Elsewhere(_) => d.source.clone(),
    };
    VersionFact {
        package: d.package.clone(),
        version,
        written,
        kind: EvidenceKind::Declared,
        source,
        location,
        git,
        commit,
        editable: false,
        newest,
        picks_from: match d.spec() {
            RequirementSpec::Specifiers(s) if newest => Some(s.clone()),
            _ => None,
        },
        replaced: None,
    }
}

/// The versions the saved outputs of a notebook (or the lines of a training log) name, the
/// later output winning.
pub fn last_run_versions(
    doc: &Document,
    display_path: &str,
    path: &Path,
) -> BTreeMap<String, VersionFact> {
    let mut versions: BTreeMap<String, VersionFact> = BTreeMap::new();
    let mut commits: BTreeMap<String, String> = BTreeMap::new();
    let mut record = |signals: &[crate::outputs::OutputSignal],
                      place: &str,
                      location: Option<crate::evidence::Location>| {
        for s in signals {
            match &s.signal {
                Signal::Version {
                    package,
                    version,
                    how,
                } => {
                    let mut fact = VersionFact::known(
                        package,
                        version,
                        EvidenceKind::LastRun,
                        format!("{place}, {how}"),
                    );
                    fact.location = location.clone();
                    versions.insert(package.clone(), fact);
                }
                Signal::GitCommit {
                    package, commit, ..
                } => {
                    commits.insert(package.clone(), commit.clone());
                }
                _ => {}
            }
        }
    };
    if let Some(nb) = &doc.notebook {
        for span in &nb.map.spans {
            let cell = &nb.cells[span.cell];
            for output in &cell.outputs {
                let signals = output_signals(&output.text, nb.signals.as_deref());
                if !signals.is_empty() {
                    let place = format!("{display_path} cell {} output", span.cell + 1);
                    record(
                        &signals,
                        &place,
                        Some(location_in(
                            doc,
                            path,
                            crate::text::TextRange::empty(span.range.start),
                        )),
                    );
                }
            }
        }
    } else if doc.kind == SourceKind::TrainingLog {
        record(&read_signals(&doc.text), display_path, None);
    }
    for (package, commit) in commits {
        if let Some(fact) = versions.get_mut(&package) {
            fact.git = true;
            fact.commit = Some(commit);
        }
    }
    versions
}

/// The versions a notebook's last run got from installs that take the newest release, judged
/// by the day each install cell last ran (its metadata) against the release index: an
/// unpinned `peft` in a cell that ran on 2024-07-25 got 0.12.0, uploaded the day before.
///
/// Cell metadata is copied along with cells, so the days count only when the notebook's
/// printed versions agree with them: a banner naming a release uploaded after the latest day
/// means the days are stale, and none is used. Versions a cell's outputs printed win; an
/// install that something else in its command can constrain (no `--no-deps`) is not judged;
/// an install on a day a newer candidate was uploaded is not either. The facts are marked
/// `newest` (the newest release on that day), which is how matching tells them apart.
pub fn dated_last_run(
    doc: &Document,
    declarations: &[Declaration],
    last_run: &BTreeMap<String, VersionFact>,
    ctx: &CheckContext,
) -> BTreeMap<String, VersionFact> {
    let mut dated = BTreeMap::new();
    let Some(nb) = &doc.notebook else {
        return dated;
    };
    let Some(latest) = nb.cells.iter().filter_map(|c| c.ran_on.as_deref()).max() else {
        return dated;
    };
    let index = crate::kb::ReleaseIndex::embedded();
    let contradicted = last_run.values().any(|f| {
        let earliest = f.version.as_ref().and_then(|v| {
            index
                .package(&f.package)
                .and_then(|p| p.earliest_day(v).map(str::to_string))
        });
        earliest.is_some_and(|e| e.as_str() > latest)
    });
    if contradicted {
        return dated;
    }
    for d in declarations {
        let (Some(info), DeclarationSite::Here(range)) = (&d.install, &d.site) else {
            continue;
        };
        let picks_from = match d.spec() {
            RequirementSpec::Unpinned => None,
            RequirementSpec::Specifiers(s) if d.spec().exact_version().is_none() => Some(s),
            _ => continue,
        };
        if info.uninstall || info.co_pinned || last_run.contains_key(&d.package) {
            continue;
        }
        let Some(span) = nb.map.span_at(range.start) else {
            continue;
        };
        let Some(day) = nb.cells[span.cell].ran_on.as_deref() else {
            continue;
        };
        let Some(pick) = index
            .package(&d.package)
            .and_then(|p| p.install_pick(picks_from, Some(day)))
        else {
            continue;
        };
        let kept = if info.replaces_installed {
            ""
        } else {
            ", unless an older one was already installed"
        };
        let mut fact = VersionFact::known(
            &d.package,
            &pick.version.to_string(),
            EvidenceKind::LastRun,
            format!(
                "{} cell {}: `{}` got the newest release on {day}, the day the cell last ran per its metadata{kept}",
                ctx.display_path,
                span.cell + 1,
                d.written
            ),
        );
        fact.newest = true;
        fact.location = Some(location_in(doc, ctx.path, *range));
        dated.insert(d.package.clone(), fact);
    }
    dated
}
