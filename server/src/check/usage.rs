//! Usage: imports, calls and model names resolved to qualified names, and the matchers that
//! find them.

use super::declarations::Declaration;
use crate::evidence::Environment;
use crate::kb::{CallPattern, Matcher};
use crate::requirement::RequirementSpec;
use crate::source::Document;
use crate::syntax::{Call, ClassBase, Import, Literal, PythonFacts};
use crate::text::TextRange;
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Deref;
use std::rc::Rc;

/// What a matcher found: each range, with a short name of the construct for messages. Shared,
/// since an analysis asks for the same matcher many times; nothing found costs no allocation.
#[derive(Clone, Default)]
pub struct Found(Option<Rc<[(TextRange, String)]>>);

impl From<Vec<(TextRange, String)>> for Found {
    fn from(found: Vec<(TextRange, String)>) -> Found {
        Found((!found.is_empty()).then(|| found.into()))
    }
}

impl Deref for Found {
    type Target = [(TextRange, String)];

    fn deref(&self) -> &[(TextRange, String)] {
        self.0.as_deref().unwrap_or_default()
    }
}

/// Hashes a matcher's address: addresses are distinct and need no mixing beyond spreading
/// their aligned low bits, which the default SipHash would spend most of a lookup on.
#[derive(Default)]
struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

type ByAddress<V> = HashMap<*const Matcher, V, std::hash::BuildHasherDefault<AddressHasher>>;

/// About how many distinct matchers one analysis looks up.
const FOUND_CAPACITY: usize = 256;

/// What the matchers see on one install path: the document's code, indexed once per analysis
/// (a notebook with an `if`/`else` install has two paths and one index), and the install
/// commands on this path. It dereferences to the index, whose methods it shares.
pub struct Usage<'a> {
    code: &'a CodeIndex<'a>,
    /// Install commands' requirements on this path.
    installs: Vec<&'a Declaration>,
    /// What each install matcher found on this path, kept as the index keeps what the code
    /// matchers found.
    found: RefCell<ByAddress<Found>>,
}

impl<'a> Deref for Usage<'a> {
    type Target = CodeIndex<'a>;

    fn deref(&self) -> &CodeIndex<'a> {
        self.code
    }
}

/// The document's facts with names resolved through its imports: everything about the code
/// that does not depend on which install path ran.
pub struct CodeIndex<'a> {
    pub facts: &'a PythonFacts,
    bindings: HashMap<&'a str, String>,
    /// `(qualified callee, call)` for every call.
    pub calls: Vec<(String, &'a Call)>,
    /// Indexes into `calls` by the qualified callee's last segment.
    calls_by_name: ByLastSegment,
    /// Indexes into `calls` by each keyword argument's name, in document order: most keyword
    /// matchers (a removed argument of a trainer) name a keyword no call in the document
    /// passes, which one lookup tells without trying their call pattern.
    calls_by_keyword: FxHashMap<&'a str, Vec<usize>>,
    /// Model names passed to loaders, with the range of the literal or argument.
    pub models: Vec<(String, TextRange)>,
    /// Each class base's qualified name, with the base: `class T(SFTTrainer)` subclasses
    /// `trl.SFTTrainer`.
    class_bases: Vec<(String, &'a ClassBase)>,
    /// Imports in document order.
    pub imports: Vec<&'a Import>,
    /// The distribution that provides each import's module, in the same order, found when
    /// first asked.
    import_distributions: std::cell::OnceCell<Vec<Option<String>>>,
    /// Each import's qualified name (`peft.tuners.lora`, `trl.SFTTrainer`), in the same order.
    import_names: Vec<String>,
    /// Indexes into `imports` by the qualified name's last segment.
    imports_by_name: ByLastSegment,
    /// What each matcher that reads only the code found, by the matcher's address in the
    /// knowledge base, which outlives the index and is not changed during an analysis:
    /// advisories ask for the same matcher on every install path, and for their `require`
    /// and `flag` more than once. Only the knowledge base's matchers may be passed to
    /// [`Usage::find`] (a temporary one could share an address with another later).
    found: RefCell<ByAddress<Found>>,
    /// For notebooks: each code cell's range, its 0-based index, and when it ran.
    cells: Vec<(TextRange, usize, Option<Run>)>,
    /// For notebooks: what each cell's saved outputs say its installer removed, `(cell index,
    /// package, version)`: a replaced version that an earlier cell imported stays loaded.
    removed: Vec<(usize, String, String)>,
    /// The environment in use: which distribution owns an imported module.
    env: &'a Environment,
}

/// When a notebook cell last ran: its execution count within a kernel session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub session: usize,
    pub count: i64,
}

/// Splits the executed cells of a notebook, in document order, into kernel sessions: a saved
/// notebook often holds outputs of several runtimes (Colab restarts, a re-run after a crash), and
/// execution counts compare only within one. A count of 1 after another cell, a count lower than
/// the previous one, or a count seen before in the session starts a new session. Cells never
/// run have no run.
pub fn sessions(counts: &[Option<i64>]) -> Vec<Option<Run>> {
    let mut out = Vec::with_capacity(counts.len());
    let mut session = 0;
    let mut previous: Option<i64> = None;
    let mut seen: Vec<i64> = Vec::new();
    for count in counts {
        let Some(count) = *count else {
            out.push(None);
            continue;
        };
        let new_session = previous.is_some()
            && (count == 1 || previous.is_some_and(|p| count < p) || seen.contains(&count));
        if new_session {
            session += 1;
            seen.clear();
        }
        seen.push(count);
        previous = Some(count);
        out.push(Some(Run { session, count }));
    }
    out
}

/// The fully qualified name of a dotted callee, through the import bindings.
pub fn qualify(callee: &str, bindings: &HashMap<&str, String>) -> String {
    let (head, rest) = callee.split_once('.').unwrap_or((callee, ""));
    match bindings.get(head) {
        Some(q) if rest.is_empty() => q.clone(),
        Some(q) => format!("{q}.{rest}"),
        None => callee.to_string(),
    }
}

impl<'a> Usage<'a> {
    /// The code of `code` as seen from the install path whose declarations are `declarations`.
    pub fn new(code: &'a CodeIndex<'a>, declarations: &'a [Declaration]) -> Usage<'a> {
        let installs = declarations
            .iter()
            .filter(|d| d.install.is_some() && d.range_here().is_some())
            .collect();
        Usage {
            code,
            installs,
            found: RefCell::default(),
        }
    }
}

impl<'a> CodeIndex<'a> {
    pub fn new(facts: &'a PythonFacts, doc: &Document, env: &'a Environment) -> CodeIndex<'a> {
        let mut bindings = HashMap::new();
        for import in &facts.imports {
            if import.name.as_deref() == Some("*") {
                continue;
            }
            let qualified = match &import.name {
                Some(_) => import.qualified(),
                None if import.binding == import.module || !import.module.contains('.') => {
                    import.module.clone()
                }
                // `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`.
                None => {
                    if import.binding == import.top_level() {
                        import.top_level().to_string()
                    } else {
                        import.module.clone()
                    }
                }
            };
            bindings.insert(import.binding.as_str(), qualified);
        }
        let calls: Vec<(String, &Call)> = facts
            .calls
            .iter()
            .map(|c| (qualify(&c.callee, &bindings), c))
            .collect();
        let mut models = Vec::new();
        for (name, call) in &calls {
            if !name.ends_with("from_pretrained") {
                continue;
            }
            let Some((value, range)) = call.model_name_argument() else {
                continue;
            };
            match value {
                Literal::Str(s) => models.push((s.clone(), range)),
                Literal::Expr(name) => {
                    if let Some(a) = facts.assignments.iter().rev().find(|a| &a.name == name) {
                        if let Literal::Str(s) = &a.value {
                            models.push((s.clone(), range));
                        }
                    }
                }
                _ => {}
            }
        }
        let mut imports: Vec<&Import> = facts.imports.iter().collect();
        imports.sort_by_key(|i| i.range.start);
        let import_names: Vec<String> = imports.iter().map(|i| i.qualified()).collect();
        let imports_by_name = ByLastSegment::new(import_names.iter().map(String::as_str));
        let cells = doc
            .notebook
            .as_ref()
            .map(|nb| {
                let counts: Vec<Option<i64>> = nb
                    .map
                    .spans
                    .iter()
                    .map(|s| nb.cells[s.cell].execution_count)
                    .collect();
                nb.map
                    .spans
                    .iter()
                    .zip(sessions(&counts))
                    .map(|(s, run)| (s.range, s.cell, run))
                    .collect()
            })
            .unwrap_or_default();
        let removed = doc
            .notebook
            .as_ref()
            .map(|nb| {
                let mut out = Vec::new();
                for span in &nb.map.spans {
                    for output in &nb.cells[span.cell].outputs {
                        for (package, version) in
                            crate::outputs::removed_versions(&output.text, nb.signals.as_deref())
                        {
                            out.push((span.cell, package, version));
                        }
                    }
                }
                out
            })
            .unwrap_or_default();
        let calls_by_name = ByLastSegment::new(calls.iter().map(|(q, _)| q.as_str()));
        let class_bases = facts
            .class_bases
            .iter()
            .map(|b| (qualify(&b.name, &bindings), b))
            .collect();
        let mut calls_by_keyword: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (i, (_, call)) in calls.iter().enumerate() {
            for keyword in &call.keywords {
                let indexes = calls_by_keyword.entry(keyword.name.as_str()).or_default();
                // A keyword passed twice (a syntax error Python reports) is one call.
                if indexes.last() != Some(&i) {
                    indexes.push(i);
                }
            }
        }
        CodeIndex {
            facts,
            bindings,
            calls,
            calls_by_name,
            calls_by_keyword,
            class_bases,
            // Sized for the matchers a typical analysis asks about, so that it does not grow
            // the map step by step; a map sized for every matcher of the knowledge base costs
            // memory that each analysing thread keeps.
            found: RefCell::new(ByAddress::with_capacity_and_hasher(
                FOUND_CAPACITY,
                Default::default(),
            )),
            models,
            imports,
            import_names,
            imports_by_name,
            import_distributions: Default::default(),
            cells,
            removed,
            env,
        }
    }

    /// Whether some call, import or base class has a qualified name whose last segment matches
    /// `segment`: when none has, no matcher with that [`Matcher::name_segment`] finds anything.
    pub fn names_segment(&self, segment: &str) -> bool {
        self.calls_by_name.has(segment)
            || self.imports_by_name.has(segment)
            || self.class_bases.iter().any(|(qualified, _)| {
                CallPattern::segment_matches(
                    segment,
                    qualified.rsplit('.').next().unwrap_or(qualified),
                )
            })
    }

    /// The distribution that provides an imported module, by its full path.
    pub fn distribution_of(&self, module: &str) -> Option<String> {
        self.env.distribution_for_module(module)
    }

    /// The version the saved output of `cell` shows its installer removed for `package`.
    fn replaced_in(&self, cell: usize, package: &str) -> Option<&str> {
        self.removed
            .iter()
            .find(|(c, p, _)| *c == cell && p == package)
            .map(|(_, _, v)| v.as_str())
    }

    /// Where an import of `package` ran before the code at `offset` in the same session, for a
    /// message: "`peft` in cell 1 imported it".
    fn imported_before(&self, offset: usize, package: &str) -> Option<String> {
        let distributions = self.import_distributions.get_or_init(|| {
            self.imports
                .iter()
                .map(|i| self.distribution_of(&i.module))
                .collect()
        });
        let (import, _) = self
            .imports
            .iter()
            .zip(distributions)
            .find(|(i, distribution)| {
                distribution.as_deref() == Some(package) && self.runs_after(offset, i.range.start)
            })?;
        let (cell, _) = self.cell_of(import.range.start);
        let place = if self.cells.is_empty() {
            String::new()
        } else {
            format!(" in cell {}", cell + 1)
        };
        Some(format!("`{}`{place} imported it", import.module))
    }

    /// The cell (0-based) and run of an offset; scripts are one cell.
    fn cell_of(&self, offset: usize) -> (usize, Option<Run>) {
        let i = self.cells.partition_point(|(r, _, _)| r.start <= offset);
        i.checked_sub(1)
            .map_or((0, None), |i| (self.cells[i].1, self.cells[i].2))
    }

    /// Whether the code at `a` ran after the code at `b` in the same run: by execution count
    /// when both cells ran in one kernel session; never when they ran in different sessions
    /// (what one runtime imported, another never saw); by position when either never ran.
    pub(super) fn runs_after(&self, a: usize, b: usize) -> bool {
        let ((ca, ra), (cb, rb)) = (self.cell_of(a), self.cell_of(b));
        if ca == cb {
            return a > b;
        }
        match (ra, rb) {
            (Some(x), Some(y)) if x.session == y.session => x.count > y.count,
            (Some(_), Some(_)) => false,
            _ => ca > cb,
        }
    }

    pub fn bindings(&self) -> &HashMap<&'a str, String> {
        &self.bindings
    }

    /// The calls whose qualified callee `pattern` matches, in document order.
    fn calls_matching<'s>(
        &'s self,
        pattern: &'s CallPattern,
    ) -> impl Iterator<Item = &'s (String, &'a Call)> + 's {
        self.calls_by_name
            .candidates(pattern)
            .map(|i| &self.calls[i])
            .filter(|(q, _)| pattern.matches(q))
    }
}

/// Positions in a list of qualified names (`trl.SFTTrainer`) by their last segment: a call
/// pattern whose last segment is literal (almost all are) is tried only on the names that end
/// with it, and one whose last segment has a wildcard (`*Trainer`) on the names whose last
/// segment matches it, found once per distinct segment (many advisories share the few).
#[derive(Default)]
struct ByLastSegment {
    positions: FxHashMap<String, Rc<[usize]>>,
    by_wildcard: RefCell<FxHashMap<String, Rc<[usize]>>>,
}

impl ByLastSegment {
    fn new<'n>(names: impl Iterator<Item = &'n str>) -> ByLastSegment {
        let mut positions: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (i, name) in names.enumerate() {
            let last = name.rsplit('.').next().unwrap_or(name);
            positions.entry(last).or_default().push(i);
        }
        ByLastSegment {
            positions: positions
                .into_iter()
                .map(|(last, at)| (last.to_string(), at.into()))
                .collect(),
            by_wildcard: RefCell::default(),
        }
    }

    /// Whether some name's last segment matches `segment` (a pattern's last segment).
    fn has(&self, segment: &str) -> bool {
        self.matching(segment).is_some_and(|at| !at.is_empty())
    }

    /// The positions, in order, of the names whose last segment `pattern`'s matches: a
    /// superset of the names it matches.
    fn candidates(&self, pattern: &CallPattern) -> impl Iterator<Item = usize> {
        self.matching(pattern.last_segment())
            .into_iter()
            .flat_map(|at| (0..at.len()).map(move |k| at[k]))
    }

    /// The positions, in order, of the names whose last segment matches `segment`: one lookup
    /// for a literal segment; for one with a wildcard, the distinct segments tried once and
    /// the answer kept.
    fn matching(&self, segment: &str) -> Option<Rc<[usize]>> {
        if !segment.contains('*') {
            return self.positions.get(segment).cloned();
        }
        if let Some(kept) = self.by_wildcard.borrow().get(segment) {
            return Some(kept.clone());
        }
        let mut found: Vec<usize> = self
            .positions
            .iter()
            .filter(|(name, _)| CallPattern::segment_matches(segment, name))
            .flat_map(|(_, at)| at.iter().copied())
            .collect();
        found.sort_unstable();
        let found: Rc<[usize]> = found.into();
        self.by_wildcard
            .borrow_mut()
            .insert(segment.to_string(), found.clone());
        Some(found)
    }
}

impl Usage<'_> {
    /// Installs that ran after an import of the package they change, in the same kernel
    /// session: by the install line when it names the package, and by the cell's saved output
    /// when the installer replaced a package the line does not name (a dependency upgraded).
    fn installed_after_import(&self) -> Vec<(TextRange, String)> {
        let mut out = Vec::new();
        // `(cell, package)` pairs a finding already reports, so an output line adds only what
        // the install lines do not.
        let mut reported: Vec<(usize, &str)> = Vec::new();
        for d in &self.installs {
            let Some(range) = d.range_here() else {
                continue;
            };
            if d.install.as_ref().is_some_and(|i| i.uninstall) {
                continue;
            }
            let (install_cell, _) = self.cell_of(range.start);
            let replaced = self.replaced_in(install_cell, &d.package);
            // `pip install torch` when torch is already there (it was imported) is
            // "Requirement already satisfied": it changes nothing, so nothing needs a restart,
            // unless an upgrade flag or a co-installed pin makes it change, or the saved output
            // shows that it did.
            let cannot_change = matches!(d.spec(), RequirementSpec::Unpinned)
                && d.install
                    .as_ref()
                    .is_some_and(|i| !i.replaces_installed && !i.co_pinned)
                && replaced.is_none();
            if cannot_change {
                continue;
            }
            // An install that runs only when the package is missing does not run once it has
            // been imported.
            let missing = d
                .install
                .as_ref()
                .and_then(|i| i.condition.as_ref())
                .and_then(|g| g.missing.as_deref())
                .and_then(|m| self.distribution_of(m));
            if missing.as_deref() == Some(d.package.as_str()) {
                continue;
            }
            if let Some(place) = self.imported_before(range.start, &d.package) {
                let shown = replaced
                    .map(|v| format!(" (its saved output shows {} {v} removed)", d.package))
                    .unwrap_or_default();
                out.push((
                    range,
                    format!("`{}` installed after {place}{shown}", d.written),
                ));
                reported.push((install_cell, d.package.as_str()));
            }
        }
        for (cell, package, version) in &self.removed {
            if reported.contains(&(*cell, package.as_str())) {
                continue;
            }
            // The output belongs to the cell's install line (not to a `pip uninstall`, whose
            // removal replaces nothing); a cell without one (`%run setup.py`) has nothing to
            // point at.
            let Some((install, range)) = self
                .installs
                .iter()
                .filter(|d| d.install.as_ref().is_some_and(|i| !i.uninstall))
                .filter_map(|d| Some((d, d.range_here()?)))
                .find(|(_, r)| self.cell_of(r.start).0 == *cell)
            else {
                continue;
            };
            if let Some(place) = self.imported_before(range.start, package) {
                out.push((
                    range,
                    format!(
                        "installing `{}` replaced {package} {version} (the cell's saved output shows it) after {place}",
                        install.written
                    ),
                ));
                reported.push((*cell, package.as_str()));
            }
        }
        out
    }

    /// What `matcher`, one of the knowledge base's, finds on this path, in document order.
    pub fn find(&self, matcher: &Matcher) -> Found {
        // Install matchers read this path's install lines; the rest read only the code, which
        // every path shares.
        let kept = if matcher.reads_install_lines() {
            &self.found
        } else {
            &self.code.found
        };
        let key: *const Matcher = matcher;
        if let Some(found) = kept.borrow().get(&key) {
            return found.clone();
        }
        let found: Found = self.search(matcher).into();
        kept.borrow_mut().insert(key, found.clone());
        found
    }

    /// Whether `matcher` finds anything on this path.
    pub fn finds(&self, matcher: &Matcher) -> bool {
        !self.find(matcher).is_empty()
    }

    /// The ranges a matcher finds, with a short name of the construct for messages.
    fn search(&self, matcher: &Matcher) -> Vec<(TextRange, String)> {
        match matcher {
            Matcher::Import {
                module,
                after,
                before,
            } => {
                let mut out = Vec::new();
                for (i, import) in self.imports.iter().enumerate() {
                    if !module_matches(&import.module, module) {
                        continue;
                    }
                    if !before.is_empty() {
                        let first_other = self
                            .imports
                            .iter()
                            .position(|e| before.iter().any(|b| module_matches(&e.module, b)));
                        match first_other {
                            Some(j) if i < j => {}
                            _ => continue,
                        }
                    }
                    if !after.is_empty() {
                        // Only the first import of the module decides whether it came too late.
                        if self.imports[..i]
                            .iter()
                            .any(|e| module_matches(&e.module, module))
                        {
                            continue;
                        }
                        let earlier = self.imports[..i]
                            .iter()
                            .find(|e| after.iter().any(|a| module_matches(&e.module, a)));
                        match earlier {
                            Some(e) => out.push((
                                import.range,
                                format!("`{}` imported after `{}`", module, e.module),
                            )),
                            None => continue,
                        }
                        continue;
                    }
                    let what = match &import.name {
                        Some(name) => format!("`from {} import {}`", import.module, name),
                        None => format!("`import {}`", import.module),
                    };
                    out.push((import.range, what));
                }
                out
            }
            Matcher::Removed { name } => {
                // `from peft import X` fails at import, before any call of X runs.
                // A plain `import a.b` is qualified as its module, so the index by the
                // qualified name's last segment finds both kinds.
                let imports: Vec<(TextRange, String)> = self
                    .imports_by_name
                    .candidates(name)
                    .map(|k| (self.imports[k], &self.import_names[k]))
                    .filter(|(i, qualified)| {
                        name.matches(qualified) || (i.name.is_none() && name.matches(&i.module))
                    })
                    .map(|(i, qualified)| {
                        (
                            i.range,
                            // The message's tail says what importing it does with these
                            // versions: on a release that only deprecates the name, it works.
                            format!("importing `{qualified}`"),
                        )
                    })
                    .collect();
                if !imports.is_empty() {
                    return imports;
                }
                let calls = self
                    .calls_matching(name)
                    .map(|(_, c)| (c.callee_range, format!("`{}(...)`", c.callee)));
                let subclasses = self
                    .class_bases
                    .iter()
                    .filter(|(qualified, _)| name.matches(qualified))
                    .map(|(_, b)| (b.range, format!("a subclass of `{}`", b.name)));
                calls.chain(subclasses).collect()
            }
            Matcher::Call { call, before } => self
                .calls_matching(call)
                .filter(|(_, c)| {
                    before.is_empty()
                        || self.calls.iter().any(|(q, later)| {
                            before.iter().any(|b| b.matches(q))
                                && self.runs_after(later.callee_range.start, c.callee_range.start)
                        })
                })
                .map(|(_, c)| (c.callee_range, format!("`{}(...)`", c.callee)))
                .collect(),
            Matcher::Keyword { call, name, values } => self
                .calls_by_keyword
                .get(name.as_str())
                .into_iter()
                .flatten()
                .map(|&i| &self.calls[i])
                .filter(|(q, _)| call.matches(q))
                .filter_map(|(_, c)| {
                    let k = c.keyword(name)?;
                    if let Some(values) = values {
                        if !values.iter().any(|v| k.value.matches_source(v)) {
                            return None;
                        }
                    }
                    Some((k.range, format!("`{}=` in `{}(...)`", name, c.callee)))
                })
                .collect(),
            Matcher::UnpinnedInstall { packages, no_deps } => self
                .installs
                .iter()
                .filter(|d| {
                    packages.contains(&d.package) && matches!(d.spec(), RequirementSpec::Unpinned)
                })
                .filter(|d| {
                    d.install
                        .as_ref()
                        .is_some_and(|i| !i.uninstall && (!no_deps || i.no_deps))
                })
                .filter_map(|d| {
                    let how = if d.install.as_ref().is_some_and(|i| i.no_deps) {
                        " in a `--no-deps` install"
                    } else {
                        ""
                    };
                    Some((
                        d.range_here()?,
                        format!("`{}` installed without a version{how}", d.written),
                    ))
                })
                .collect(),
            Matcher::InstalledAfterImport => self.installed_after_import(),
            Matcher::Model { pattern } => self
                .models
                .iter()
                .filter(|(m, _)| pattern.is_match(m))
                .map(|(m, r)| (*r, format!("model `{m}`")))
                .collect(),
        }
    }
}

/// `unsloth.models` matches `unsloth`; `unsloth_zoo` does not.
pub fn module_matches(module: &str, wanted: &str) -> bool {
    module == wanted
        || module
            .strip_prefix(wanted)
            .is_some_and(|rest| rest.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::{sessions, CodeIndex, Run};

    #[test]
    fn a_name_segment_is_found_through_aliases_imports_and_base_classes() {
        let text = "from trl import SFTTrainer as S\nimport peft.tuners.lora\nclass T(transformers.Trainer):\n    pass\nS(model=m)\n";
        let doc =
            crate::source::Document::from_text(crate::source::SourceKind::Script, text.into());
        let facts = crate::syntax::extract(text);
        let env = crate::evidence::Environment::empty();
        let code = CodeIndex::new(&facts, &doc, &env);
        // The call `S(...)` is `trl.SFTTrainer(...)`; the import names `lora`; the base class
        // `Trainer`.
        for present in ["SFTTrainer", "*Trainer", "SFT*", "lora", "Trainer", "*"] {
            assert!(code.names_segment(present), "{present}");
        }
        for absent in ["S", "DPOTrainer", "*Config", "tuners", "LoraConfig"] {
            assert!(!code.names_segment(absent), "{absent}");
        }
    }

    fn runs(counts: &[Option<i64>]) -> Vec<Option<(usize, i64)>> {
        sessions(counts)
            .into_iter()
            .map(|r| r.map(|Run { session, count }| (session, count)))
            .collect()
    }

    #[test]
    fn one_run_all_is_one_session() {
        assert_eq!(
            runs(&[Some(1), Some(2), None, Some(3)]),
            [Some((0, 1)), Some((0, 2)), None, Some((0, 3))]
        );
    }

    #[test]
    fn a_count_of_one_a_drop_or_a_repeat_starts_a_new_session() {
        assert_eq!(
            runs(&[
                Some(1),
                Some(2),
                Some(1),
                Some(5),
                Some(3),
                Some(4),
                Some(4)
            ]),
            [
                Some((0, 1)),
                Some((0, 2)),
                Some((1, 1)),
                Some((1, 5)),
                Some((2, 3)),
                Some((2, 4)),
                Some((3, 4))
            ]
        );
    }

    #[test]
    fn cells_never_run_belong_to_no_session() {
        assert_eq!(runs(&[None, None]), [None, None]);
    }
}
