//! Immutable views of one document at one version, for work that runs off the session: an
//! analysis, a publish, hover, code actions, fix-all, inlay hints.
//!
//! A snapshot owns what it reads (the document, its workspace, the knowledge base) and shares
//! its version's [`AnalysisSlot`] with every other snapshot of that version, so the version is
//! analysed once whichever request asks first. A newer version cancels the slot: analyses not
//! yet started are skipped, and one that finishes late is never published.

use super::diagnostics::Publish;
use super::settings::ClientFeatures;
use super::Encoding;
use crate::check::Analysis;
use crate::kb::KnowledgeBase;
use crate::source::Document;
use crate::syntax::PythonFacts;
use crate::text::TextRange;
use crate::workspace::{SortedFindings, Workspace};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tower_lsp_server::ls_types::Uri;

/// One analysed version: what the next and last runs use, and the findings sorted by how the
/// configuration reports them.
pub struct Analyzed {
    /// The analysis, its findings moved into `sorted`.
    pub analysis: Analysis,
    pub sorted: SortedFindings,
    /// Every code the analysis reported or a suppression silenced.
    pub codes: HashSet<String>,
}

/// A document version's text, where its parts live in the editor, and its analysis once
/// computed.
pub struct AnalysisSlot {
    pub version: i32,
    pub doc: Document,
    /// The facts read ahead (a notebook's cells'), taken by the analysis, which keeps them:
    /// a copy here would hold every kept notebook's facts twice.
    facts: Mutex<Option<PythonFacts>>,
    /// The URI, range in `doc.text` and version of each part diagnostics go on: the whole
    /// file, or each code cell.
    pub targets: Vec<(Uri, TextRange, i32)>,
    cancelled: AtomicBool,
    result: OnceLock<Result<Arc<Analyzed>, String>>,
    /// How long this version's analysis took, once it ran.
    took: OnceLock<Duration>,
    /// How long this version is expected to take: the time of the version it replaced (or
    /// that version's own expectation, when it was superseded before it ran), scaled by how
    /// much the text grew. None for a document with no kept analysis (its first version, or
    /// one that left the eight kept) and for the same version analysed again (new settings,
    /// environments, saved outputs), which reads what the edit path keeps afresh.
    expected: Option<Duration>,
}

/// The longest analysis expected of a version that the message loop runs itself, as ruff's
/// server lints each change on its main loop: no message is read meanwhile, which a few
/// milliseconds between keystrokes allow, and the blocking pool's two thread hops (a sixth of
/// an edit's time here, more on a busy host) are saved. Versions with no expectation or a
/// slower one run on the pool, where a newer version skips them if they have not started.
pub const INLINE_ANALYSIS_BUDGET: Duration = Duration::from_millis(4);

impl AnalysisSlot {
    /// A version's slot; `previous` is the slot it replaces, whose analysis time predicts this
    /// one's when it was another version.
    pub fn new(
        version: i32,
        doc: Document,
        facts: Option<PythonFacts>,
        targets: Vec<(Uri, TextRange, i32)>,
        previous: Option<&AnalysisSlot>,
    ) -> AnalysisSlot {
        AnalysisSlot {
            version,
            facts: Mutex::new(facts),
            targets,
            cancelled: AtomicBool::new(false),
            result: OnceLock::new(),
            took: OnceLock::new(),
            expected: previous.filter(|p| p.version != version).and_then(|p| {
                let growth = doc.text.len() as f64 / p.doc.text.len().max(1) as f64;
                Some(p.analysis_time()?.mul_f64(growth.max(1.0)))
            }),
            doc,
        }
    }

    /// How long analysing this version takes: its own time once analysed, else what was
    /// expected of it.
    pub fn analysis_time(&self) -> Option<Duration> {
        self.took.get().copied().or(self.expected)
    }

    /// Whether this version is expected to analyse within [`INLINE_ANALYSIS_BUDGET`].
    pub fn is_quick(&self) -> bool {
        self.analysis_time()
            .is_some_and(|t| t <= INLINE_ANALYSIS_BUDGET)
    }

    /// Records an analysis time as if this version's analysis had taken it.
    #[cfg(test)]
    pub fn assume_analysis_took(&self, time: Duration) {
        self.took.set(time).expect("a version not analysed yet");
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Whether the analysis already ran (the session's tests check the sharing).
    #[cfg(test)]
    pub fn is_analyzed(&self) -> bool {
        self.result.get().is_some()
    }
}

/// Why a snapshot has no analysis.
#[derive(Debug)]
pub enum NoAnalysis {
    /// A newer version superseded this one before it was analysed.
    Cancelled,
    /// The analysis panicked; the message says where.
    Failed(String),
}

/// A document at one version, and what analysing it needs.
#[derive(Clone)]
pub struct DocumentSnapshot {
    /// The file or notebook (never a cell).
    pub uri: Uri,
    pub path: PathBuf,
    pub slot: Arc<AnalysisSlot>,
    pub workspace: Arc<Workspace>,
    pub kb: Arc<KnowledgeBase>,
    pub encoding: Encoding,
    pub features: ClientFeatures,
    pub inlay_hints: bool,
}

impl DocumentSnapshot {
    pub fn version(&self) -> i32 {
        self.slot.version
    }

    pub fn doc(&self) -> &Document {
        &self.slot.doc
    }

    pub fn targets(&self) -> &[(Uri, TextRange, i32)] {
        &self.slot.targets
    }

    /// Where the file or cell `uri` lies in the document's text, and its version.
    pub fn target(&self, uri: &Uri) -> Option<(TextRange, i32)> {
        self.slot
            .targets
            .iter()
            .find(|(u, _, _)| u == uri)
            .map(|(_, r, v)| (*r, *v))
    }

    /// What converting this version's findings or codes for the client needs.
    pub fn publish(&self) -> Publish<'_> {
        Publish {
            doc_uri: &self.uri,
            version: self.version(),
            encoding: self.encoding,
            kb: &self.kb,
            rule_documents: self.features.rule_documents,
        }
    }

    /// This version's analysis: computed by the first caller (blocking: off the async runtime,
    /// or on the message loop when the version [`is_quick`](AnalysisSlot::is_quick)), shared
    /// with the rest. A panic inside is caught and reported as `Failed`.
    pub fn analyzed(&self) -> Result<Arc<Analyzed>, NoAnalysis> {
        if let Some(done) = self.slot.result.get() {
            return done.clone().map_err(NoAnalysis::Failed);
        }
        if self.slot.is_cancelled() {
            return Err(NoAnalysis::Cancelled);
        }
        self.slot
            .result
            .get_or_init(|| {
                let started = Instant::now();
                let analyzed =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.analyze()))
                        .map(Arc::new)
                        .map_err(|p| panic_message(&*p));
                let _ = self.slot.took.set(started.elapsed());
                analyzed
            })
            .clone()
            .map_err(NoAnalysis::Failed)
    }

    fn analyze(&self) -> Analyzed {
        let mut analysis = self.workspace.analyze(
            &self.path,
            &self.slot.doc,
            self.slot
                .facts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
            &self.kb,
        );
        let codes = analysis
            .findings
            .iter()
            .chain(&analysis.suppressed)
            .map(|f| f.code.clone())
            .collect();
        let sorted = self.workspace.sort_by_visibility(
            &self.path,
            std::mem::take(&mut analysis.findings),
            &self.kb,
        );
        Analyzed {
            analysis,
            sorted,
            codes,
        }
    }
}

pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}
