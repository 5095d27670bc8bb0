//! How tunelint reasons about a notebook's runs, one rule per test, each on a small notebook in
//! `tests/fixtures/notebook-runs/` named for what it shows: kernel sessions, guard arms as
//! alternatives, imports by full module path, Colab's restart warning, installs that cannot
//! change anything, success later in the same run, behaviour that exists from a version on,
//! later installs winning, and one finding per problem.

use crate::support::{run, tunelint};
use serde_json::Value;

/// One finding as a user reads it in the JSON report.
#[derive(Debug)]
struct Seen {
    code: String,
    severity: String,
    cell: Option<u64>,
    line: u64,
    message: String,
    related: Vec<String>,
}

fn check(fixture: &str) -> Vec<Seen> {
    let path = format!("tests/fixtures/notebook-runs/{fixture}.ipynb");
    // Every finding, advice included: these fixtures are about what the analysis concludes,
    // not about which of its conclusions are shown by default.
    let out = run(tunelint().args([
        "check",
        &path,
        "--isolated",
        "--format",
        "json",
        "--extend-select",
        "ALL",
    ]));
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    let value: Value = serde_json::from_str(&out.stdout).expect("one JSON object");
    value["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| Seen {
            code: f["code"].as_str().unwrap().to_string(),
            severity: f["severity"].as_str().unwrap().to_string(),
            cell: f["cell"].as_u64(),
            line: f["start"]["line"].as_u64().unwrap(),
            message: f["message"].as_str().unwrap().to_string(),
            related: f["related"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .map(|x| x["message"].as_str().unwrap_or("").to_string())
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

fn codes(found: &[Seen]) -> Vec<(&str, &str)> {
    found
        .iter()
        .map(|s| (s.code.as_str(), s.severity.as_str()))
        .collect()
}

#[test]
fn sessions_each_count_of_1_starts_a_new_runtime() {
    // The install has count 1 after cells counted 1 and 2: it ran in a fresh runtime, before
    // anything imported peft there.
    assert!(check("sessions-each-count-of-1-starts-a-new-runtime").is_empty());
}

#[test]
fn guard_arms_are_alternatives() {
    let found = check("guard-arms-are-alternatives");
    // Only the `else:` arm installs the founding pair; its own lines say so by where they are,
    // the lines elsewhere say on which path.
    assert!(found.iter().all(|f| f.code == "UNS001"), "{found:?}");
    assert!(
        found.iter().all(|f| f.cell != Some(1) || f.line == 5),
        "{found:?}"
    );
    let in_cell_2: Vec<&Seen> = found.iter().filter(|f| f.cell == Some(2)).collect();
    assert!(!in_cell_2.is_empty());
    for f in in_cell_2 {
        assert!(
            f.message.ends_with(
                "(when `else:` of `if \"COLAB_\" not in \"\".join(os.environ.keys()):` runs)"
            ),
            "{}",
            f.message
        );
    }
}

#[test]
fn guard_saved_output_shows_which_arm_ran() {
    let found = check("guard-saved-output-shows-which-arm-ran");
    assert!(found
        .iter()
        .any(|f| f.code == "UNS001" && f.cell == Some(2)));
    // The output names trl, which only the `else:` arm installs: that path is the run, so no
    // message needs to say "when".
    assert!(
        found.iter().all(|f| !f.message.contains("(when ")),
        "{found:?}"
    );
}

#[test]
fn guard_install_if_missing_cannot_replace_an_import() {
    assert!(check("guard-install-if-missing-cannot-replace-an-import").is_empty());
}

#[test]
fn google_colab_import_ties_no_install_of_google() {
    assert!(check("google-colab-import-ties-no-install-of-google").is_empty());
}

#[test]
fn colab_restart_warning_about_preloads_only() {
    assert!(check("colab-restart-warning-about-preloads-only").is_empty());
}

#[test]
fn colab_restart_warning_names_peft() {
    let found = check("colab-restart-warning-names-peft");
    assert_eq!(codes(&found), [("NB001", "warning")]);
    // Colab's own preload `google` is left out of the message.
    assert!(
        found[0].message.contains("Colab lists peft as imported"),
        "{}",
        found[0].message
    );
}

#[test]
fn unversioned_install_of_imported_torch_changes_nothing() {
    assert!(check("unversioned-install-of-imported-torch-changes-nothing").is_empty());
}

#[test]
fn error_output_then_the_same_run_trained() {
    let found = check("error-output-then-the-same-run-trained");
    assert_eq!(codes(&found), [("UNS002", "info")]);
    assert!(found[0]
        .message
        .contains("but the same run then finished training (cell 2:"));
}

#[test]
fn error_output_and_training_in_another_runtime() {
    // The training ran in another session (its count starts again at 1): it proves nothing
    // about the run that failed.
    let found = check("error-output-and-training-in-another-runtime");
    assert_eq!(codes(&found), [("UNS002", "error")]);
}

#[test]
fn unsloth_from_a_local_tree_is_unknown() {
    let found = check("unsloth-from-a-local-tree-is-unknown");
    assert_eq!(codes(&found), [("UNS003", "info")]);
    assert!(found[0]
        .message
        .contains("which Unsloth runs is not known here"));
}

#[test]
fn unsloth_unpinned_is_the_newest_release() {
    let found = check("unsloth-unpinned-is-the-newest-release");
    assert_eq!(codes(&found), [("UNS003", "warning")]);
}

#[test]
fn later_install_cell_wins() {
    let found = check("later-install-cell-wins");
    let at_import = found
        .iter()
        .find(|f| f.code == "UNS001" && f.cell == Some(3))
        .expect("the founding case at the import");
    assert!(
        at_import
            .message
            .contains("peft 0.12.0 (declared, tests/fixtures/notebook-runs/later-install-cell-wins.ipynb cell 2, line 2, after `peft==0.11.1` in cell 1, line 1)"),
        "{}",
        at_import.message
    );
    assert!(at_import
        .related
        .iter()
        .any(|r| r == "`peft==0.11.1` here is replaced by the later install"));
    // The replaced pin itself is not flagged.
    assert!(!found
        .iter()
        .any(|f| f.cell == Some(1) && f.message.starts_with("`peft==0.11.1`")));
}

#[test]
fn restart_warning_under_its_install_is_one_finding() {
    let found = check("restart-warning-under-its-install-is-one-finding");
    assert_eq!(codes(&found), [("NB001", "warning")]);
    assert!(found[0].related.iter().any(|r| r.starts_with(
        "the cell's saved output `You must restart the runtime in order to use newly installed versions.`"
    )));
}

#[test]
fn error_in_code_and_its_output_is_one_finding() {
    let found = check("error-in-code-and-its-output-is-one-finding");
    assert_eq!(codes(&found), [("TRL001", "error")]);
    assert_eq!((found[0].cell, found[0].line), (Some(2), 2));
    assert!(found[0].related.iter().any(|r| r.starts_with(
        "the cell's saved output `TypeError: SFTTrainer.__init__() got an unexpected keyword argument 'tokenizer'`"
    )));
}

#[test]
fn import_owned_by_its_record() {
    // `bs4` is beautifulsoup4's: its RECORD says so when the environment is known; without an
    // environment the name alone ties nothing.
    let dir = "tests/fixtures/notebook-runs/import-owned-by-its-record";
    let with_env = run(tunelint().args([
        "check",
        &format!("{dir}/nb.ipynb"),
        "--isolated",
        "--format",
        "concise",
        "--site-packages",
        &format!("{dir}/site-packages"),
    ]));
    assert!(
        with_env.stdout.contains(
            "NB001 [warning] `beautifulsoup4` installed after `bs4` in cell 1 imported it"
        ),
        "{}",
        with_env.stdout
    );
    let without = run(tunelint().args([
        "check",
        &format!("{dir}/nb.ipynb"),
        "--isolated",
        "--format",
        "concise",
    ]));
    assert_eq!(without.code, 0, "{}", without.stdout);
}

/// The UNS001 finding on `get_peft_model(...)` in cell 3 of a fixture.
fn founding_finding(found: &[Seen]) -> &Seen {
    found
        .iter()
        .find(|s| s.code == "UNS001" && s.cell == Some(3))
        .expect("UNS001 on get_peft_model")
}

#[test]
fn founding_case_predicted_from_the_install_cell() {
    // unsloth pinned to a July 2024 commit (placed before the fix by the commit alone) and an
    // unpinned peft: every release peft can install today is 0.12 or later, so the failure is
    // predicted before any run; the cells' metadata says they ran on 2024-07-25, the day after
    // peft 0.12.0 was uploaded, so the last run had it too.
    let found = check("founding-case-predicted-from-the-install-cell");
    let f = founding_finding(&found);
    assert_eq!(f.severity, "warning");
    assert!(
        f.message.contains("unsloth from git at `9d415882bf"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("predicted: an unpinned `peft` installs")
            && f.message.contains("every release `>=0.12.0` is affected"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("the last run got peft 0.12.0")
            && f.message
                .contains("on 2024-07-25, the day the cell last ran per its metadata"),
        "{}",
        f.message
    );
}

#[test]
fn founding_case_ran_before_peft_0_12() {
    // On 2024-07-20 the newest peft was 0.11.1: the last run was not affected, the next is.
    let found = check("founding-case-ran-before-peft-0-12");
    let f = founding_finding(&found);
    assert!(
        f.message.contains("predicted: an unpinned `peft`"),
        "{}",
        f.message
    );
    assert!(!f.message.contains("the last run got"), "{}", f.message);
}

#[test]
fn copied_cell_metadata_is_not_a_run_date() {
    // The metadata says 2024-07-25 but the saved banner names Unsloth 2026.5.10: the metadata
    // came with copied cells, so no version is judged by that day.
    let found = check("copied-cell-metadata-is-not-a-run-date");
    let f = founding_finding(&found);
    assert!(!f.message.contains("the last run got"), "{}", f.message);
}

#[test]
fn banner_of_another_model_is_stale() {
    // The cell loads Qwen3 now, but its saved banner is from a Qwen2 run: the notebook was
    // edited after it ran. "transformers 4.49 predates Qwen3" rests on that banner, so it is an
    // info that says to rerun, not an error.
    let found = check("banner-of-another-model-is-stale");
    let tf = found.iter().find(|s| s.code == "TF008").expect("TF008");
    assert_eq!(tf.severity, "info");
    assert!(
        tf.message.contains(
            "cell 2's saved output comes from a run of Qwen2, and the cell now loads `unsloth/Qwen3-1.7B`: rerun it"
        ),
        "{}",
        tf.message
    );
    assert!(found.iter().all(|s| s.severity == "info"), "{found:?}");
}

/// A traceback's file paths say which installed packages the run went through and where they
/// were installed, from NumPy's banner (sophgo/torch-tpu issue 2) to the frames below it.
#[test]
fn traceback_names_the_installed_torch() {
    let found = check("traceback-names-the-installed-torch");
    let banner = found
        .iter()
        .find(|f| f.code == "NP001" && f.message.contains("compiled using NumPy 1.x"))
        .expect("the NumPy banner is a finding");
    assert_eq!(banner.severity, "warning", "{}", banner.message);
    assert!(
        banner.message.ends_with(
            "(its traceback runs through `torch` installed in /root/anaconda3/envs/sophon/lib/python3.10/site-packages)"
        ),
        "{}",
        banner.message
    );
}
