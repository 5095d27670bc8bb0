//! Declarations: every place that says which version of a package the next run gets.

use super::{describe_place, location_in, CheckContext};
use crate::declared::{
    parse_lock, parse_pyproject, parse_requirements, parse_toml_dependencies, DeclaredFile,
};
use crate::evidence::Location;
use crate::finding::{codes, Finding, Severity};
use crate::install::{parse_shell_line, InstallAction};
use crate::requirement::{Requirement, RequirementSpec};
use crate::source::{script_metadata_block, Document, SourceKind};
use crate::text::{LineIndex, TextRange};

/// Where a declaration is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeclarationSite {
    /// In the document being checked.
    Here(TextRange),
    /// In a project file (requirements.txt, pyproject.toml beside the document).
    Elsewhere(Location),
}

/// How an install command treats what is already installed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallInfo {
    pub replaces_installed: bool,
    pub uninstall: bool,
    pub quoted: bool,
    pub no_deps: bool,
    /// Whether something else in the same command could pull in another version of this
    /// package: without `--no-deps`, any other requirement (its own metadata may pin this
    /// package: a fresh xformers pins the torch it was built for) or a requirements file.
    pub co_pinned: bool,
    /// The `if`/`else` or `try`/`except` arm the command runs in, when it is conditional.
    pub condition: Option<crate::source::Guard>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declaration {
    pub package: String,
    pub requirement: Requirement,
    /// The requirement as written, quotes removed.
    pub written: String,
    pub site: DeclarationSite,
    /// `cell 1, line 4`, `requirements.txt line 3`.
    pub source: String,
    /// Present for notebook install commands.
    pub install: Option<InstallInfo>,
    /// Whether the site holds PEP 508 text (false for Poetry version strings).
    pub pep508: bool,
}

impl Declaration {
    pub fn spec(&self) -> &RequirementSpec {
        &self.requirement.spec
    }

    pub fn range_here(&self) -> Option<TextRange> {
        match &self.site {
            DeclarationSite::Here(r) => Some(*r),
            DeclarationSite::Elsewhere(_) => None,
        }
    }
}

/// Collects the declarations in the document and in the project files around it, and the
/// problems found while reading the document's own declarations.
pub fn collect_declarations(doc: &Document, ctx: &CheckContext) -> Vec<Declaration> {
    let mut out = Vec::new();
    match doc.kind {
        SourceKind::Notebook | SourceKind::Script => {
            for line in &doc.shell_lines {
                for cmd in parse_shell_line(&doc.text, line) {
                    for req in &cmd.requirements {
                        let Ok(requirement) = &req.requirement else {
                            continue;
                        };
                        let inner = if req.quoted && req.range.len() >= 2 {
                            TextRange::new(req.range.start + 1, req.range.end - 1)
                        } else {
                            req.range
                        };
                        out.push(Declaration {
                            package: requirement.name.clone(),
                            requirement: requirement.clone(),
                            written: inner.slice(&doc.text).to_string(),
                            site: DeclarationSite::Here(req.range),
                            source: describe_place(doc, req.range),
                            install: Some(InstallInfo {
                                replaces_installed: cmd.replaces_installed(),
                                uninstall: cmd.action == InstallAction::Uninstall,
                                quoted: req.quoted,
                                no_deps: cmd.no_deps,
                                co_pinned: !cmd.no_deps
                                    && (!cmd.requirement_files.is_empty()
                                        || cmd
                                            .requirements
                                            .iter()
                                            .any(|other| other.range != req.range)),
                                condition: cmd.condition.clone(),
                            }),
                            pep508: true,
                        });
                    }
                }
            }
            if doc.kind == SourceKind::Script {
                if let Some((toml, ranges)) = script_metadata_block(&doc.text) {
                    let declared = script_header(&toml, &ranges);
                    push_file(&mut out, &declared, doc, None);
                }
            }
        }
        SourceKind::Requirements => push_file(&mut out, &parse_requirements(&doc.text), doc, None),
        SourceKind::Pyproject => push_file(&mut out, &parse_pyproject(&doc.text).0, doc, None),
        SourceKind::Lock(format) => push_file(&mut out, &parse_lock(format, &doc.text), doc, None),
        SourceKind::TrainingLog => {}
    }
    for file in ctx.project {
        if file.path == ctx.path {
            continue;
        }
        let lines = LineIndex::new(&file.text);
        for d in &file.declared.requirements {
            let lc = lines.line_col_chars(d.range.start, &file.text);
            let location = Location {
                path: file.path.clone(),
                range: d.range,
                line: lc.line + 1,
                column: lc.col + 1,
                cell: None,
            };
            out.push(Declaration {
                package: d.requirement.name.clone(),
                requirement: d.requirement.clone(),
                written: d.range.slice(&file.text).to_string(),
                source: format!("{} {}", file.display, d.context),
                site: DeclarationSite::Elsewhere(location),
                install: None,
                pep508: d.pep508,
            });
        }
    }
    out
}

fn script_header(toml: &str, ranges: &[TextRange]) -> DeclaredFile {
    // Offsets in the TOML map back line by line to the script's comment lines.
    let mut starts = Vec::with_capacity(ranges.len());
    let mut acc = 0;
    for r in ranges {
        starts.push(acc);
        acc += r.len() + 1;
    }
    let map = |offset: usize| {
        let line = starts.partition_point(|&s| s <= offset).saturating_sub(1);
        ranges
            .get(line)
            .map_or(0, |r| r.start + (offset - starts[line]).min(r.len()))
    };
    parse_toml_dependencies(toml, &map)
}

fn push_file(
    out: &mut Vec<Declaration>,
    declared: &DeclaredFile,
    doc: &Document,
    _path: Option<&str>,
) {
    for d in &declared.requirements {
        // A lock's range is the version alone; the construct a person reads is the pair.
        let written = match doc.kind {
            SourceKind::Lock(_) => format!("{} {}", d.requirement.name, d.range.slice(&doc.text)),
            _ => d.range.slice(&doc.text).to_string(),
        };
        out.push(Declaration {
            package: d.requirement.name.clone(),
            requirement: d.requirement.clone(),
            written,
            site: DeclarationSite::Here(d.range),
            source: if doc.kind == SourceKind::Script {
                format!("script metadata, {}", describe_place(doc, d.range))
            } else {
                describe_place(doc, d.range)
            },
            install: None,
            pep508: d.pep508,
        });
    }
}

/// Problems with the document's own dependency declarations, as TL001 findings.
pub fn declaration_problems(doc: &Document) -> Vec<Finding> {
    let problems = match doc.kind {
        SourceKind::Requirements => parse_requirements(&doc.text).problems,
        SourceKind::Lock(format) => parse_lock(format, &doc.text).problems,
        // Problems in [tool.tunelint] are configuration errors, reported when it is loaded.
        SourceKind::Pyproject => parse_pyproject(&doc.text)
            .0
            .problems
            .into_iter()
            .filter(|p| {
                !p.message.contains("[tool.tunelint]")
                    && !p.message.contains("`fail-level`")
                    && !p.message.contains("`per-file-ignores`")
            })
            .collect(),
        SourceKind::Script => match script_metadata_block(&doc.text) {
            Some((toml, ranges)) => script_header(&toml, &ranges).problems,
            None => vec![],
        },
        _ => vec![],
    };
    let mut out: Vec<Finding> = problems
        .into_iter()
        .map(|p| Finding::new(codes::MALFORMED_FILE, Severity::Warning, p.message, p.range))
        .collect();
    if matches!(doc.kind, SourceKind::Notebook | SourceKind::Script) {
        // Only a line with a redirection can cut a requirement; the others are not parsed again.
        for line in doc
            .shell_lines
            .iter()
            .filter(|line| line.range.slice(&doc.text).contains(['<', '>']))
        {
            for cmd in parse_shell_line(&doc.text, line) {
                out.extend(cmd.cut_by_redirection.iter().map(cut_requirement_finding));
            }
        }
    }
    out
}

/// `pip install transformers>=4.51.3`: the shell installs `transformers` and writes the
/// output to a file `=4.51.3` (with `<`, it reads the input from a file and the command fails
/// when there is none). The fix quotes the word, which is what the user meant.
fn cut_requirement_finding(cut: &crate::install::CutRequirement) -> Finding {
    let word = format!("{}{}", cut.installed, cut.redirection);
    let effect = if cut.redirection.starts_with('>') {
        let file = cut.redirection.trim_start_matches('>');
        format!(
            "the shell takes `>` for a redirection, so this installs `{}` with no version bound and writes the installer's output to a file named `{file}`",
            cut.installed
        )
    } else {
        let file = cut.redirection.trim_start_matches('<');
        format!(
            "the shell takes `<` for a redirection, so the command reads its input from a file named `{file}` (and fails when there is none) and installs `{}` with no version bound if it runs",
            cut.installed
        )
    };
    let mut finding = Finding::new(
        codes::CUT_BY_REDIRECTION,
        Severity::Warning,
        format!("`{word}` is not quoted: {effect}"),
        cut.range,
    );
    finding.fixes.push(crate::fix::Fix {
        title: format!("Quote `{word}`"),
        // It changes what gets installed: the bound now applies.
        applicability: crate::fix::Applicability::Unsafe,
        edits: vec![crate::fix::Edit::here(cut.range, format!("\"{word}\""))],
        action: None,
    });
    finding
}

/// The location of a declaration, for related information.
pub fn declaration_location(doc: &Document, path: &std::path::Path, d: &Declaration) -> Location {
    match &d.site {
        DeclarationSite::Here(r) => location_in(doc, path, *r),
        DeclarationSite::Elsewhere(l) => l.clone(),
    }
}
