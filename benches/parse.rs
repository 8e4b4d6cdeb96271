//! Parse throughput, one core: the pest grammar alone, then the full parse
//! (grammar and lowering into the tree), over every `.conf` file under a
//! directory. Shows how much of `gatelint lint`'s time the grammar is.
//!
//!   cargo bench --bench parse -- DIR [ROUNDS]

use std::path::{Path, PathBuf};
use std::time::Instant;

use gatelint::source::FileId;
use gatelint::syntax::nginx;

fn conf_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            conf_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "conf") {
            out.push(path);
        }
    }
}

fn best_of(rounds: usize, mut run: impl FnMut() -> usize) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut count = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        count = run();
        best = best.min(started.elapsed().as_secs_f64());
    }
    (best, count)
}

fn main() {
    // `cargo bench` passes `--bench`; the directory is the first other argument.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: cargo bench --bench parse -- DIR [ROUNDS]");
        std::process::exit(2);
    };
    let rounds = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(3);
    let mut paths = Vec::new();
    conf_files(Path::new(dir), &mut paths);
    let texts: Vec<String> = paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mb = bytes as f64 / 1e6;
    println!(
        "{} files, {mb:.1} MB, best of {rounds} rounds, one core",
        texts.len()
    );
    let (grammar, pairs) = best_of(rounds, || {
        texts.iter().map(|t| nginx::grammar_only(t)).sum()
    });
    println!(
        "pest grammar only   {grammar:7.3} s  {:7.1} MB/s  ({pairs} pairs)",
        mb / grammar
    );
    let (full, nodes) = best_of(rounds, || {
        texts
            .iter()
            .map(|t| nginx::parse(FileId(0), t).nodes.len())
            .sum()
    });
    println!(
        "grammar + lowering  {full:7.3} s  {:7.1} MB/s  ({nodes} nodes)",
        mb / full
    );
}
