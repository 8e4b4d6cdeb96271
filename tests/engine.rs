//! The rule engine as users drive it: gatelint.toml, --select/--ignore,
//! inline suppressions, `gatelint rules` and `gatelint explain`.

mod common;

use common::{findings_of, gatelint, write};

const SLOW: &str = "server {\n    listen 80;\n    location / {\n        proxy_read_timeout 5s;\n        proxy_pass http://127.0.0.1:8080;\n    }\n}\n";

fn rules_of(run: &common::Run) -> Vec<String> {
    findings_of(run)
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn config_file_is_found_walking_up_and_applies() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "deploy/nginx/conf.d/app.conf", SLOW);
    assert_eq!(
        rules_of(&gatelint(dir.path(), &["--format", "json", "deploy"])),
        vec!["read-timeout-too-low"]
    );
    // A stricter minimum makes it an error...
    write(
        dir.path(),
        "gatelint.toml",
        "[rules.read-timeout-too-low]\nmin = \"30s\"\nerror-below = \"10s\"\n",
    );
    let run = gatelint(dir.path(), &["--format", "json", "deploy/nginx"]);
    let findings = findings_of(&run);
    assert_eq!(findings[0]["severity"], "error");
    assert_eq!(
        findings[0]["message"],
        "`proxy_read_timeout 5s` is below 30s"
    );
    // ...a looser one silences it, and "off" turns the rule off.
    write(
        dir.path(),
        "gatelint.toml",
        "[rules.read-timeout-too-low]\nmin = \"2s\"\n",
    );
    assert_eq!(gatelint(dir.path(), &["deploy"]).code, 0);
    write(
        dir.path(),
        "gatelint.toml",
        "[rules]\nread-timeout-too-low = \"off\"\n",
    );
    assert_eq!(gatelint(dir.path(), &["deploy"]).code, 0);
    // A severity override.
    write(
        dir.path(),
        "gatelint.toml",
        "[rules]\nread-timeout-too-low = \"info\"\n",
    );
    assert_eq!(gatelint(dir.path(), &["deploy"]).code, 0);
    assert_eq!(
        gatelint(dir.path(), &["--fail-on", "info", "deploy"]).code,
        1
    );
    // --config names another file.
    write(
        dir.path(),
        "strict.toml",
        "[rules.read-timeout-too-low]\nseverity = \"error\"\n",
    );
    let run = gatelint(
        dir.path(),
        &["--format", "json", "--config", "strict.toml", "deploy"],
    );
    assert_eq!(findings_of(&run)[0]["severity"], "error");
}

#[test]
fn config_maps_and_prefix_are_relative_to_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "deploy/nginx/nginx.conf",
        "http {\n    include /etc/nginx/conf.d/*.conf;\n}\n",
    );
    write(dir.path(), "deploy/nginx/conf.d/app.conf", SLOW);
    write(
        dir.path(),
        "gatelint.toml",
        "[map]\n\"/etc/nginx\" = \"deploy/nginx\"\n",
    );
    let run = gatelint(
        &dir.path().join("deploy"),
        &["--format", "json", "nginx/nginx.conf"],
    );
    assert_eq!(
        rules_of(&run),
        vec!["read-timeout-too-low"],
        "{}",
        run.stdout
    );
}

#[test]
fn config_errors_stop_with_exit_2_and_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.conf", SLOW);
    write(
        dir.path(),
        "gatelint.toml",
        "[rules]\nread-timeout-to-low = \"off\"\n",
    );
    let run = gatelint(dir.path(), &["app.conf"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("gatelint.toml:2: unknown rule `read-timeout-to-low`; did you mean `read-timeout-too-low`?"),
        "{}",
        run.stderr
    );
    write(dir.path(), "gatelint.toml", "nginx-version = \"one\"\n");
    assert_eq!(gatelint(dir.path(), &["app.conf"]).code, 2);
}

#[test]
fn select_ignore_and_version_flags() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.conf", SLOW);
    assert_eq!(
        gatelint(
            dir.path(),
            &["--ignore", "read-timeout-too-low", "app.conf"]
        )
        .code,
        0
    );
    assert_eq!(
        gatelint(
            dir.path(),
            &["--select", "proxy-loop,scheme-port-mismatch", "app.conf"]
        )
        .code,
        0
    );
    assert_eq!(
        gatelint(
            dir.path(),
            &["--select", "read-timeout-too-low", "app.conf"]
        )
        .code,
        1
    );
    let run = gatelint(dir.path(), &["--select", "proxy-lop", "app.conf"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean `proxy-loop`?"),
        "{}",
        run.stderr
    );
    assert_eq!(
        gatelint(dir.path(), &["--nginx-version", "1.26", "app.conf"]).code,
        1
    );
    assert_eq!(
        gatelint(dir.path(), &["--nginx-version", "new", "app.conf"]).code,
        2
    );
}

#[test]
fn suppressions_before_a_directive_and_at_the_end_of_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let before = "server {\n    listen 80;\n    # gatelint: disable=read-timeout-too-low -- the report endpoint is capped at 5s by design\n    location / {\n        proxy_read_timeout 5s;\n        proxy_pass http://127.0.0.1:8080;\n    }\n}\n";
    write(dir.path(), "before.conf", before);
    assert_eq!(
        gatelint(dir.path(), &["before.conf"]).code,
        0,
        "covers the directive and its block"
    );
    let trailing = SLOW.replace(
        "proxy_read_timeout 5s;",
        "proxy_read_timeout 5s; # gatelint: disable=read-timeout-too-low -- health checks only",
    );
    write(dir.path(), "trailing.conf", &trailing);
    assert_eq!(gatelint(dir.path(), &["trailing.conf"]).code, 0);
    let file = format!("# gatelint: disable-file=read-timeout-too-low -- a test fixture\n{SLOW}");
    write(dir.path(), "file.conf", &file);
    assert_eq!(gatelint(dir.path(), &["file.conf"]).code, 0);
    // It does not reach other directives.
    let elsewhere = "# gatelint: disable=read-timeout-too-low -- not this one\nupstream spare { server 10.0.0.9:8080; }\n".to_string() + SLOW;
    write(dir.path(), "elsewhere.conf", &elsewhere);
    let rules = rules_of(&gatelint(
        dir.path(),
        &["--format", "json", "elsewhere.conf"],
    ));
    assert_eq!(
        rules,
        vec!["unused-suppression", "read-timeout-too-low"],
        "sorted by position"
    );
}

#[test]
fn bad_suppressions_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let no_reason = SLOW.replace(
        "proxy_read_timeout 5s;",
        "proxy_read_timeout 5s; # gatelint: disable=read-timeout-too-low",
    );
    write(dir.path(), "no_reason.conf", &no_reason);
    let run = gatelint(dir.path(), &["--format", "json", "no_reason.conf"]);
    let findings = findings_of(&run);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["message"], "this suppression gives no reason");
    let unknown = SLOW.replace(
        "proxy_read_timeout 5s;",
        "proxy_read_timeout 5s; # gatelint: disable=read-timeout-to-low -- typo",
    );
    write(dir.path(), "unknown.conf", &unknown);
    let run = gatelint(dir.path(), &["--format", "json", "unknown.conf"]);
    let unknown = findings_of(&run)
        .into_iter()
        .find(|f| f["rule"] == "invalid-suppression")
        .unwrap();
    assert_eq!(
        unknown["message"],
        "`read-timeout-to-low` is not a gatelint rule"
    );
    assert_eq!(unknown["help"], "did you mean `read-timeout-too-low`?");
    let garbled = "# gatelint: enable=everything\nevents {}\n";
    write(dir.path(), "garbled.conf", garbled);
    assert_eq!(
        rules_of(&gatelint(dir.path(), &["--format", "json", "garbled.conf"])),
        vec!["invalid-suppression"]
    );
}

#[test]
fn rules_lists_the_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let run = gatelint(dir.path(), &["rules"]);
    assert_eq!(run.code, 0);
    for rule in gatelint::rules::RULES {
        assert!(run.stdout.contains(rule.name), "{} missing", rule.name);
    }
    assert!(run.stdout.contains("option min = \"10s\""));
    let json = gatelint(dir.path(), &["rules", "--format", "json"]).json();
    let rows = json.as_array().unwrap();
    let timeout = rows
        .iter()
        .find(|r| r["name"] == "read-timeout-too-low")
        .unwrap();
    assert_eq!(timeout["severity"], "warning");
    assert_eq!(timeout["options"][0]["name"], "min");
    assert_eq!(timeout["dialects"], serde_json::json!(["nginx", "apache"]));
    let engine = rows
        .iter()
        .find(|r| r["name"] == "ssl-proxy-engine-off")
        .unwrap();
    assert_eq!(engine["dialects"], serde_json::json!(["apache"]));
    assert!(
        rows.iter()
            .any(|r| r["name"] == "syntax-error" && r["kind"] == "check")
    );
}

#[test]
fn explain_shows_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let run = gatelint(dir.path(), &["explain", "proxy-loop"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("PROXY-LOOP\n"), "{}", run.stdout);
    assert!(run.stdout.contains("Why this causes 502"));
    assert!(run.stdout.contains("✗ reported:"));
    assert!(run.stdout.contains("    server {"));
    assert!(!run.stdout.contains("```"));
    let run = gatelint(dir.path(), &["explain", "proxy-lop"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("did you mean `proxy-loop`?"));
    assert_eq!(gatelint(dir.path(), &["explain", "syntax-error"]).code, 0);
}

#[test]
fn every_rule_threshold_is_settable() {
    let dir = tempfile::tempdir().unwrap();
    let remote = "server {\n    listen 80;\n    location / {\n        proxy_connect_timeout 2s;\n        proxy_buffer_size 2k;\n        proxy_pass http://10.0.1.10:8080;\n    }\n}\n";
    write(dir.path(), "app.conf", remote);
    // Defaults: 2s is fine (min 1s), 2k is below 4k.
    assert_eq!(
        rules_of(&gatelint(dir.path(), &["--format", "json", "app.conf"])),
        vec!["header-buffer-too-small"]
    );
    write(
        dir.path(),
        "gatelint.toml",
        "[rules.connect-timeout-out-of-range]\nmin = \"3s\"\n[rules.header-buffer-too-small]\nmin = \"1k\"\n",
    );
    assert_eq!(
        rules_of(&gatelint(dir.path(), &["--format", "json", "app.conf"])),
        vec!["connect-timeout-out-of-range"]
    );
    write(
        dir.path(),
        "gatelint.toml",
        "[rules.connect-timeout-out-of-range]\nmax = \"1s\"\n[rules.header-buffer-too-small]\nmin = \"1k\"\n",
    );
    let run = gatelint(dir.path(), &["--format", "json", "app.conf"]);
    assert_eq!(
        findings_of(&run)[0]["severity"],
        "info",
        "above max is info"
    );
}

#[test]
fn backend_idle_timeouts_come_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let pool = "upstream api {\n    server 10.0.1.10:8080;\n    keepalive 16;\n}\nserver {\n    listen 80;\n    location / {\n        proxy_pass http://api;\n    }\n}\n";
    write(dir.path(), "app.conf", pool);
    let only = [
        "--format",
        "json",
        "--select",
        "keepalive-outlives-backend",
        "app.conf",
    ];
    // Unknown: a note naming the usual culprits.
    let run = gatelint(dir.path(), &only);
    assert_eq!(findings_of(&run)[0]["severity"], "info");
    // A Node.js backend closes idle connections after 5s: nginx's 60s outlives it.
    write(
        dir.path(),
        "gatelint.toml",
        "[backends.api]\nidle-timeout = \"5s\"\n",
    );
    let run = gatelint(dir.path(), &only);
    let finding = &findings_of(&run)[0];
    assert_eq!(finding["severity"], "warning");
    assert_eq!(
        finding["message"],
        "upstream `api` keeps idle connections 1m, but its backend closes them after 5s"
    );
    // A backend that waits longer is fine.
    write(
        dir.path(),
        "gatelint.toml",
        "[backends.api]\nidle-timeout = \"2m\"\n",
    );
    assert!(findings_of(&gatelint(dir.path(), &only)).is_empty());
    write(
        dir.path(),
        "gatelint.toml",
        "[backends.api]\nidle-timout = \"2m\"\n",
    );
    let run = gatelint(dir.path(), &only);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean `idle-timeout`?"),
        "{}",
        run.stderr
    );
}
