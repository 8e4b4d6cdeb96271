//! `gatelint diagnose` on error logs the real servers wrote: each failing
//! example of the proof harness left its configuration and error.log in
//! `tests/fixtures/logs/` (`GATELINT_CAPTURE_LOGS`), and every group found
//! there must map to the directive that sent the request. Then a large
//! mixed log with noise, gzip and standard input.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::{gatelint, gatelint_with_stdin};

fn fixtures() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs");
    let mut stems: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".log").map(String::from)
        })
        .collect();
    stems.sort();
    stems
}

/// Examples whose failure writes nothing to error.log: httpd ignores a
/// handler it cannot use and answers 404 from the file system.
const SILENT: &[&str] = &["apache-unix-socket-handler-incomplete-45"];

#[test]
fn every_captured_failure_maps_to_its_directive() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs");
    let mut summary = String::new();
    for stem in fixtures() {
        let dialect = stem.split('-').next().unwrap();
        let run = gatelint(
            &dir,
            &[
                "diagnose",
                &format!("{stem}.log"),
                "--config",
                &format!("{stem}.conf"),
                "--dialect",
                dialect,
                "--format",
                "json",
            ],
        );
        assert_eq!(
            run.code,
            u8::from(!SILENT.contains(&stem.as_str())) as i32,
            "{stem}: {}",
            run.stderr
        );
        let report = run.json();
        let groups = report["groups"].as_array().unwrap();
        if SILENT.contains(&stem.as_str()) {
            assert!(groups.is_empty(), "{stem}");
            continue;
        }
        assert!(!groups.is_empty(), "{stem}: no group found");
        for group in groups {
            let location = &group["location"];
            assert!(
                location.is_object(),
                "{stem}: {} at {} maps to no directive",
                group["cause"],
                group["target"]
            );
            assert_eq!(location["file"], format!("{stem}.conf"), "{stem}");
            writeln!(
                summary,
                "{stem}: {} x{} {} ({}) -> line {}: {}",
                group["cause"].as_str().unwrap(),
                group["count"],
                group["target"].as_str().unwrap(),
                group["status"],
                location["line"],
                location["directive"].as_str().unwrap()
            )
            .unwrap();
        }
    }
    insta::assert_snapshot!("captured_failures", summary);
}

/// A day of a busy gateway: access-log-like noise, notices, unrelated
/// warnings, and four causes at known counts, nginx and httpd mixed.
fn mixed_log() -> String {
    let mut log = String::new();
    for i in 0..3000 {
        let t = format!("2026/11/23 10:{:02}:{:02}", (i / 60) % 60, i % 60);
        match i % 10 {
            0 => writeln!(log, r#"{t} [error] 811#811: *{i} connect() failed (111: Connection refused) while connecting to upstream, client: 198.51.100.{}, server: shop.example.com, request: "GET /api/cart HTTP/1.1", upstream: "http://10.0.3.7:8080/api/cart", host: "shop.example.com""#, i % 250),
            1 if i % 30 == 1 => writeln!(log, r#"{t} [error] 811#811: *{i} upstream timed out (110: Connection timed out) while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, request: "GET /reports/daily HTTP/1.1", upstream: "http://10.0.3.9:9000/reports/daily", host: "shop.example.com""#),
            2 if i % 100 == 2 => writeln!(log, r#"{t} [crit] 812#812: *{i} connect() to unix:/run/php/php8.2-fpm.sock failed (2: No such file or directory) while connecting to upstream, client: 192.0.2.44, server: shop.example.com, request: "GET /index.php HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "shop.example.com""#),
            3 => writeln!(log, "{t} [notice] 1#1: signal 1 (SIGHUP) received from 4242, reconfiguring"),
            4 => writeln!(log, r#"{t} [warn] 811#811: *{i} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/1/00/0000000001 while reading upstream, client: 198.51.100.1, server: shop.example.com, request: "GET /big HTTP/1.1", upstream: "http://10.0.3.7:8080/big", host: "shop.example.com""#),
            5 => writeln!(log, r#"{t} [info] 811#811: *{i} client closed connection while waiting for request, client: 198.51.100.3, server: 0.0.0.0:443"#),
            6 => writeln!(log, "[Mon Nov 23 10:00:{:02}.000000 2026] [proxy:error] [pid 77:tid 78] (111)Connection refused: AH00957: http: attempt to connect to 10.0.4.2:3000 (billing.internal:3000) failed", i % 60),
            7 => writeln!(log, "[Mon Nov 23 10:00:{:02}.000000 2026] [proxy_http:error] [pid 77:tid 78] [client 203.0.113.4:5000] AH01114: HTTP: failed to make connection to backend: billing.internal", i % 60),
            8 => writeln!(log, "[Mon Nov 23 10:00:{:02}.000000 2026] [core:notice] [pid 1] AH00094: Command line: '/usr/sbin/apache2'", i % 60),
            _ => writeln!(log, "garbage line {i} \u{fffd} not a log format"),
        }
        .unwrap();
    }
    log
}

const MIXED_CONFIG_NGINX: &str = r#"http {
    upstream api {
        server 10.0.3.7:8080;
    }
    server {
        listen 80;
        server_name shop.example.com;
        location /api/ {
            proxy_pass http://api;
        }
        location /reports/ {
            proxy_read_timeout 5s;
            proxy_pass http://10.0.3.9:9000;
        }
        location ~ \.php$ {
            fastcgi_pass unix:/run/php/php8.2-fpm.sock;
        }
    }
}
"#;

const MIXED_CONFIG_APACHE: &str = "<VirtualHost *:80>
    ServerName billing.example.com
    ProxyPass /billing/ http://billing.internal:3000/
</VirtualHost>
";

fn counts(report: &serde_json::Value) -> Vec<(String, u64, String, Option<u64>)> {
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["cause"].as_str().unwrap().to_string(),
                g["count"].as_u64().unwrap(),
                g["target"].as_str().unwrap().to_string(),
                g["location"]["line"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn a_mixed_log_is_summarised_by_cause_and_backend() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "nginx.conf", MIXED_CONFIG_NGINX);
    common::write(dir.path(), "apache2.conf", MIXED_CONFIG_APACHE);
    common::write(dir.path(), "error.log", &mixed_log());
    let args = [
        "diagnose",
        "error.log",
        "--format",
        "json",
        "--config",
        "nginx.conf",
        "apache2.conf",
    ];
    let run = gatelint(dir.path(), &args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["lines_read"], 3000);
    assert_eq!(
        counts(&report),
        vec![
            (
                "connect-refused".to_string(),
                300,
                "10.0.3.7:8080".to_string(),
                Some(3)
            ),
            (
                "connect-refused".to_string(),
                300,
                "billing.internal:3000".to_string(),
                Some(3)
            ),
            (
                "read-timeout".to_string(),
                100,
                "10.0.3.9:9000".to_string(),
                Some(13)
            ),
            (
                "socket-missing".to_string(),
                30,
                "unix:/run/php/php8.2-fpm.sock".to_string(),
                Some(16)
            ),
        ]
    );
    let first = &report["groups"][0];
    assert_eq!(first["status"], 502);
    assert_eq!(first["first"], "2026/11/23 10:00:00");
    assert_eq!(first["servers"], serde_json::json!(["shop.example.com"]));
    assert_eq!(
        first["requests"],
        serde_json::json!(["GET /api/cart HTTP/1.1"])
    );
    // httpd answers 503 when it cannot connect.
    assert_eq!(report["groups"][1]["status"], 503);
    // The read timeout is one the static rule flags.
    assert_eq!(
        report["groups"][2]["location"]["flagged_by"],
        serde_json::json!(["read-timeout-too-low"])
    );

    // The same log rotated and gzipped, and on standard input.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, mixed_log().as_bytes()).unwrap();
    std::fs::write(dir.path().join("error.log.1.gz"), gz.finish().unwrap()).unwrap();
    let mut gz_args = args;
    gz_args[1] = "error.log.1.gz";
    assert_eq!(
        counts(&gatelint(dir.path(), &gz_args).json()),
        counts(&report)
    );
    let mut stdin_args = args;
    stdin_args[1] = "-";
    let piped = gatelint_with_stdin(dir.path(), &stdin_args, &mixed_log());
    assert_eq!(counts(&piped.json()), counts(&report));

    // People get a table, then each group on its directive.
    let human = gatelint(
        dir.path(),
        &[
            "diagnose",
            "error.log",
            "--color",
            "never",
            "--config",
            "nginx.conf",
            "apache2.conf",
        ],
    );
    assert!(
        human
            .stdout
            .starts_with("3000 lines read, 730 of them mean"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("nginx.conf:3"), "{}", human.stdout);
    assert!(
        human.stdout.contains("read-timeout-too-low` already flags"),
        "{}",
        human.stdout
    );
}

#[test]
fn refused_starts_point_at_the_line_the_server_named() {
    let dir = tempfile::tempdir().unwrap();
    let conf = common::write(
        dir.path(),
        "app.conf",
        "server {\n    listen 80;\n    location / {\n        proxy_pass http://app:3000;\n    }\n}\n",
    );
    let log = format!(
        "2026/11/23 10:00:00 [emerg] 1#1: host not found in upstream \"app:3000\" in {}:4\n",
        conf.display()
    );
    let run = gatelint_with_stdin(
        dir.path(),
        &["diagnose", "--format", "json", "--config", "app.conf"],
        &log,
    );
    let report = run.json();
    let group = &report["groups"][0];
    assert_eq!(group["cause"], "refused-to-start");
    assert_eq!(group["status"], serde_json::Value::Null);
    assert_eq!(group["location"]["line"], 4);
    assert_eq!(group["location"]["directive"], "proxy_pass http://app:3000");
}

#[test]
fn a_log_that_maps_nowhere_says_so_with_candidates() {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        "nginx.conf",
        "server {\n    listen 80;\n    location / {\n        proxy_pass http://127.0.0.1:3000;\n    }\n    location /b/ {\n        proxy_pass http://127.0.0.1:3001;\n    }\n}\n",
    );
    let log = r#"2026/11/23 10:00:00 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", upstream: "http://10.9.9.9:8080/", host: "x"
"#;
    let run = gatelint_with_stdin(
        dir.path(),
        &["diagnose", "--color", "never", "--config", "nginx.conf"],
        log,
    );
    assert!(
        run.stdout
            .contains("no route in the configuration sends requests there"),
        "{}",
        run.stdout
    );
    let missing = gatelint(
        dir.path(),
        &["diagnose", "nope.log", "--config", "nginx.conf"],
    );
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("cannot read nope.log"),
        "{}",
        missing.stderr
    );
    // A binary file holding log-like strings is refused, not read; the
    // other logs are still read.
    let mut binary = b"\x7fELF\x02\x01\x00\x00".to_vec();
    binary.extend_from_slice(log.as_bytes());
    std::fs::write(dir.path().join("core"), binary).unwrap();
    common::write(dir.path(), "error.log", log);
    let run = gatelint(
        dir.path(),
        &[
            "diagnose",
            "core",
            "error.log",
            "--format",
            "json",
            "--config",
            "nginx.conf",
        ],
    );
    assert!(
        run.stderr
            .contains("cannot read core: a binary file, not an error log"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["lines_read"], 1);
}

#[test]
fn every_cause_diagnose_names_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    for cause in gatelint::diagnose::cause::Cause::ALL {
        let run = gatelint(dir.path(), &["explain", cause.name()]);
        assert_eq!(run.code, 0, "{}: {}", cause.name(), run.stderr);
        assert!(run.stdout.starts_with(cause.name()), "{}", run.stdout);
        assert!(run.stdout.contains("\nWhy: "), "{}", run.stdout);
    }
    let refused = gatelint(dir.path(), &["explain", "refused-to-start"]);
    assert!(
        refused.stdout.contains("(the server does not start)"),
        "{}",
        refused.stdout
    );
}
