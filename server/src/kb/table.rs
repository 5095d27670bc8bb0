//! Compatibility tables as data: one row per release of a package (xformers, torchvision) with
//! the other package's versions it was built for and works with, each row with its source.
//!
//! A table lives in `advisories/tables/NAME.toml` and one advisory refers to it (`table =
//! "xformers-torch"`), so that one incompatibility has one code however many rows it has. The
//! rows that come from a release's own metadata are checked against the release index by a
//! test, not kept by hand.

use crate::requirement::normalize_name;
use pep440_rs::{Version, VersionSpecifiers};
use serde::Deserialize;
use std::str::FromStr;
use std::sync::OnceLock;

/// The tables shipped inside the binary: (file name, contents), from `advisories/tables/`.
pub static EMBEDDED_TABLES: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/embedded_tables.rs"));

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct TableToml {
    schema: u32,
    name: String,
    key: String,
    other: String,
    row: Vec<RowToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RowToml {
    version: String,
    requires: String,
    works_with: String,
    source: String,
    #[serde(default)]
    evidence: Option<String>,
    #[serde(default)]
    reports: Vec<ReportToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ReportToml {
    url: String,
    other: String,
    text: String,
    note: String,
}

/// A real public report of this release failing with a version of the other package outside
/// what the row works with: the pair the reporter had and the lines they pasted. The test
/// suite turns each into an example that the table's advisory must recognise, both from the
/// versions and from the pasted text.
#[derive(Clone, Debug)]
pub struct RowReport {
    /// An issue or pull request (pinned: never a moving branch).
    pub url: String,
    /// The other package's version as the reporter showed it (`2.4.0+cu121`).
    pub other: Version,
    /// The pasted lines, verbatim.
    pub text: String,
    /// How the versions are known from the thread.
    pub note: String,
}

/// One release of the key package and what it needs of the other.
#[derive(Clone, Debug)]
pub struct TableRow {
    pub version: Version,
    /// What the release declares (its `Requires-Dist` on the other package).
    pub requires: VersionSpecifiers,
    /// What it works with, which can be wider than what it declares (a whole minor series).
    pub works_with: VersionSpecifiers,
    pub source: String,
    pub evidence: Option<String>,
    /// Real reports of this release with another package outside `works_with`.
    pub reports: Vec<RowReport>,
}

/// A compatibility table between two packages.
#[derive(Clone, Debug)]
pub struct CompatTable {
    pub name: String,
    /// The package whose version picks a row (`xformers`).
    pub key: String,
    /// The package the row constrains (`torch`).
    pub other: String,
    pub rows: Vec<TableRow>,
}

impl CompatTable {
    /// Parses a table file; errors name the line.
    pub fn parse(text: &str) -> Result<CompatTable, String> {
        let raw: TableToml = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            });
            format!("line {line}: {}", e.message().trim())
        })?;
        if raw.schema != super::advisory::FORMAT_VERSION {
            return Err(format!(
                "`schema = {}`: this tunelint reads format {} only",
                raw.schema,
                super::advisory::FORMAT_VERSION
            ));
        }
        let mut rows = Vec::with_capacity(raw.row.len());
        for r in raw.row {
            let at = |what: &str| format!("row {}: {what}", r.version);
            let version = Version::from_str(&r.version)
                .map_err(|e| at(&format!("not a PEP 440 version: {e}")))?;
            let spec = |s: &str| {
                VersionSpecifiers::from_str(s)
                    .map_err(|e| at(&format!("`{s}` is not a PEP 440 specifier: {e}")))
            };
            let requires = spec(&r.requires)?;
            let works_with = spec(&r.works_with)?;
            if super::advisory::is_unpinned_link(&r.source) {
                return Err(at(&format!(
                    "`{}` points at a moving branch; cite a commit, tag, release or the release's page",
                    r.source
                )));
            }
            let mut reports = Vec::with_capacity(r.reports.len());
            for report in r.reports {
                if super::advisory::is_unpinned_link(&report.url) {
                    return Err(at(&format!(
                        "report `{}` points at a moving branch; cite the issue or pull request",
                        report.url
                    )));
                }
                let other = Version::from_str(&report.other).map_err(|e| {
                    at(&format!(
                        "report's `{}` is not a PEP 440 version: {e}",
                        report.other
                    ))
                })?;
                reports.push(RowReport {
                    url: report.url,
                    other,
                    text: report.text,
                    note: report.note,
                });
            }
            rows.push(TableRow {
                version,
                requires,
                works_with,
                source: r.source,
                evidence: r.evidence,
                reports,
            });
        }
        rows.sort_by(|a, b| a.version.cmp(&b.version));
        if let Some(w) = rows.windows(2).find(|w| w[0].version == w[1].version) {
            return Err(format!("row {} appears twice", w[0].version));
        }
        Ok(CompatTable {
            name: raw.name,
            key: normalize_name(&raw.key),
            other: normalize_name(&raw.other),
            rows,
        })
    }

    /// The row of a release of the key package; a local label (`+cu124`) is not part of the
    /// release.
    pub fn row(&self, version: &Version) -> Option<&TableRow> {
        super::releases::find_release(&self.rows, version, |r| &r.version)
    }
}

/// The names of the embedded tables: their file names without `.toml`.
pub fn embedded_table_names() -> impl Iterator<Item = &'static str> {
    EMBEDDED_TABLES
        .iter()
        .map(|(file, _)| file.strip_suffix(".toml").unwrap_or(file))
}

/// An embedded table by name, parsed the first time a check asks for it (a check whose
/// versions never meet a table's packages does not pay for it). The tables are validated by
/// the test suite, so a failure is a bug.
pub fn embedded_table(name: &str) -> Option<&'static CompatTable> {
    static PARSED: OnceLock<Vec<OnceLock<CompatTable>>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| EMBEDDED_TABLES.iter().map(|_| OnceLock::new()).collect());
    let i = embedded_table_names().position(|n| n == name)?;
    Some(parsed[i].get_or_init(|| {
        let (file, text) = EMBEDDED_TABLES[i];
        CompatTable::parse(text).unwrap_or_else(|e| panic!("embedded table {file} is invalid: {e}"))
    }))
}
