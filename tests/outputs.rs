//! Every output format on the same multi-file example (an error, a warning,
//! an info, a suppression, a finding in an included file), snapshotted; the
//! JSON and SARIF validated against their schemas; exit codes for every
//! --fail-on and --max-warnings.

mod common;

use std::path::{Path, PathBuf};

use common::{Run, gatelint};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/outputs")
}

fn run(args: &[&str]) -> Run {
    let mut all = vec!["lint", "."];
    all.extend_from_slice(args);
    gatelint(&fixture(), &all)
}

/// The fixture's absolute path differs between machines.
fn portable(text: &str) -> String {
    let root = std::fs::canonicalize(fixture()).unwrap();
    text.replace(&root.display().to_string(), "[ROOT]")
}

fn validator(schema: &Path) -> jsonschema::Validator {
    // The official SARIF schema has one ECMAScript-only regex (for `language`:
    // an unescaped `]`, a literal there) that Rust's regex syntax rejects;
    // escaping it keeps its meaning.
    let text = std::fs::read_to_string(schema)
        .unwrap()
        .replace(r#"{2}-[a-zA-Z]{2}]?$"#, r#"{2}-[a-zA-Z]{2}\\]?$"#);
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("a usable schema")
}

fn assert_valid(validator: &jsonschema::Validator, instance: &serde_json::Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn human() {
    let out = run(&["--color", "never"]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("human", out.stdout);
}

#[test]
fn json_matches_its_schema() {
    let out = run(&["--format", "json", "--show-suppressed"]);
    let json = out.json();
    let validator = validator(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/gatelint-report.schema.json"),
    );
    assert_valid(&validator, &json, "the JSON report");
    let mut broken = json.clone();
    broken["findings"][0]["severity"] = serde_json::json!("fatal");
    assert!(!validator.is_valid(&broken));
    assert_eq!(
        json["suppressed"][0]["reason"],
        "the load balancer's probe must fail fast"
    );
    assert_eq!(
        json["findings"][0]["include_chain"][0]["file"],
        "nginx.conf"
    );
    insta::assert_snapshot!("json", out.stdout);
    // Without the flag there is no `suppressed` key.
    assert!(
        run(&["--format", "json"])
            .json()
            .get("suppressed")
            .is_none()
    );
}

#[test]
fn sarif_matches_the_official_schema() {
    let out = run(&["--format", "sarif"]);
    let sarif = out.json();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/sarif-2.1.0.json");
    if schema.exists() {
        let validator = validator(&schema);
        assert_valid(&validator, &sarif, "the SARIF log");
        // The check can fail: a level SARIF does not know is caught.
        let mut broken = sarif.clone();
        broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
        assert!(!validator.is_valid(&broken));
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have ../shared/schemas/sarif-2.1.0.json"
        );
        common::skipped(
            "the SARIF schema check: ../shared/schemas/sarif-2.1.0.json is not beside the repository",
        );
    }
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    let suppressed = results
        .iter()
        .find(|r| r.get("suppressions").is_some())
        .unwrap();
    assert_eq!(
        suppressed["suppressions"][0]["justification"],
        "the load balancer's probe must fail fast"
    );
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "conf.d/shop.conf"
    );
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let timeout = rules
        .iter()
        .find(|r| r["id"] == "read-timeout-too-low")
        .unwrap();
    assert!(
        timeout["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## How to fix")
    );
    insta::assert_snapshot!("sarif", portable(&out.stdout));
}

#[test]
fn github_annotations() {
    let out = run(&["--format", "github"]);
    insta::assert_snapshot!("github", out.stdout);
}

#[test]
fn concise_lines() {
    let out = run(&["--format", "concise"]);
    insta::assert_snapshot!("concise", out.stdout);
}

#[test]
fn gitlab_code_quality() {
    let out = run(&["--format", "gitlab"]);
    let issues = out.json();
    assert_eq!(issues.as_array().unwrap().len(), 3);
    insta::assert_snapshot!("gitlab", out.stdout);
}

#[test]
fn exit_codes_for_every_threshold() {
    // The fixture has one error, one warning and one info.
    assert_eq!(run(&["--fail-on", "error"]).code, 1);
    assert_eq!(run(&["--fail-on", "warning"]).code, 1);
    assert_eq!(run(&["--fail-on", "info"]).code, 1);
    assert_eq!(run(&["--fail-on", "never"]).code, 0);
    assert_eq!(run(&["--fail-on", "never", "--max-warnings", "1"]).code, 0);
    assert_eq!(run(&["--fail-on", "never", "--max-warnings", "0"]).code, 1);
    assert_eq!(
        run(&["--ignore", "scheme-port-mismatch", "--fail-on", "error"]).code,
        0
    );
    assert_eq!(
        run(&[
            "--ignore",
            "scheme-port-mismatch,read-timeout-too-low",
            "--fail-on",
            "warning"
        ])
        .code,
        0
    );
    assert_eq!(
        run(&[
            "--ignore",
            "scheme-port-mismatch,read-timeout-too-low",
            "--fail-on",
            "info"
        ])
        .code,
        1
    );
}
