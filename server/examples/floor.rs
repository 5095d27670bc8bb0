//! The floor for `tunelint check`: walk the same files the same way, read them and parse the
//! notebooks' JSON, and do nothing else. tunelint cannot be faster than this.
//! `cargo build --release --example floor && target/release/examples/floor ../shared/corpus`

use rayon::prelude::*;

/// The same allocator as the tunelint binary, so that the ratio measures work, not allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;

fn main() {
    let roots: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let mut files = Vec::new();
    for root in &roots {
        for entry in ignore::WalkBuilder::new(root)
            .build()
            .filter_map(Result::ok)
        {
            let p = entry.path();
            let checkable = p.extension().is_some_and(|e| e == "ipynb" || e == "py");
            if entry.file_type().is_some_and(|t| t.is_file()) && checkable {
                files.push(p.to_path_buf());
            }
        }
    }
    let parsed: usize = files
        .par_iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap_or_default();
            if p.extension().is_some_and(|e| e == "ipynb") {
                usize::from(serde_json::from_slice::<serde_json::Value>(&bytes).is_ok())
            } else {
                usize::from(std::str::from_utf8(&bytes).is_ok())
            }
        })
        .sum();
    println!("{parsed} of {} files read", files.len());
}
