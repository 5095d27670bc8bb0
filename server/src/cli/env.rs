//! `tunelint env`: the environment table, with the advisories that apply to it.

use super::{load_kb, EnvArgs, ListFormat};
use crate::check::EnvironmentReport;
use crate::workspace::{Overrides, Workspace};

pub fn run(args: EnvArgs) -> Result<u8, String> {
    let kb = load_kb(&args.kb)?;
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let overrides = Overrides {
        config_file: args.env.config.clone(),
        python: args.env.python,
        site_packages: args.env.site_packages,
        env_file: args.env.env_file,
        isolated: args.env.isolated,
        ..Default::default()
    };
    let workspace = Workspace::new(root, overrides);
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
    let report = EnvironmentReport::new(&env, &project, &kb, &dir, &workspace.display(&dir));
    match args.format {
        ListFormat::Json => super::print_out(
            &(serde_json::to_string_pretty(&report.to_json(&env, &kb)).unwrap_or_default() + "\n"),
        ),
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
            let rows: Vec<[String; 5]> = report
                .versions
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
                    [
                        f.package.clone(),
                        version,
                        kind,
                        f.source.clone(),
                        report.advisories_for(&f.package, &kb).join(", "),
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
            if !report.applies.is_empty() {
                out.push_str("\nKnown to break with these versions:\n");
                for (id, sev, title) in &report.applies {
                    out.push_str(&format!("  {id} [{sev}] {title}\n"));
                }
            }
            super::print_out(&out);
        }
    }
    Ok(0)
}
