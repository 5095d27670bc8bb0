//! Install commands in notebook shell lines: `pip`, `pip3`, `python -m pip`, `uv pip`,
//! `conda`/`mamba`, with their flags, and every requirement with its exact byte range.

mod tokens;

pub use tokens::{tokenize, Token};

use crate::requirement::{parse_requirement, Requirement};
use crate::source::ShellLine;
use crate::text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Installer {
    Pip,
    Uv,
    Conda,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallAction {
    Install,
    Uninstall,
}

/// One requirement token in an install command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallRequirement {
    /// The parsed requirement, or why it could not be parsed.
    pub requirement: Result<Requirement, String>,
    /// The token as written, quotes included.
    pub raw: String,
    pub range: TextRange,
    pub quoted: bool,
    /// Installed with `-e`.
    pub editable: bool,
}

impl InstallRequirement {
    pub fn name(&self) -> Option<&str> {
        self.requirement.as_ref().ok().map(|r| r.name.as_str())
    }
}

/// One `pip install ...` (or uninstall) in a shell line; a line with `&&` holds several.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallCommand {
    pub range: TextRange,
    pub installer: Installer,
    pub action: InstallAction,
    pub no_deps: bool,
    pub upgrade: bool,
    pub force_reinstall: bool,
    /// `--ignore-installed` / `-I`: installs over what is there without looking at it.
    pub ignore_installed: bool,
    pub no_cache_dir: bool,
    pub index_url: Option<String>,
    pub requirements: Vec<InstallRequirement>,
    /// `-r file` and `-c file` arguments, as written.
    pub requirement_files: Vec<(String, TextRange)>,
    /// The `if`/`else` or `try`/`except` arm the command runs in, if any.
    pub condition: Option<crate::source::Guard>,
    /// Requirements whose unquoted `>`/`<` the shell took for a redirection
    /// (`transformers>=4.51.3` installs `transformers`, output to a file `=4.51.3`).
    pub cut_by_redirection: Vec<CutRequirement>,
}

/// A requirement written with an unquoted comparison, which the shell cut at the `>` or `<`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CutRequirement {
    /// The whole word as written, requirement and redirection.
    pub range: TextRange,
    /// What the shell passed to the installer (`transformers`).
    pub installed: String,
    /// The redirection it made of the rest (`>=4.51.3`).
    pub redirection: String,
}

impl InstallCommand {
    /// Whether the command replaces what is installed even when a version already satisfies it.
    pub fn replaces_installed(&self) -> bool {
        self.upgrade || self.force_reinstall || self.ignore_installed
    }
}

/// Options that take a value in the next token (when not written as `--opt=value`).
const VALUE_OPTIONS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--only-binary",
    "--no-binary",
    "--progress-bar",
    "--trusted-host",
    "-C",
    "--config-settings",
    "--upgrade-strategy",
    "--log",
    "--cache-dir",
    "--src",
    "--python",
    "-p",
    "--root-user-action",
    "--index-strategy",
    "--torch-backend",
    "--resolution",
    "--prerelease",
    "--index",
    "--default-index",
    "--extra-index",
    "--exclude-newer",
    "--link-mode",
    "--report",
    "--group",
    "-n",
    "--name",
    "--channel",
    "--override",
    "--build-constraint",
];

/// Finds the install commands in a shell line of `text`.
pub fn parse_shell_line(text: &str, line: &ShellLine) -> Vec<InstallCommand> {
    let tokens = tokenize(text, line.range);
    let mut commands = Vec::new();
    for segment in tokens.split(|t| t.is_separator()) {
        if let Some(mut cmd) = parse_segment(segment) {
            cmd.condition = line.condition.clone();
            commands.push(cmd);
        }
    }
    commands
}

fn parse_segment(tokens: &[Token]) -> Option<InstallCommand> {
    let mut i = 0;
    // Environment assignments and `sudo` before the command.
    while i < tokens.len() && (tokens[i].value == "sudo" || is_env_assignment(&tokens[i].value)) {
        i += 1;
    }
    let first = tokens.get(i)?;
    let program = first.value.rsplit('/').next().unwrap_or(&first.value);
    let installer;
    if is_pip(program) {
        installer = Installer::Pip;
        i += 1;
    } else if program == "uv" && tokens.get(i + 1).is_some_and(|t| t.value == "pip") {
        installer = Installer::Uv;
        i += 2;
    } else if is_python(program) && tokens.get(i + 1).is_some_and(|t| t.value == "-m") {
        let module = tokens.get(i + 2)?;
        if module.value == "pip" {
            installer = Installer::Pip;
            i += 3;
        } else if module.value == "uv" && tokens.get(i + 3).is_some_and(|t| t.value == "pip") {
            installer = Installer::Uv;
            i += 4;
        } else {
            return None;
        }
    } else if program == "conda" || program == "mamba" || program == "micromamba" {
        installer = Installer::Conda;
        i += 1;
    } else {
        return None;
    }
    // Global options may come before the subcommand.
    while i < tokens.len() && tokens[i].value.starts_with('-') {
        i += 1;
    }
    let action = match tokens.get(i)?.value.as_str() {
        "install" => InstallAction::Install,
        "uninstall" | "remove" => InstallAction::Uninstall,
        _ => return None,
    };
    i += 1;
    let start = tokens[0].range.start;
    let end = tokens.last().map_or(start, |t| t.range.end);
    let mut cmd = InstallCommand {
        range: TextRange::new(start, end),
        installer,
        action,
        no_deps: false,
        upgrade: false,
        force_reinstall: false,
        ignore_installed: false,
        no_cache_dir: false,
        index_url: None,
        requirements: Vec::new(),
        requirement_files: Vec::new(),
        condition: None,
        cut_by_redirection: Vec::new(),
    };
    while i < tokens.len() {
        let tok = &tokens[i];
        let v = tok.value.as_str();
        i += 1;
        if tok.quoted || !v.starts_with('-') || v == "-" {
            if !tok.quoted
                && (v.starts_with(['>', '<']) || v.starts_with("2>") || v.starts_with("&>"))
            {
                // Joined to the word before it (`name>=1.0`): a specifier the shell cut off.
                let cut = i >= 2
                    && v.starts_with(['>', '<'])
                    && v.len() > 1
                    && tokens[i - 2].range.end == tok.range.start
                    && cmd
                        .requirements
                        .last()
                        .is_some_and(|r| r.range == tokens[i - 2].range);
                if cut {
                    let word = &tokens[i - 2];
                    cmd.cut_by_redirection.push(CutRequirement {
                        range: TextRange::new(word.range.start, tok.range.end),
                        installed: word.value.clone(),
                        redirection: v.to_string(),
                    });
                }
                // A redirection; its target follows unless it is joined (`2>&1`, `>/dev/null`).
                if matches!(v, ">" | "2>" | ">>" | "&>" | "<") {
                    i += 1;
                }
                continue;
            }
            push_requirement(&mut cmd, tok, false);
            continue;
        }
        let (name, inline_value) = match v.split_once('=') {
            Some((n, val)) if n.starts_with("--") => (n, Some(val)),
            _ => (v, None),
        };
        match name {
            "--no-deps" | "--no-dependencies" => cmd.no_deps = true,
            "--upgrade" => cmd.upgrade = true,
            "--force-reinstall" | "--reinstall" => cmd.force_reinstall = true,
            "--ignore-installed" => cmd.ignore_installed = true,
            "--no-cache-dir" | "--no-cache" => cmd.no_cache_dir = true,
            _ if name.starts_with("--") => {
                if inline_value.is_none() && VALUE_OPTIONS.contains(&name) {
                    let value = tokens.get(i);
                    i += 1;
                    if let Some(value) = value {
                        apply_value_option(&mut cmd, name, value);
                    }
                } else if let Some(value) = inline_value {
                    if matches!(name, "--index-url" | "--index" | "--default-index") {
                        cmd.index_url = Some(value.to_string());
                    }
                }
            }
            _ => {
                // A cluster of short flags, `-qU`; a value flag takes the rest or the next token.
                let flags: Vec<char> = name[1..].chars().collect();
                for (k, f) in flags.iter().enumerate() {
                    match f {
                        'U' => cmd.upgrade = true,
                        'I' => cmd.ignore_installed = true,
                        'r' | 'c' | 'e' | 'i' | 'f' | 't' | 'C' | 'p' | 'n' => {
                            let rest: String = flags[k + 1..].iter().collect();
                            let opt = format!("-{f}");
                            if rest.is_empty() {
                                if let Some(value) = tokens.get(i) {
                                    apply_value_option(&mut cmd, &opt, value);
                                }
                                i += 1;
                            } else {
                                let shifted = Token {
                                    value: rest,
                                    range: TextRange::new(tok.range.start + k + 2, tok.range.end),
                                    quoted: false,
                                    separator: false,
                                };
                                apply_value_option(&mut cmd, &opt, &shifted);
                            }
                            break;
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    Some(cmd)
}

fn apply_value_option(cmd: &mut InstallCommand, option: &str, value: &Token) {
    match option {
        "-r" | "--requirement" | "-c" | "--constraint" => cmd
            .requirement_files
            .push((value.value.clone(), value.range)),
        "-e" | "--editable" => push_requirement(cmd, value, true),
        "-i" | "--index-url" | "--index" | "--default-index" => {
            cmd.index_url = Some(value.value.clone())
        }
        _ => {}
    }
}

fn push_requirement(cmd: &mut InstallCommand, tok: &Token, editable: bool) {
    let requirement = if editable && !tok.value.contains("://") && !tok.value.contains(" @ ") {
        Err(format!("editable install of a local path `{}`", tok.value))
    } else if cmd.installer == Installer::Conda {
        // conda's `name=1.2` and `name==1.2` both pin; anything else is taken by name only.
        let (name, version) = tok
            .value
            .split_once("==")
            .or_else(|| tok.value.split_once('='))
            .unwrap_or((&tok.value, ""));
        let text = if version.is_empty() {
            name.to_string()
        } else {
            format!("{name}=={version}")
        };
        parse_requirement(&text)
    } else {
        parse_requirement(&tok.value)
    };
    cmd.requirements.push(InstallRequirement {
        requirement,
        raw: tok.value.clone(),
        range: tok.range,
        quoted: tok.quoted,
        editable,
    });
}

fn is_env_assignment(token: &str) -> bool {
    token.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    })
}

fn is_pip(program: &str) -> bool {
    program == "pip"
        || program
            .strip_prefix("pip")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn is_python(program: &str) -> bool {
    program == "{sys.executable}"
        || program == "$PYTHON"
        || program
            .strip_prefix("python")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirement::RequirementSpec;
    use crate::source::ShellPrefix;

    fn parse(text: &str) -> Vec<InstallCommand> {
        let line = ShellLine {
            range: TextRange::new(0, text.len()),
            prefix: ShellPrefix::Bang,
            condition: None,
        };
        parse_shell_line(text, &line)
    }

    #[test]
    fn the_founding_case_install_line() {
        let text =
            r#"!pip install --no-deps "xformers<0.0.27" "trl<0.9.0" peft accelerate bitsandbytes"#;
        let cmds = parse(text);
        assert_eq!(cmds.len(), 1);
        let cmd = &cmds[0];
        assert!(cmd.no_deps);
        let names: Vec<_> = cmd.requirements.iter().map(|r| r.name().unwrap()).collect();
        assert_eq!(
            names,
            ["xformers", "trl", "peft", "accelerate", "bitsandbytes"]
        );
        assert_eq!(cmd.requirements[2].range.slice(text), "peft");
        assert_eq!(cmd.requirements[0].range.slice(text), "\"xformers<0.0.27\"");
        assert_eq!(
            cmd.requirements[2].requirement.as_ref().unwrap().spec,
            RequirementSpec::Unpinned
        );
    }

    #[test]
    fn an_unquoted_specifier_is_cut_by_the_shell_redirection() {
        // The shell installs plain `transformers` and writes pip's output to `=4.51.3`.
        let cmds = parse("!pip install transformers>=4.51.3 \"peft<0.12\"");
        let reqs: Vec<_> = cmds[0]
            .requirements
            .iter()
            .map(|r| r.requirement.as_ref().unwrap())
            .collect();
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].name, "transformers");
        assert_eq!(reqs[0].spec, RequirementSpec::Unpinned);
        assert_eq!(reqs[1].name, "peft");
        assert!(reqs[1].spec.exact_version().is_none());
        assert_ne!(reqs[1].spec, RequirementSpec::Unpinned);
        let cut = &cmds[0].cut_by_redirection;
        assert_eq!(cut.len(), 1);
        assert_eq!(cut[0].installed, "transformers");
        assert_eq!(cut[0].redirection, ">=4.51.3");
        assert_eq!(cut[0].range, TextRange::new(13, 33));
        // A redirection of the output on its own is no cut requirement.
        assert!(parse("!pip install peft > log.txt 2>&1")[0]
            .cut_by_redirection
            .is_empty());
    }

    #[test]
    fn chains_uninstalls_and_upgrades() {
        let text = "!pip uninstall unsloth -y && pip install --upgrade --force-reinstall --no-cache-dir git+https://github.com/unslothai/unsloth.git";
        let cmds = parse(text);
        assert_eq!(cmds.len(), 2);
        assert_eq!(cmds[0].action, InstallAction::Uninstall);
        assert_eq!(cmds[0].requirements[0].name(), Some("unsloth"));
        assert!(cmds[1].upgrade && cmds[1].force_reinstall && cmds[1].no_cache_dir);
        assert!(cmds[1].requirements[0]
            .requirement
            .as_ref()
            .unwrap()
            .spec
            .is_git());
    }

    #[test]
    fn uv_python_m_pip_short_flag_clusters_and_interpolation() {
        let cmds = parse("!uv pip install -qqq --upgrade {_vllm} \"unsloth[base] @ git+https://github.com/unslothai/unsloth\" torchvision");
        assert_eq!(cmds[0].installer, Installer::Uv);
        assert_eq!(
            cmds[0].requirements[0].requirement.as_ref().unwrap().spec,
            RequirementSpec::Interpolated
        );
        assert_eq!(cmds[0].requirements.len(), 3);
        let cmds = parse("python -m pip install -qU uv --root-user-action=ignore");
        assert!(cmds[0].upgrade);
        assert_eq!(cmds[0].requirements.len(), 1);
        let cmds = parse("%pip install -r requirements.txt --index-url https://download.pytorch.org/whl/cu121 torch");
        assert_eq!(cmds[0].requirement_files[0].0, "requirements.txt");
        assert_eq!(
            cmds[0].index_url.as_deref(),
            Some("https://download.pytorch.org/whl/cu121")
        );
        assert_eq!(cmds[0].requirements[0].name(), Some("torch"));
    }

    #[test]
    fn continuation_lines_comments_and_other_commands() {
        let text = "!uv pip install -qqq \\\n    peft==0.12.0 trl # pinned\n";
        let cmds = parse(text);
        assert_eq!(cmds[0].requirements.len(), 2);
        assert!(parse("!ls -la && nvidia-smi").is_empty());
        assert!(parse("!pip show peft").is_empty());
        let cmds = parse("!pip install unsloth 2>&1 > /dev/null");
        assert_eq!(cmds[0].requirements.len(), 1);
    }
}
