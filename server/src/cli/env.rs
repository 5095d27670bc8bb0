//! `tunelint env`: the environment table, with the advisories that apply to it.

use super::{load_kb, EnvArgs, ListFormat};
use crate::check::{next_run_versions, CheckContext};
use crate::render::environment_json;
use crate::source::{Document, SourceKind};
use crate::workspace::{Overrides, Workspace};
use serde_json::json;

pub fn run(args: EnvArgs) -> Result<u8, String> {
    let kb = load_kb(&args.kb)?;
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let workspace = Workspace::new(
        root,
        Overrides {
            config_file: args.env.config.clone(),
            python: args.env.python,
            site_packages: args.env.site_packages,
            env_file: args.env.env_file,
            isolated: args.env.isolated,
        },
    );
    let dir = if args.path.is_file() {
        args.path
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_default()
    } else {
        args.path.clone()
    };
    let dir = if dir.as_os_str().is_empty() {
        std::path::PathBuf::from(".")
    } else {
        dir
    };
    let env = workspace.environment_for(&dir);
    let project = workspace.project_files_for(&dir);
    // The project's declarations fill in packages that are not installed.
    let doc = Document::from_text(SourceKind::Requirements, String::new());
    let display = workspace.display(&dir);
    let ctx = CheckContext {
        display_path: &display,
        path: &dir,
        env: &env,
        project: &project,
        kb: &kb,
    };
    let declarations = crate::check::collect_declarations(&doc, &ctx);
    let versions = next_run_versions(&doc, &declarations, &ctx);
    let applies: Vec<(String, String, String)> = kb
        .advisories
        .iter()
        .filter_map(|a| {
            // What the environment alone breaks: combinations of packages, or advisories that
            // need no particular code. API removals (one package, a flagged call) need the code.
            if a.versions.is_empty()
                || !a.require.is_empty()
                || (a.versions.len() < 2 && !a.flag.is_empty())
            {
                return None;
            }
            let all = a.versions.iter().all(|(p, r)| {
                versions
                    .get(p)
                    .and_then(|f| f.version.as_ref())
                    .is_some_and(|v| r.contains(v))
            });
            all.then(|| {
                (
                    a.id.clone(),
                    a.severity.as_str().to_string(),
                    a.title.clone(),
                )
            })
        })
        .collect();
    match args.format {
        ListFormat::Json => {
            let mut value = environment_json(&env);
            value["advisories"] = json!(applies
                .iter()
                .map(|(id, sev, title)| json!({"id": id, "severity": sev, "title": title}))
                .collect::<Vec<_>>());
            value["packages"] = json!(versions
                .values()
                .map(|f| json!({
                    "package": f.package,
                    "version": f.version.as_ref().map_or_else(|| f.written.clone(), |v| v.to_string()),
                    "kind": f.kind,
                    "source": f.source,
                    "git_commit": f.commit,
                    "advisories": applies.iter().filter(|(id, ..)| kb.get(id).is_some_and(|a| a.packages().any(|p| p == f.package))).map(|(id, ..)| id.clone()).collect::<Vec<_>>(),
                }))
                .collect::<Vec<_>>());
            super::print_out(&(serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"));
        }
        ListFormat::Text => {
            let mut out = String::new();
            let python = env
                .python_version
                .as_deref()
                .map(|v| format!(" · Python {v}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "Environment: {}{python} ({})\n",
                env.name,
                env.origin.label()
            ));
            if let Some(p) = &env.path {
                out.push_str(&format!("Read from:   {}\n", p.display()));
            }
            out.push('\n');
            let rows: Vec<[String; 5]> = versions
                .values()
                .map(|f| {
                    let version = f
                        .version
                        .as_ref()
                        .map_or_else(|| f.written.clone(), |v| v.to_string());
                    let mut kind = f.kind.label().to_string();
                    if f.git {
                        kind.push_str(", git");
                    }
                    if f.editable {
                        kind.push_str(", editable");
                    }
                    let ids: Vec<String> = applies
                        .iter()
                        .filter(|(id, ..)| {
                            kb.get(id)
                                .is_some_and(|a| a.packages().any(|p| p == f.package))
                        })
                        .map(|(id, ..)| id.clone())
                        .collect();
                    [
                        f.package.clone(),
                        version,
                        kind,
                        f.source.clone(),
                        ids.join(", "),
                    ]
                })
                .collect();
            let header = ["package", "version", "kind", "source", "advisories"].map(String::from);
            let widths: Vec<usize> = (0..4)
                .map(|i| {
                    rows.iter()
                        .chain(std::iter::once(&header))
                        .map(|r| r[i].chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for row in std::iter::once(&header).chain(rows.iter()) {
                let line = format!(
                    "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    row[4],
                    w0 = widths[0],
                    w1 = widths[1],
                    w2 = widths[2],
                    w3 = widths[3]
                );
                out.push_str(line.trim_end());
                out.push('\n');
            }
            if !env.problems.is_empty() {
                out.push_str("\nProblems:\n");
                for p in &env.problems {
                    out.push_str(&format!("  {}: {}\n", p.path.display(), p.message));
                }
            }
            if !applies.is_empty() {
                out.push_str("\nKnown to break with these versions:\n");
                for (id, sev, title) in &applies {
                    out.push_str(&format!("  {id} [{sev}] {title}\n"));
                }
            }
            super::print_out(&out);
        }
    }
    Ok(0)
}
