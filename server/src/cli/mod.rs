//! The command line: `tunelint check | env | rule | advisories | server`, and the hidden
//! `check-service` that the IPython extension keeps running.

mod check;
mod env;
mod rules;
mod service;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "tunelint",
    version,
    about = "Finds known version incompatibilities in the Python fine-tuning stack",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check scripts, notebooks and dependency files.
    Check(CheckArgs),
    /// Show the environment: what is installed, where it came from, what is known to break.
    Env(EnvArgs),
    /// Explain an advisory.
    Rule {
        /// The advisory id, e.g. UNS001.
        id: String,
        #[command(flatten)]
        kb: KbArgs,
    },
    /// List the advisories.
    Advisories {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// Run the examples of every advisory (with `--advisories DIR`, of that directory's
        /// advisories, which replace embedded ones of the same id) and report each that fails.
        #[arg(long)]
        test: bool,
        #[command(flatten)]
        kb: KbArgs,
    },
    /// Run the language server over stdio.
    Server,
    /// Run `check` command lines read from stdin, keeping the knowledge base loaded (for the
    /// IPython extension; the protocol is in `cli/service.rs`).
    #[command(hide = true)]
    CheckService,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Full,
    Concise,
    Json,
    Github,
    Sarif,
    Junit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailLevel {
    Error,
    Warning,
    Info,
}

#[derive(Args, Debug, Clone, Default)]
pub struct KbArgs {
    /// A directory of extra advisories in tunelint's format.
    #[arg(long, value_name = "DIR")]
    pub advisories: Option<PathBuf>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct EnvSelection {
    /// An interpreter whose environment to use (it may be asked once for its paths).
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// A site-packages directory to read.
    #[arg(long, value_name = "DIR")]
    pub site_packages: Option<PathBuf>,
    /// A `pip freeze` or `pip list --format=json` snapshot.
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Ignore configuration files.
    #[arg(long, conflicts_with = "config")]
    pub isolated: bool,
    /// Use this configuration file (pyproject.toml or tunelint.toml) for every file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Which codes are reported, as in the configuration's `select`, `extend-select` and
/// `ignore`: codes, prefixes (`TRL`) or `ALL`, comma-separated.
#[derive(Args, Debug, Clone, Default)]
pub struct SelectionArgs {
    /// Report only these codes (replaces the configuration's `select`). Advice (infos) is
    /// reported when its code is named here.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Option<Vec<String>>,
    /// Report these codes as well, advice included (`--extend-select ALL` shows all advice).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub extend_select: Vec<String>,
    /// Do not report these codes.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or directories to check.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Full)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub env: EnvSelection,
    #[command(flatten)]
    pub kb: KbArgs,
    #[command(flatten)]
    pub select: SelectionArgs,
    /// Apply safe fixes.
    #[arg(long)]
    pub fix: bool,
    /// With --fix, also apply unsafe fixes.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the changes fixes would make as a unified diff; write nothing.
    #[arg(long)]
    pub diff: bool,
    /// The lowest severity that makes the exit code 1 (default: warning, or `fail-level` from
    /// the configuration).
    #[arg(long, value_enum)]
    pub fail_level: Option<FailLevel>,
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Print the number of findings per code.
    #[arg(long)]
    pub statistics: bool,
    /// With `-` as the path: the name the text read from stdin is checked as (its kind comes
    /// from this name, e.g. `train.log`).
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<PathBuf>,
    /// Exit 0 even when there are findings.
    #[arg(long)]
    pub exit_zero: bool,
    /// Never colour the output.
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Args, Debug)]
pub struct EnvArgs {
    /// Where to look for the environment and the project (default: the current directory).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    #[command(flatten)]
    pub env: EnvSelection,
    #[command(flatten)]
    pub kb: KbArgs,
}

/// Parses the arguments and runs. Exit 0: nothing at or above the fail level; 1: findings;
/// 2: tunelint could not do its job.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Check(args) => {
            // A check takes huge pages up once it knows that its files are many.
            use_huge_pages(false);
            check::run(args)
        }
        Command::Env(args) => env::run(args),
        Command::Rule { id, kb } => rules::rule(&id, &kb),
        Command::Advisories { test: true, kb, .. } => rules::test_examples(&kb),
        Command::Advisories { format, kb, .. } => rules::list(format, &kb),
        Command::Server => {
            use_huge_pages(false);
            crate::lsp::run_stdio()
        }
        Command::CheckService => service::run(),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("tunelint: error: {message}");
            ExitCode::from(2)
        }
    }
}

/// The knowledge base for a run: embedded advisories plus `--advisories DIR`.
pub fn load_kb(args: &KbArgs) -> Result<crate::kb::KnowledgeBase, String> {
    load_kb_from(crate::kb::KnowledgeBase::embedded(), args)
}

/// The knowledge base with every advisory's examples and provenance, for `rule` and
/// `advisories --test`.
pub fn load_whole_kb(args: &KbArgs) -> Result<crate::kb::KnowledgeBase, String> {
    load_kb_from(crate::kb::KnowledgeBase::embedded_with_examples(), args)
}

fn load_kb_from(
    mut kb: crate::kb::KnowledgeBase,
    args: &KbArgs,
) -> Result<crate::kb::KnowledgeBase, String> {
    if let Some(dir) = &args.advisories {
        add_advisory_dir(&mut kb, dir)?;
    }
    Ok(kb)
}

/// Adds the advisories of a directory, or says which files are wrong.
pub fn add_advisory_dir(
    kb: &mut crate::kb::KnowledgeBase,
    dir: &std::path::Path,
) -> Result<(), String> {
    let files = crate::workspace::read_advisory_dir(dir)
        .map_err(|e| format!("cannot read advisories from {}: {e}", dir.display()))?;
    kb.extend_from(&files).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Writes to stdout; a closed pipe (`tunelint env | head`) is not an error worth a panic.
pub fn print_out(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Whether the allocator (mimalloc) may back its heaps with transparent huge pages, where the
/// system allows them. They pay off in a big `check` (a growing heap takes far fewer page
/// faults) and cost in a small one (each thread's first allocation clears a whole 2 MB page,
/// about a millisecond of a 7 ms run), and they leave a long-running language server holding
/// whole 2 MB pages for a few live objects each: with every corpus notebook open its resident
/// memory triples. The setting applies to pages touched after it.
pub(crate) fn use_huge_pages(allowed: bool) {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and only sets a flag on this process.
    unsafe {
        libc::prctl(
            libc::PR_SET_THP_DISABLE,
            libc::c_ulong::from(!allowed),
            0,
            0,
            0,
        );
    }
    // Elsewhere the choice is the system's.
    #[cfg(not(target_os = "linux"))]
    let _ = allowed;
}
