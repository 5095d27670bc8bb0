//! Requirements as written anywhere (install lines, requirements files, pyproject entries):
//! a PEP 503 name and what the text says about its version.

use pep440_rs::{Version, VersionSpecifiers};
use std::str::FromStr;

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !last_sep {
                out.push('-');
            }
            last_sep = true;
        } else {
            out.push(c.to_ascii_lowercase());
            last_sep = false;
        }
    }
    out
}

/// The distribution that provides a module, by its full path: `google.protobuf` is protobuf's
/// and `google.colab` google-colab's, while a namespace that many distributions share
/// (`google`, `google.cloud`, `nvidia`, `jax_plugins`, `mpl_toolkits`) ties the import to none:
/// `None`. Otherwise the known distribution of its top-level name, or that name normalised.
pub fn distribution_for_module(module: &str) -> Option<String> {
    // The longest matching module prefix wins; an empty distribution marks a shared namespace.
    const BY_PATH: &[(&str, &str)] = &[
        ("google", ""),
        ("google.protobuf", "protobuf"),
        ("google.colab", "google-colab"),
        ("google.cloud", ""),
        ("google.generativeai", "google-generativeai"),
        ("google.genai", "google-genai"),
        ("google.auth", "google-auth"),
        ("google.api_core", "google-api-core"),
        ("nvidia", ""),
        ("jax_plugins", ""),
        ("mpl_toolkits", ""),
        ("PIL", "pillow"),
        ("sklearn", "scikit-learn"),
        ("cv2", "opencv-python"),
        ("yaml", "pyyaml"),
        ("flash_attn", "flash-attn"),
        ("huggingface_hub", "huggingface-hub"),
        ("cut_cross_entropy", "cut-cross-entropy"),
    ];
    let covers = |prefix: &str| {
        module == prefix
            || module
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('.'))
    };
    match BY_PATH
        .iter()
        .filter(|(p, _)| covers(p))
        .max_by_key(|(p, _)| p.len())
    {
        Some((_, "")) => None,
        Some((_, d)) => Some(d.to_string()),
        None => Some(normalize_name(module.split('.').next().unwrap_or(module))),
    }
}

/// What a requirement says about the version it will install.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequirementSpec {
    /// A bare name: the latest release on the day it runs.
    Unpinned,
    /// One or more PEP 440 specifiers.
    Specifiers(VersionSpecifiers),
    /// A direct URL: `name @ git+https://...@ref`, or a wheel URL.
    Url {
        url: String,
        git_ref: Option<String>,
    },
    /// The text is computed at run time (`{xformers}`, `$wheels`): never guessed.
    Interpolated,
}

impl RequirementSpec {
    /// The single version an `==` pin (without wildcards) names.
    pub fn exact_version(&self) -> Option<Version> {
        let RequirementSpec::Specifiers(specs) = self else {
            return None;
        };
        let mut iter = specs.iter();
        let spec = iter.next()?;
        if iter.next().is_some() {
            return None;
        }
        match spec.operator() {
            pep440_rs::Operator::Equal | pep440_rs::Operator::ExactEqual => {
                Some(spec.version().clone())
            }
            _ => None,
        }
    }

    /// Whether a version could be installed under this requirement. Unknown specs allow anything.
    pub fn allows(&self, version: &Version) -> bool {
        match self {
            RequirementSpec::Specifiers(specs) => specs.contains(version),
            _ => true,
        }
    }

    pub fn is_git(&self) -> bool {
        matches!(self, RequirementSpec::Url { url, .. } if url.starts_with("git+"))
    }
}

/// A parsed requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// Normalised name.
    pub name: String,
    pub extras: Vec<String>,
    pub spec: RequirementSpec,
    pub marker: Option<String>,
}

/// Parses one PEP 508 requirement (`peft<0.12`, `unsloth[colab-new] @ git+https://...`,
/// `numpy; python_version < "3.12"`), and the bare URL forms pip also accepts.
pub fn parse_requirement(text: &str) -> Result<Requirement, String> {
    let text = text.trim();
    if text.contains('{') || text.contains('$') {
        let name: String = text
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        return Ok(Requirement {
            name: normalize_name(&name),
            extras: vec![],
            spec: RequirementSpec::Interpolated,
            marker: None,
        });
    }
    if let Some(req) = bare_url_requirement(text) {
        return Ok(req);
    }
    // pep508_rs panics (0.9.2) on a name that its parser accepts but its name type rejects, such
    // as `peft- x`; such names are refused here first.
    let name: &str = &text[..text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(text.len())];
    if name.is_empty()
        || !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err(format!(
            "`{name}` is not a package name: it must start and end with a letter or digit"
        ));
    }
    if let Some(extras) = text[name.len()..].trim_start().strip_prefix('[') {
        // pep508_rs reads extras as runs of name characters; each run must be a valid name.
        let inside = extras.split(']').next().unwrap_or("");
        let is_name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        for extra in inside
            .split(|c: char| !is_name_char(c))
            .filter(|e| !e.is_empty())
        {
            if !extra.starts_with(|c: char| c.is_ascii_alphanumeric())
                || !extra.ends_with(|c: char| c.is_ascii_alphanumeric())
            {
                return Err(format!(
                    "`{extra}` is not an extra name: it must start and end with a letter or digit"
                ));
            }
        }
    }
    // pep508_rs 0.9.2 measures the word after a marker expression in characters and slices it in
    // bytes, which panics on non-ASCII text there. Markers are ASCII names, operators and short
    // quoted values, so a marker with any non-ASCII character is refused before it gets there.
    if let Some(marker) = marker_text(text).filter(|m| !m.is_ascii()) {
        return Err(format!(
            "the environment marker `{}` has non-ASCII characters",
            marker.trim()
        ));
    }
    // A panic inside pep508_rs on input its parser accepts and its name types reject is a
    // library bug; it becomes an error here instead of ending the run.
    // The error's own Display slices its input at byte offsets and can panic too (on a BOM,
    // say), so only the message part is formatted, and inside the guard.
    let parsed = std::panic::catch_unwind(|| {
        pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(text)
            .map_err(|e| first_line(&e.message.to_string()))
    })
    .map_err(|_| format!("cannot read requirement `{text}`"))??;
    let name = parsed.name.to_string();
    let extras = parsed.extras.iter().map(|e| e.to_string()).collect();
    let marker = parsed.marker.contents().map(|m| m.to_string());
    let spec = match parsed.version_or_url {
        None => RequirementSpec::Unpinned,
        Some(pep508_rs::VersionOrUrl::VersionSpecifier(specs)) => {
            if specs.iter().next().is_none() {
                RequirementSpec::Unpinned
            } else {
                RequirementSpec::Specifiers(specs)
            }
        }
        Some(pep508_rs::VersionOrUrl::Url(url)) => {
            let raw = url
                .given()
                .map(str::to_string)
                .unwrap_or_else(|| url.to_string());
            url_spec(&raw)
        }
    };
    Ok(Requirement {
        name: normalize_name(&name),
        extras,
        spec,
        marker,
    })
}

/// The environment marker of a requirement: what follows its `;`. After a URL (`name @ url`)
/// only a `;` preceded by whitespace starts the marker, as a URL may contain `;` itself.
fn marker_text(text: &str) -> Option<&str> {
    let after_name = text
        .trim_start_matches(|c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let after_extras = match after_name.trim_start().strip_prefix('[') {
        Some(extras) => extras.split_once(']').map_or("", |(_, rest)| rest),
        None => after_name,
    };
    let is_url = after_extras.trim_start().starts_with('@');
    text.char_indices()
        .filter(|&(_, c)| c == ';')
        .find(|&(i, _)| !is_url || text[..i].ends_with(char::is_whitespace))
        .map(|(i, _)| &text[i + 1..])
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).to_string()
}

/// `git+https://github.com/unslothai/unsloth.git@main#egg=unsloth` and wheel URLs without a
/// `name @` prefix. The name comes from `#egg=`, the wheel file name, or the repository.
fn bare_url_requirement(text: &str) -> Option<Requirement> {
    let lower = text.to_ascii_lowercase();
    let is_url = ["git+", "http://", "https://", "file:"]
        .iter()
        .any(|p| lower.starts_with(p));
    if !is_url {
        return None;
    }
    let (without_fragment, fragment) = text.split_once('#').unwrap_or((text, ""));
    let egg = fragment.split('&').find_map(|kv| kv.strip_prefix("egg="));
    let name = if let Some(egg) = egg {
        egg.split('[').next().unwrap_or(egg).to_string()
    } else if lower.contains(".whl") {
        let file = without_fragment.rsplit('/').next().unwrap_or("");
        let name = file.split('-').next().unwrap_or("").to_string();
        let version = file.split('-').nth(1).unwrap_or("");
        if let Ok(v) = Version::from_str(&percent_decode(version)) {
            return Some(Requirement {
                name: normalize_name(&name),
                extras: vec![],
                spec: RequirementSpec::Specifiers(
                    VersionSpecifiers::from_str(&format!("=={v}")).ok()?,
                ),
                marker: None,
            });
        }
        name
    } else {
        let path = without_fragment
            .split('@')
            .next()
            .unwrap_or(without_fragment);
        let path = if without_fragment.matches('@').count() > 1 || !without_fragment.contains("://")
        {
            path
        } else {
            // `git+https://host/owner/repo.git@ref`: the `@` after the path is the ref.
            without_fragment
                .rsplit_once('@')
                .map(|(a, _)| a)
                .filter(|a| a.contains("://"))
                .unwrap_or(without_fragment)
        };
        path.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".git")
            .to_string()
    };
    Some(Requirement {
        name: normalize_name(&name),
        extras: vec![],
        spec: url_spec(text),
        marker: None,
    })
}

fn percent_decode(s: &str) -> String {
    s.replace("%2B", "+").replace("%2b", "+")
}

/// Splits a git URL's `@ref` off, if it has one after the repository path.
fn url_spec(url: &str) -> RequirementSpec {
    let without_fragment = url.split('#').next().unwrap_or(url);
    let git_ref = if without_fragment.starts_with("git+") {
        let after_scheme = without_fragment
            .split_once("://")
            .map_or(without_fragment, |(_, rest)| rest);
        // `user@host` can only come before the first `/`; a ref comes after the path.
        let path = after_scheme.split_once('/').map_or("", |(_, p)| p);
        path.rsplit_once('@').map(|(_, r)| r.to_string())
    } else {
        None
    };
    RequirementSpec::Url {
        url: url.to_string(),
        git_ref,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn modules_map_to_distributions_by_their_full_path() {
        let d = |m: &str| distribution_for_module(m);
        assert_eq!(d("google.protobuf.message").as_deref(), Some("protobuf"));
        assert_eq!(d("google.colab").as_deref(), Some("google-colab"));
        assert_eq!(d("google"), None, "a namespace ties nothing");
        assert_eq!(d("google.cloud.storage"), None);
        assert_eq!(d("nvidia.cudnn"), None);
        assert_eq!(d("PIL.Image").as_deref(), Some("pillow"));
        assert_eq!(d("unsloth_zoo.loss_utils").as_deref(), Some("unsloth-zoo"));
    }

    use super::*;

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalize_name("Unsloth_Zoo"), "unsloth-zoo");
        assert_eq!(normalize_name("huggingface.hub"), "huggingface-hub");
    }

    #[test]
    fn markers_with_non_ascii_text_are_refused_and_urls_keep_their_semicolons() {
        let err = parse_requirement("peft>=0.11 ; python_version>\"3\"\u{6db}\u{6db}").unwrap_err();
        assert!(err.contains("non-ASCII"), "{err}");
        let r = parse_requirement(
            "peft @ https://example.com/a;b/peft-0.11.1-py3-none-any.whl ; python_version > \"3\"",
        )
        .unwrap();
        assert_eq!(r.marker.as_deref(), Some("python_full_version >= '3.1'"));
        assert!(marker_text("x @ https://h/\u{e9};v").is_none());
    }

    #[test]
    fn the_forms_notebooks_use() {
        let r = parse_requirement("peft<0.12").unwrap();
        assert_eq!(r.name, "peft");
        assert!(matches!(r.spec, RequirementSpec::Specifiers(_)));
        assert!(!r.spec.allows(&Version::from_str("0.12.0").unwrap()));
        let r =
            parse_requirement("unsloth[colab-new] @ git+https://github.com/unslothai/unsloth.git")
                .unwrap();
        assert_eq!(r.extras, vec!["colab-new".to_string()]);
        assert!(r.spec.is_git());
        let r =
            parse_requirement("git+https://github.com/unslothai/unsloth.git@f20bc23e84").unwrap();
        assert_eq!(r.name, "unsloth");
        assert_eq!(
            r.spec,
            RequirementSpec::Url {
                url: "git+https://github.com/unslothai/unsloth.git@f20bc23e84".into(),
                git_ref: Some("f20bc23e84".into())
            }
        );
        assert_eq!(
            parse_requirement("trl==0.22.2")
                .unwrap()
                .spec
                .exact_version(),
            Some(Version::from_str("0.22.2").unwrap())
        );
        assert_eq!(
            parse_requirement("{xformers}").unwrap().spec,
            RequirementSpec::Interpolated
        );
        let r =
            parse_requirement("https://x/vllm-0.8.2%2Bcu124-cp312-cp312-win_amd64.whl").unwrap();
        assert_eq!(r.name, "vllm");
        assert_eq!(r.spec.exact_version().unwrap().to_string(), "0.8.2+cu124");
        assert!(parse_requirement("numpy; python_version < \"3.12\"")
            .unwrap()
            .marker
            .is_some());
        assert!(parse_requirement("!!!").is_err());
        // Found by fuzzing: pep508_rs 0.9.2 panics on these instead of returning an error.
        assert!(parse_requirement("xformep- dones").is_err());
        assert!(parse_requirement("peft. ==1").is_err());
        assert!(parse_requirement("unsloth[amd_").is_err());
        assert!(parse_requirement("unsloth[amd_, x]").is_err());
        assert!(parse_requirement("unsloth_zoo[am-nocped- \"x]").is_err());
    }
}
