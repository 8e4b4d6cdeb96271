//! `gatelint parse --format crossplane` equals real crossplane 0.5.8 (in
//! syntax mode) on the tricky fixtures and on the example tree with its
//! includes. Expected outputs: tests/crossplane/expected/, made by
//! tests/crossplane/regen.py.

use std::path::Path;
use std::process::Command;

fn gatelint_crossplane(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_gatelint"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["parse", "--format", "crossplane"])
        .args(args)
        .output()
        .expect("gatelint runs");
    assert!(
        out.status.success(),
        "gatelint failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("gatelint prints JSON")
}

fn expected(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/crossplane/expected")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("expected output")).unwrap()
}

fn assert_same(name: &str, ours: serde_json::Value, theirs: serde_json::Value) {
    if ours != theirs {
        panic!(
            "{name}: gatelint differs from crossplane\n--- crossplane\n{}\n--- gatelint\n{}",
            serde_json::to_string_pretty(&theirs).unwrap(),
            serde_json::to_string_pretty(&ours).unwrap()
        );
    }
}

#[test]
fn tricky_fixtures_match_crossplane() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tricky");
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.extension().is_none_or(|e| e != "conf")
            || name == "nginx_tokens"
            || name == "lua_long_strings"
        {
            continue;
        }
        let rel = format!("tests/fixtures/tricky/{name}.conf");
        let ours = gatelint_crossplane(&["--single-file", "--include-comments", &rel]);
        assert_same(&rel, ours, expected(&format!("{name}.json")));
        compared += 1;
    }
    assert!(compared >= 9, "only {compared} fixtures compared");
}

#[test]
fn example_tree_with_includes_matches_crossplane() {
    let ours = gatelint_crossplane(&["examples/nginx/nginx.conf"]);
    assert_same("examples/nginx", ours, expected("examples-nginx.json"));
    let ours = gatelint_crossplane(&["--include-comments", "examples/nginx/nginx.conf"]);
    assert_same(
        "examples/nginx (comments)",
        ours,
        expected("examples-nginx-comments.json"),
    );
}
