//! Embeds the knowledge base into the binary: every advisory under `advisories/`, the
//! compatibility tables under `advisories/tables/` and the release index under
//! `advisories/releases/`, so that adding an advisory or a table is adding one file.

use std::fmt::Write;
use std::path::Path;

fn main() {
    // Read at run time, not with `env!`: a build script compiled in another checkout of the
    // same sources can be reused from a shared target directory, and must look in this one.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join("../advisories");
    embed(&root, "md", "embedded_advisories.rs");
    embed_runtime(&root, "embedded_advisories_runtime.rs");
    embed(&root.join("tables"), "toml", "embedded_tables.rs");
    embed(&root.join("releases"), "toml", "embedded_releases.rs");
}

/// Writes `OUT_DIR/out_name` like [`embed`], but of each advisory's front matter without its
/// `[[examples]]` and `[[provenance]]` tables (a check needs neither, and they are most of the
/// text the process would otherwise parse at every start), converted to JSON: one line of the
/// front matter as JSON, then the body. JSON parses several times faster than TOML, and the
/// knowledge base is parsed at every start. A file that is not valid TOML is embedded as it is,
/// so that the test suite reports it with its line.
fn embed_runtime(dir: &Path, out_name: &str) {
    let out_dir = std::env::var("OUT_DIR").unwrap();
    let stripped_dir = Path::new(&out_dir).join("advisories-runtime");
    std::fs::create_dir_all(&stripped_dir).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "md")
                && p.file_name().is_some_and(|n| n != "README.md")
        })
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(f).unwrap();
        let target = stripped_dir.join(&name);
        let stripped = strip_examples_and_provenance(&text);
        std::fs::write(&target, runtime_form(&stripped).unwrap_or(stripped)).unwrap();
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            target.display().to_string()
        )
        .unwrap();
    }
    out.push(']');
    std::fs::write(Path::new(&out_dir).join(out_name), out).unwrap();
}

/// The front matter as one line of JSON, then the body; None when it is not valid TOML.
fn runtime_form(text: &str) -> Option<String> {
    let rest = text.strip_prefix("```toml\n")?;
    let end = rest
        .find("\n```\n")
        .or_else(|| rest.strip_suffix("\n```").map(str::len))?;
    let front: toml::Table = toml::from_str(&rest[..end]).ok()?;
    let json = serde_json::to_string(&front).ok()?;
    Some(format!("{json}\n{}", &rest[end..]))
}

/// Drops the `[[examples]]` (with their `[[examples.cells]]`) and `[[provenance]]` tables of an
/// advisory's front matter. A table ends at the next table header outside a multi-line string.
fn strip_examples_and_provenance(text: &str) -> String {
    let Some(end) = text.find("\n```\n") else {
        return text.to_string();
    };
    let (front, rest) = text.split_at(end);
    let mut out = String::with_capacity(text.len());
    let mut skipping = false;
    let mut in_string: Option<&str> = None;
    for line in front.split_inclusive('\n') {
        if in_string.is_none() && line.starts_with('[') {
            let header = line.trim();
            skipping = matches!(
                header,
                "[[examples]]" | "[[examples.cells]]" | "[[provenance]]"
            );
        }
        for quote in ["\"\"\"", "\'\'\'"] {
            if line.matches(quote).count() % 2 == 1 {
                in_string = match in_string {
                    Some(q) if q == quote => None,
                    None => Some(quote),
                    other => other,
                };
            }
        }
        if !skipping {
            out.push_str(line);
        }
    }
    out.push_str(rest);
    out
}

/// Writes `OUT_DIR/out_name`: a slice of (file name, `include_str!` of the file) for every file
/// with extension `ext` directly in `dir` (a README excepted), sorted by name.
fn embed(dir: &Path, ext: &str, out_name: &str) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == ext)
                && p.file_name().is_some_and(|n| n != "README.md")
        })
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().unwrap().to_string_lossy();
        let abs = f.canonicalize().unwrap();
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .unwrap();
    }
    out.push(']');
    let out_dir = std::env::var("OUT_DIR").unwrap();
    std::fs::write(Path::new(&out_dir).join(out_name), out).unwrap();
}
