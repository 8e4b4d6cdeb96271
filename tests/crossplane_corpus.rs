//! `gatelint parse --format crossplane` against real crossplane 0.5.8, on
//! every nginx file of the corpus `../shared/corpus/build.sh` builds.
//! The expectations (tests/crossplane/corpus-expected.tsv) were made by
//! tests/crossplane/regen.py; each row holds the sha256 of crossplane's
//! canonical JSON for one file, compared here with gatelint's.
//!
//! Needs the corpus: `GATELINT_CORPUS=DIR` or /tmp/corpus. Without it the
//! test says it was skipped.

mod common;

use std::path::{Path, PathBuf};

use gatelint::crossplane::{CrossplaneOptions, escape_non_ascii, payload};
use gatelint::load::{Input, Options, Workspace};
use sha2::{Digest, Sha256};

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("GATELINT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/corpus"));
    dir.join("nginx").is_dir().then_some(dir)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Python's `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=True)`.
fn canonical(value: &serde_json::Value) -> String {
    escape_non_ascii(&serde_json::to_string(value).unwrap())
}

#[test]
fn crossplane_output_matches_on_the_corpus() {
    let Some(corpus) = corpus_dir() else {
        assert!(
            std::env::var_os("GATELINT_REQUIRE_CORPUS").is_none(),
            "GATELINT_REQUIRE_CORPUS is set but there is no corpus"
        );
        common::skipped(
            "crossplane_output_matches_on_the_corpus: no corpus at $GATELINT_CORPUS or /tmp/corpus \
             (build it with ../shared/corpus/build.sh)",
        );
        return;
    };
    let expected = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crossplane/corpus-expected.tsv"),
    )
    .expect("expectations file");
    // crossplane prints paths as given; so does gatelint. This is the only
    // test in this binary, so changing the directory races with nothing.
    let divergences = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crossplane/divergences.tsv"),
    )
    .expect("divergences file");
    let divergent: Vec<(&str, usize)> = divergences
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut cols = l.split('\t');
            (cols.next().unwrap(), cols.next().unwrap().parse().unwrap())
        })
        .collect();
    std::env::set_current_dir(&corpus).unwrap();
    let (mut compared, mut changed, mut mismatched) = (0, 0, Vec::new());
    for row in expected.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = row.split('\t').collect();
        let [path, input_sha, status, _kind, _line, payload_sha] = cols[..] else {
            panic!("bad row {row}");
        };
        let Ok(bytes) = std::fs::read(path) else {
            changed += 1;
            continue;
        };
        if hex(&Sha256::digest(&bytes)) != input_sha {
            changed += 1;
            continue;
        }
        if status != "ok" {
            continue;
        }
        let options = Options {
            split_dumps: false,
            dialect: Some(gatelint::syntax::Dialect::Nginx),
            ..Options::default()
        };
        let ws = Workspace::load(&[Input::Path(path.into())], options);
        if let Some(&(_, nginx_line)) = divergent.iter().find(|(p, _)| *p == path) {
            let first = ws.files[0]
                .tree
                .errors
                .first()
                .map(|e| ws.files[0].source.line_of(e.span.start as usize));
            assert_eq!(
                first,
                Some(nginx_line),
                "{path}: gatelint's first syntax error should be where nginx's is"
            );
            continue;
        }
        let Some(config) = ws.configs.first() else {
            mismatched.push(format!("{path}: gatelint loaded nothing"));
            continue;
        };
        let ours = payload(
            &ws,
            config,
            CrossplaneOptions {
                single_file: true,
                comments: true,
            },
        );
        let value = serde_json::to_value(&ours).unwrap();
        let ours_sha = hex(&Sha256::digest(canonical(&value).as_bytes()));
        compared += 1;
        if ours_sha != payload_sha {
            mismatched.push(path.to_string());
        }
    }
    eprintln!(
        "compared {compared} files with crossplane; {changed} changed since the expectations were made; {} differ",
        mismatched.len()
    );
    assert!(compared > 1000, "too few files compared: {compared}");
    assert!(
        mismatched.is_empty(),
        "gatelint differs from crossplane on {} files (diff one with `crossplane parse --single-file --include-comments F` \
         against `gatelint parse --format crossplane --single-file --include-comments F`):\n{}",
        mismatched.len(),
        mismatched.join("\n")
    );
}
