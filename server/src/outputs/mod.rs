//! Saved outputs and log lines: what the last run printed about the versions it used.
//!
//! Unsloth's model-load banner (five formats since 2023), its patch summary and warnings, pip's
//! `Successfully installed`, `Requirement already satisfied: ... (version)`, `Successfully
//! uninstalled` and `Resolved ... to commit`, uv's ` + name==version` and ` - name==version`,
//! Colab's restart warning, and error outputs. Each signal keeps the line it came from.

use crate::requirement::normalize_name;
use regex::Regex;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// What one output line says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signal {
    /// A package version printed by a banner line or an installer.
    Version {
        package: String,
        version: String,
        how: &'static str,
    },
    /// An installer removed this version (pip's `Successfully uninstalled peft-0.11.1`, uv's
    /// ` - peft==0.11.1`): the environment had it before the command ran, and a kernel that
    /// imported it keeps it loaded.
    Removed {
        package: String,
        version: String,
        how: &'static str,
    },
    /// `Unsloth 2024.7 patched 42 layers with 0 QKV layers, 0 O layers and 0 MLP layers.`
    PatchSummary {
        unsloth: String,
        layers: u32,
        qkv: u32,
        o: u32,
        mlp: u32,
    },
    /// pip's `Resolved https://github.com/unslothai/unsloth.git to commit <sha>`.
    GitCommit {
        package: String,
        url: String,
        commit: String,
    },
    /// Colab's "You must restart the runtime" warning, with the packages it names.
    RestartWarning { packages: Vec<String> },
    /// The first line of an error output: `ImportError: ...`.
    Error { ename: String, evalue: String },
}

/// A signal and the line it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputSignal {
    pub signal: Signal,
    pub line: String,
}

struct Patterns {
    banner_old: Regex,
    banner_new: Regex,
    torch: Regex,
    cuda_toolkit: Regex,
    capability: Regex,
    gpu: Regex,
    platform: Regex,
    triton: Regex,
    xformers: Regex,
    patch: Regex,
    resolved: Regex,
    uv_added: Regex,
    uv_removed: Regex,
    already_satisfied: Regex,
    log_prefix: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("built-in pattern compiles");
        Patterns {
            banner_old: re(r"Unsloth: Fast (\w+) patching release (\S+)"),
            banner_new: re(r"Unsloth (\d\S*): Fast (\S+) (?:vision )?patching\. Transformers(?: =|:) (\S+?)\.(?:\s+vLLM: (\S+?)\.)?\s*$"),
            torch: re(r"(?:Pytorch|Torch): (\S+?)\.?\s+CUDA"),
            cuda_toolkit: re(r"CUDA Toolkit(?: =|:) (\S+?)\.?(?:\s|$)"),
            capability: re(r"CUDA(?: =|:) (\d+\.\d+)\.?(?:\s|$)"),
            gpu: re(r"GPU(?: =|:) (.+?)\. (?:Max memory|Num GPUs)"),
            platform: re(r"Platform(?: =|:) (\w+)"),
            triton: re(r"Triton: (\S+?)\.?\s*$"),
            xformers: re(r"Xformers = (\S+?)\.?\s+FA"),
            patch: re(r"Unsloth (\d\S*) patched (\d+) layers with (\d+) QKV layers, (\d+) O layers and (\d+) MLP layers\."),
            resolved: re(r"Resolved (\S+) to commit ([0-9a-f]{7,40})"),
            uv_added: re(r"^\s*\+ ([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)\s*$"),
            uv_removed: re(r"^\s*- ([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)\s*$"),
            // `Requirement already satisfied: numpy>=1.17 in /usr/lib/python3/dist-packages
            // (from transformers) (1.26.4)`: the version is the last parenthesis.
            log_prefix: re(concat!(
                r"^(?:",
                // torchrun and accelerate: `[rank0]: `, `[rank3]:`.
                r"\[rank\d+\]:\s?",
                // ISO-like timestamps, bracketed or not, with an optional ` - ` or `| ` after.
                r"|\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?(?:\s+(?:stdout|stderr) [FP])?(?:\s*[-|]\s+|\s+)",
                // journald and syslog: `Mar  4 12:34:56 host unit[123]: `.
                r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \S+ [^\s:\[]+(?:\[\d+\])?: ",
                r")",
            )),
            already_satisfied: re(r"^Requirement already satisfied: ([A-Za-z0-9][A-Za-z0-9._-]*).*? in \S.*\(([0-9][^()\s]*)\)\s*$"),
        }
    })
}

/// The lines of an output text as a terminal would show them: `\r` progress updates keep only
/// their last state, and the prefixes a launcher or a log collector adds are left out
/// ([`log_body`]).
pub fn output_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').map(|line| {
        log_body(
            line.trim_end_matches('\r')
                .rsplit('\r')
                .next()
                .unwrap_or(""),
        )
    })
}

/// A log line without the prefixes that launchers and log collectors put before what the
/// program printed, so that a pattern anchored at the start (`^ERROR: Cannot install`) still
/// matches: torchrun's `[rank0]: `, a timestamp (`2025-03-04 12:34:56,789 - `,
/// `[2025-03-04T12:34:56Z] `, a container runtime's `2025-03-04T12:34:56.1Z stdout F `), and
/// journald's `Mar 04 12:34:56 host unit[123]: `. Prefixes can be stacked; each is removed.
/// A level word (`ERROR: `) is kept: pip's own lines start with one.
pub fn log_body(line: &str) -> &str {
    // Every prefix starts with `[`, a digit or a month's capital: other lines are returned
    // without running a pattern.
    let mut body = line;
    for _ in 0..4 {
        let Some(first) = body.as_bytes().first() else {
            return body;
        };
        if !(*first == b'[' || first.is_ascii_digit() || first.is_ascii_uppercase()) {
            return body;
        }
        match patterns().log_prefix.find(body) {
            Some(m) if m.end() > 0 && m.end() < body.len() => body = &body[m.end()..],
            _ => return body,
        }
    }
    body
}

/// A traceback frame in an installed package: `File ".../dist-packages/trl/trainer/sft_trainer.py",
/// line 123, in __init__` (Python), `File /usr/local/lib/python3.11/dist-packages/trl/...:123, in
/// f(...)` (IPython 8), `/usr/local/lib/python3.7/dist-packages/torch/nn/modules/module.py in
/// _call_impl(...)` (IPython 7), Windows' `...\\Lib\\site-packages\\trl\\...`. It shows what the run
/// imported and from where, though not the version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracebackFrame {
    /// The site-packages or dist-packages directory, as printed.
    pub site: String,
    /// The top-level module the file belongs to (`trl`, `unsloth_zoo`).
    pub module: String,
    /// `3.11` of a `python3.11/` component before the directory.
    pub python: Option<String>,
}

/// The frame a traceback line names, when it is a file inside a site-packages directory.
pub fn traceback_frame(line: &str) -> Option<TracebackFrame> {
    let line = line.trim_start();
    // NumPy's banner prints the first frame on the traceback's own line.
    let line = line
        .strip_prefix("Traceback (most recent call last):")
        .map_or(line, str::trim_start);
    let path = match line.strip_prefix("File ") {
        Some(rest) => match rest.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next()?,
            // IPython 8: `File /path/to/file.py:123, in f(x)`.
            None => rest.split(", in ").next()?.rsplit_once(':')?.0,
        },
        // IPython 7 (Colab until 2024): `/path/to/file.py in f(x)`.
        None => line
            .split_once(".py in ")
            .map(|(path, _)| &line[..path.len() + 3])?,
    };
    let (site_end, leaf) = ["site-packages", "dist-packages"]
        .iter()
        .filter_map(|leaf| path.rfind(leaf).map(|at| (at + leaf.len(), *leaf)))
        .max_by_key(|(at, _)| *at)?;
    let separator = path[site_end..]
        .chars()
        .next()
        .filter(|c| *c == '/' || *c == '\\')?;
    let inside = &path[site_end + 1..];
    let first = inside.split(['/', '\\']).next()?;
    // `six.py` is the module `six`; a directory is a package.
    let module = first.strip_suffix(".py").unwrap_or(first);
    let is_name = |s: &str| {
        !s.is_empty() && !s.contains('.') && s.chars().all(|c| c.is_alphanumeric() || c == '_')
    };
    if !is_name(module) || (first.ends_with(".py") && inside.contains(separator)) {
        return None;
    }
    let site = &path[..site_end];
    let python = site[..site.len() - leaf.len()]
        .trim_end_matches(['/', '\\'])
        .rsplit(['/', '\\'])
        .next()
        .and_then(|dir| dir.strip_prefix("python"))
        .filter(|v| {
            v.contains('.')
                && v.split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_string);
    Some(TracebackFrame {
        site: site.to_string(),
        module: module.to_string(),
        python,
    })
}

/// Whether `text` holds a word that every signal line has: most outputs (progress bars, loss
/// tables, generated text) hold none, and one scan of the whole text spares splitting it into
/// lines and testing each.
fn may_hold_signals(text: &str) -> bool {
    const WORDS: [&str; 8] = [
        "Unsloth",
        "CUDA",
        "Xformers = ",
        "Successfully installed ",
        "Successfully uninstalled ",
        "Requirement already satisfied: ",
        " to commit ",
        "You must restart the runtime",
    ];
    WORDS.iter().any(|w| text.contains(w))
        || ((text.contains("+ ") || text.contains("- ")) && text.contains("=="))
}

/// The signals of output texts already read, by the text itself: the same shared text, not an
/// equal copy. An editor's notebook is rebuilt around the same outputs on each edit, and
/// reading large outputs again was a tenth of an edit's analysis. Each entry holds its text, so
/// an address is never reused while it is a key; a notebook whose outputs change gets a new
/// memo, which lets the old texts go.
///
/// It keeps, the same way, which lines of each text a set of symptom patterns matched (see
/// [`SignalsMemo::symptom_hits_of`]): an edit changes code, never outputs, and scanning them all
/// again was a twentieth of an edit's analysis.
#[derive(Default)]
pub struct SignalsMemo {
    kept: Mutex<HashMap<usize, ReadOutput>>,
    symptom_hits: Mutex<HashMap<usize, ScannedOutput>>,
}

/// An output text, and the signals read from it.
type ReadOutput = (Arc<str>, Arc<[OutputSignal]>);

/// Which of a text's non-blank lines matched which symptom: `(line, advisory, symptom)`, the
/// line counted among the non-blank ones of [`output_lines`], in order.
pub type SymptomLineHits = Arc<[(usize, usize, usize)]>;

/// An output text, the id of the symptom set it was scanned with, and what matched.
type ScannedOutput = (Arc<str>, u64, SymptomLineHits);

impl SignalsMemo {
    /// The signals of `text`, read once.
    pub fn signals_of(&self, text: &Arc<str>) -> Arc<[OutputSignal]> {
        let key = Arc::as_ptr(text).cast::<u8>() as usize;
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((kept_text, signals)) = kept.get(&key) {
            if Arc::ptr_eq(kept_text, text) {
                return signals.clone();
            }
        }
        let signals: Arc<[OutputSignal]> = read_signals(text).into();
        kept.insert(key, (text.clone(), signals.clone()));
        signals
    }

    /// Which symptoms match which lines of `text`, by the symptom set whose id is `set`:
    /// scanned once per set (`scan`); a knowledge base loaded again is another set.
    pub fn symptom_hits_of(
        &self,
        text: &Arc<str>,
        set: u64,
        scan: impl FnOnce() -> Vec<(usize, usize, usize)>,
    ) -> SymptomLineHits {
        let key = Arc::as_ptr(text).cast::<u8>() as usize;
        let lock = || {
            self.symptom_hits
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some((kept_text, kept_set, hits)) = lock().get(&key) {
            if Arc::ptr_eq(kept_text, text) && *kept_set == set {
                return hits.clone();
            }
        }
        // Scanned without the lock held: another analysis of the notebook may read the memo
        // meanwhile, and at worst scans the same text too.
        let hits: SymptomLineHits = scan().into();
        lock().insert(key, (text.clone(), set, hits.clone()));
        hits
    }

    /// How many output texts have been read.
    pub fn len(&self) -> usize {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for SignalsMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignalsMemo({} outputs read)", self.len())
    }
}

/// The signals of one of a notebook's output texts: from `memo` when the notebook has one.
pub fn output_signals(text: &Arc<str>, memo: Option<&SignalsMemo>) -> Arc<[OutputSignal]> {
    match memo {
        Some(memo) => memo.signals_of(text),
        None => read_signals(text).into(),
    }
}

/// Reads every signal in one output text.
pub fn read_signals(text: &str) -> Vec<OutputSignal> {
    if !may_hold_signals(text) {
        return Vec::new();
    }
    let p = patterns();
    let mut out = Vec::new();
    let mut push = |signal: Signal, line: &str| {
        out.push(OutputSignal {
            signal,
            line: line.to_string(),
        })
    };
    let mut previous = "";
    for line in output_lines(text) {
        let version = |package: &str, version: &str, how: &'static str| Signal::Version {
            package: normalize_name(package),
            version: version.to_string(),
            how,
        };
        if line.contains("Unsloth") {
            if let Some(c) = p.banner_new.captures(line) {
                push(version("unsloth", &c[1], "the Unsloth banner"), line);
                push(version("transformers", &c[3], "the Unsloth banner"), line);
                if let Some(v) = c.get(4) {
                    push(version("vllm", v.as_str(), "the Unsloth banner"), line);
                }
            } else if let Some(c) = p.banner_old.captures(line) {
                push(version("unsloth", &c[2], "the Unsloth banner"), line);
            } else if let Some(c) = p.patch.captures(line) {
                let n = |i: usize| c[i].parse().unwrap_or(u32::MAX);
                push(version("unsloth", &c[1], "Unsloth's patch summary"), line);
                push(
                    Signal::PatchSummary {
                        unsloth: c[1].to_string(),
                        layers: n(2),
                        qkv: n(3),
                        o: n(4),
                        mlp: n(5),
                    },
                    line,
                );
            }
        }
        if line.contains("CUDA") {
            if let Some(c) = p.torch.captures(line) {
                push(version("torch", &c[1], "the Unsloth banner"), line);
            }
            if let Some(c) = p.cuda_toolkit.captures(line) {
                push(version("cuda-toolkit", &c[1], "the Unsloth banner"), line);
            }
            if let Some(c) = p.capability.captures(line) {
                push(
                    version("cuda-capability", &c[1], "the Unsloth banner"),
                    line,
                );
            }
            if let Some(c) = p.triton.captures(line) {
                push(version("triton", &c[1], "the Unsloth banner"), line);
            }
        }
        // The banner's GPU line names the GPU and the platform, which conditions can test.
        if line.contains("GPU") && line.contains("Platform") {
            if let Some(c) = p.gpu.captures(line) {
                push(version("gpu", &c[1], "the Unsloth banner"), line);
            }
            if let Some(c) = p.platform.captures(line) {
                push(version("platform", &c[1], "the Unsloth banner"), line);
            }
        }
        if line.contains("Xformers = ") {
            if let Some(c) = p.xformers.captures(line) {
                if c[1].starts_with(|ch: char| ch.is_ascii_digit()) {
                    push(version("xformers", &c[1], "the Unsloth banner"), line);
                }
            }
        }
        if let Some(rest) = line.trim_start().strip_prefix("Successfully installed ") {
            for item in rest.split_whitespace() {
                if let Some((name, ver)) = split_name_version(item) {
                    push(version(name, ver, "pip's install log"), line);
                }
            }
        }
        if let Some(rest) = line.trim_start().strip_prefix("Successfully uninstalled ") {
            if let Some((name, ver)) = split_name_version(rest.trim()) {
                push(
                    Signal::Removed {
                        package: normalize_name(name),
                        version: ver.to_string(),
                        how: "pip's uninstall log",
                    },
                    line,
                );
            }
        }
        if line.starts_with("Requirement already satisfied: ") {
            if let Some(c) = p.already_satisfied.captures(line) {
                push(
                    version(&c[1], &c[2], "pip's \"Requirement already satisfied\""),
                    line,
                );
            }
        }
        if line.contains(" to commit ") {
            if let Some(c) = p.resolved.captures(line) {
                let url = c[1].to_string();
                let package = repository_package(&url);
                push(
                    Signal::GitCommit {
                        package,
                        url,
                        commit: c[2].to_string(),
                    },
                    line,
                );
            }
        }
        // The pattern is anchored at `+`, so only lines starting with it can match.
        if line.trim_start().starts_with("+ ") {
            if let Some(c) = p.uv_added.captures(line) {
                push(version(&c[1], &c[2], "uv's install log"), line);
            }
        }
        if line.trim_start().starts_with("- ") {
            if let Some(c) = p.uv_removed.captures(line) {
                push(
                    Signal::Removed {
                        package: normalize_name(&c[1]),
                        version: c[2].to_string(),
                        how: "uv's install log",
                    },
                    line,
                );
            }
        }
        if line.starts_with("You must restart the runtime") {
            let packages = previous
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(',')
                .map(|s| normalize_name(s.trim()))
                .filter(|s| !s.is_empty())
                .collect();
            push(Signal::RestartWarning { packages }, line);
        }
        previous = line;
    }
    out
}

/// The versions an installer removed in one output text, `(package, version)`. Without a memo
/// a cheap test comes first, since most outputs hold no uninstall line; with one, the text is
/// not scanned again at all.
pub fn removed_versions(text: &Arc<str>, memo: Option<&SignalsMemo>) -> Vec<(String, String)> {
    let may_remove = || {
        text.contains("Successfully uninstalled ") || (text.contains("- ") && text.contains("=="))
    };
    if memo.is_none() && !may_remove() {
        return Vec::new();
    }
    output_signals(text, memo)
        .iter()
        .filter_map(|s| match &s.signal {
            Signal::Removed {
                package, version, ..
            } => Some((package.clone(), version.clone())),
            _ => None,
        })
        .collect()
}

/// The error signal of an error output's first line.
pub fn error_signal(text: &str) -> Option<OutputSignal> {
    let first = text.lines().next()?;
    let (ename, evalue) = first.split_once(": ").unwrap_or((first, ""));
    Some(OutputSignal {
        signal: Signal::Error {
            ename: ename.to_string(),
            evalue: evalue.to_string(),
        },
        line: first.to_string(),
    })
}

/// `torch-2.4.0+cu121` → (`torch`, `2.4.0+cu121`): split on the last `-` that a digit follows.
fn split_name_version(item: &str) -> Option<(&str, &str)> {
    let idx = item
        .rmatch_indices('-')
        .find(|(i, _)| item[i + 1..].starts_with(|c: char| c.is_ascii_digit()))?
        .0;
    Some((&item[..idx], &item[idx + 1..]))
}

/// The package a git repository URL installs: `unsloth` for `.../unslothai/unsloth.git`.
pub fn repository_package(url: &str) -> String {
    let path = url.split(['#', '?']).next().unwrap_or(url);
    let path = match path.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or(rest, |(_, p)| p),
        None => path,
    };
    let path = path.rsplit_once('@').map_or(path, |(p, _)| p);
    normalize_name(
        path.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".git"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceback_frame_names_the_module_and_python_of_its_site_packages() {
        let frame = |l: &str| traceback_frame(l).map(|f| (f.site, f.module, f.python));
        assert_eq!(
            frame(
                r#"  File "/usr/local/lib/python3.11/dist-packages/trl/trainer/sft_trainer.py", line 123, in __init__"#
            ),
            Some((
                "/usr/local/lib/python3.11/dist-packages".into(),
                "trl".into(),
                Some("3.11".into())
            ))
        );
        assert_eq!(
            frame("File /opt/conda/lib/python3.10/site-packages/unsloth_zoo/patching_utils.py:41, in patch(x)"),
            Some(("/opt/conda/lib/python3.10/site-packages".into(), "unsloth_zoo".into(), Some("3.10".into())))
        );
        assert_eq!(
            frame(
                r#"  File "C:\Users\me\venv\Lib\site-packages\peft\peft_model.py", line 9, in f"#
            ),
            Some((
                r"C:\Users\me\venv\Lib\site-packages".into(),
                "peft".into(),
                None
            ))
        );
        assert_eq!(
            frame(r#"  File "/usr/lib/python3/dist-packages/six.py", line 1, in <module>"#),
            Some(("/usr/lib/python3/dist-packages".into(), "six".into(), None))
        );
        assert_eq!(
            frame("/usr/local/lib/python3.7/dist-packages/torch/nn/modules/module.py in _call_impl(self, *input, **kwargs)"),
            Some(("/usr/local/lib/python3.7/dist-packages".into(), "torch".into(), Some("3.7".into())))
        );
        assert_eq!(
            frame(
                r#"Traceback (most recent call last):  File "/venv/lib/python3.10/site-packages/torch/__init__.py", line 1382, in <module>"#
            ),
            Some((
                "/venv/lib/python3.10/site-packages".into(),
                "torch".into(),
                Some("3.10".into())
            ))
        );
        // The user's own code and the standard library are not installed packages.
        assert_eq!(
            frame(r#"  File "/content/train.py", line 3, in <module>"#),
            None
        );
        assert_eq!(
            frame(r#"  File "/usr/lib/python3.11/importlib/__init__.py", line 126"#),
            None
        );
        assert_eq!(
            frame(r#"  File "<frozen importlib._bootstrap>", line 1204"#),
            None
        );
        assert_eq!(frame("Filed under site-packages/trl"), None);
    }

    fn versions(text: &str) -> Vec<(String, String)> {
        read_signals(text)
            .into_iter()
            .filter_map(|s| match s.signal {
                Signal::Version {
                    package, version, ..
                } => Some((package, version)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_2024_banner() {
        let text = "==((====))==  Unsloth: Fast Gemma2 patching release 2024.7\n   \\\\   /|    GPU: Tesla T4. Max memory: 14.748 GB. Platform = Linux.\nO^O/ \\_/ \\    Pytorch: 2.3.0+cu121. CUDA = 7.5. CUDA Toolkit = 12.1.\n\\        /    Bfloat16 = FALSE. FA [Xformers = 0.0.26.post1. FA2 = False]\n";
        assert_eq!(
            versions(text),
            [
                ("unsloth", "2024.7"),
                ("gpu", "Tesla T4"),
                ("platform", "Linux"),
                ("torch", "2.3.0+cu121"),
                ("cuda-toolkit", "12.1"),
                ("cuda-capability", "7.5"),
                ("xformers", "0.0.26.post1")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }

    #[test]
    fn the_2024_08_and_2025_banners() {
        let v = versions(
            "==((====))==  Unsloth 2024.8: Fast Gemma2 patching. Transformers = 4.44.0.\n",
        );
        assert_eq!(v[0], ("unsloth".into(), "2024.8".into()));
        assert_eq!(v[1], ("transformers".into(), "4.44.0".into()));
        let text = "==((====))==  Unsloth 2025.3.14: Fast Llama patching. Transformers: 4.49.0. vLLM: 0.7.3.\nO^O/ \\_/ \\    Torch: 2.5.1+cu124. CUDA: 8.9. CUDA Toolkit: 12.4. Triton: 3.1.0\n\\        /    Bfloat16 = TRUE. FA [Xformers = 0.0.28.post3. FA2 = False]\n";
        let v = versions(text);
        let expect = [
            ("unsloth", "2025.3.14"),
            ("transformers", "4.49.0"),
            ("vllm", "0.7.3"),
            ("torch", "2.5.1+cu124"),
            ("cuda-toolkit", "12.4"),
            ("cuda-capability", "8.9"),
            ("triton", "3.1.0"),
            ("xformers", "0.0.28.post3"),
        ];
        assert_eq!(v, expect.map(|(a, b)| (a.to_string(), b.to_string())));
        let v = versions("==((====))==  Unsloth 2026.5.10: Fast Gemma4_Unified patching. Transformers: 5.10.0.dev0.\n");
        assert_eq!(v[1].1, "5.10.0.dev0");
    }

    #[test]
    fn patch_summary_pip_uv_and_restart() {
        let s = read_signals(
            "Unsloth 2024.7 patched 42 layers with 0 QKV layers, 0 O layers and 0 MLP layers.\n",
        );
        assert!(matches!(
            s[1].signal,
            Signal::PatchSummary {
                qkv: 0,
                o: 0,
                mlp: 0,
                layers: 42,
                ..
            }
        ));
        let v = versions("Successfully installed huggingface-hub-0.24.2 torch-2.4.0+cu121 unsloth-2024.8\n + peft==0.12.0\n");
        assert_eq!(v[0], ("huggingface-hub".into(), "0.24.2".into()));
        assert_eq!(v[1], ("torch".into(), "2.4.0+cu121".into()));
        assert_eq!(v[3], ("peft".into(), "0.12.0".into()));
        let s = read_signals("  Resolved https://github.com/unslothai/unsloth.git to commit e9ab1ad5bc0a4e8d6c1e9e4b3f8c2d1a0b9c8d7e\n");
        assert!(matches!(&s[0].signal, Signal::GitCommit { package, .. } if package == "unsloth"));
        let s = read_signals("WARNING: The following packages were previously imported in this runtime:\n  [numpy,peft]\nYou must restart the runtime in order to use newly installed versions.\n");
        assert_eq!(
            s[0].signal,
            Signal::RestartWarning {
                packages: vec!["numpy".into(), "peft".into()]
            }
        );
    }

    #[test]
    fn already_satisfied_and_uninstall_lines() {
        // Lines from the Qwen2.5 Coder tool-calling notebook's saved install output.
        let text = "Requirement already satisfied: peft in /usr/local/lib/python3.11/dist-packages (0.14.0)\nRequirement already satisfied: numpy>=1.17 in /usr/local/lib/python3.11/dist-packages (from transformers) (1.26.4)\nRequirement already satisfied: unsloth in /usr/local/lib/python3.11/dist-packages\n    Found existing installation: unsloth 2025.4.8\n    Uninstalling unsloth-2025.4.8:\n      Successfully uninstalled unsloth-2025.4.8\n - trl==0.15.2\n + trl==0.19.1\n";
        assert_eq!(
            versions(text),
            [("peft", "0.14.0"), ("numpy", "1.26.4"), ("trl", "0.19.1")]
                .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        let text: std::sync::Arc<str> = text.into();
        let expected = [("unsloth", "2025.4.8"), ("trl", "0.15.2")]
            .map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(removed_versions(&text, None), expected);
        let memo = SignalsMemo::default();
        assert_eq!(removed_versions(&text, Some(&memo)), expected);
        assert_eq!(removed_versions(&text, Some(&memo)), expected);
        assert_eq!(memo.len(), 1);
    }

    #[test]
    fn a_memo_reads_each_shared_text_once_and_an_equal_copy_again() {
        let memo = SignalsMemo::default();
        let text: std::sync::Arc<str> = "Successfully installed peft-0.12.0 trl-0.9.6\n".into();
        let first = memo.signals_of(&text);
        assert_eq!(first.len(), 2);
        assert!(std::sync::Arc::ptr_eq(
            &first,
            &memo.signals_of(&text.clone())
        ));
        // An equal text in another allocation is another output: read, and kept apart.
        let copy: std::sync::Arc<str> = text.to_string().into();
        assert_eq!(*memo.signals_of(&copy), *first);
        assert_eq!(memo.len(), 2);
        assert_eq!(*first, *read_signals(&text));
    }

    #[test]
    fn log_prefixes_are_left_out() {
        use super::log_body;
        let body = "ERROR: No matching distribution found for xformers==0.0.22";
        for line in [
            format!("[rank0]: {body}"),
            format!("2025-03-04 12:34:56,789 - {body}"),
            format!("[2025-03-04T12:34:56.120Z] {body}"),
            format!("2025-03-04T12:34:56.123456789Z stdout F {body}"),
            format!("Mar  4 12:34:56 gpu-box train.sh[4242]: {body}"),
            format!("Mar 04 12:34:56 gpu-box python[4242]: [rank1]: {body}"),
        ] {
            assert_eq!(log_body(&line), body, "{line}");
        }
        // What a program prints itself stays as it is.
        for line in [
            body,
            "[2024-07-25] a date in a message",
            "TypeError: SFTTrainer.__init__() got an unexpected keyword argument 'tokenizer'",
            "12 layers patched",
            "[rank0]:",
        ] {
            assert_eq!(log_body(line), line);
        }
        let lines: Vec<_> = output_lines("[rank0]: Successfully installed peft-0.12.0\n").collect();
        assert_eq!(lines[0], "Successfully installed peft-0.12.0");
    }

    #[test]
    fn progress_bars_keep_their_last_state() {
        let lines: Vec<_> = output_lines("a\r b\r c\nd").collect();
        assert_eq!(lines, [" c", "d"]);
    }

    #[test]
    fn repository_names() {
        assert_eq!(
            repository_package("https://github.com/unslothai/unsloth-zoo"),
            "unsloth-zoo"
        );
        assert_eq!(
            repository_package("git+https://github.com/unslothai/unsloth.git@main#egg=unsloth"),
            "unsloth"
        );
    }
}
