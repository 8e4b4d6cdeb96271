//! What the proof harnesses (`e2e_nginx.rs`, `e2e_apache.rs`) share: free
//! loopback ports, a certificate made at test time, the test backends,
//! bounded waits, and processes that stop when dropped.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A process started in a process group of its own, stopped with
/// everything it forked when dropped, so a failing assertion leaves nothing
/// behind: SIGTERM to the group first (a master then stops its workers),
/// SIGKILL to the group once the leader has exited or after ten seconds
/// (httpd's children can outlive a master stuck on busy connections).
pub struct Running(Child);

impl Running {
    pub fn spawn(command: &mut Command) -> std::io::Result<Running> {
        use std::os::unix::process::CommandExt;
        command.process_group(0).spawn().map(Running)
    }

    fn signal_group(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.0.id())])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.signal_group("-TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.signal_group("-KILL");
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = super::bounded_for(
        Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                // A name in subjectAltName, as real certificates carry it
                // (verifiers other than OpenSSL ignore the CN).
                "-addext",
                "subjectAltName=DNS:localhost",
                "-keyout",
            ])
            .arg(&key)
            .arg("-out")
            .arg(&cert),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}

pub fn start_backend(kind: &str, port: u16, certs: &(PathBuf, PathBuf)) -> Running {
    start_backend_at(kind, &port.to_string(), certs)
}

/// A backend on a port, or on a unix socket when `at` is a path.
pub fn start_backend_at(kind: &str, at: &str, certs: &(PathBuf, PathBuf)) -> Running {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/backend.py");
    let mut backend = Running::spawn(
        Command::new("python3")
            .arg(script)
            .arg(kind)
            .arg(at)
            .arg(&certs.0)
            .arg(&certs.1)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    )
    .expect("python3 runs the backend");
    let stdout = backend.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
    assert_eq!(line.trim(), "ready", "the {kind} backend did not start");
    backend
}

pub fn backend_kind(attrs: &HashMap<String, String>, port: u16) -> String {
    let spec = attrs.get("backend").map(String::as_str).unwrap_or("http");
    if !spec.contains(':') {
        return spec.to_string();
    }
    spec.split(',')
        .filter_map(|pair| pair.split_once(':'))
        .find(|(p, _)| p.parse::<u16>().ok() == Some(port))
        .map(|(_, kind)| kind.to_string())
        .unwrap_or_else(|| "http".into())
}

pub fn get(port: u16, path: &str) -> Option<u16> {
    request(port, "GET", path)
}

/// One request (a POST carries a small form body); the status, if any.
pub fn request(port: u16, method: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(
        &format!("127.0.0.1:{port}").parse().ok()?,
        Duration::from_secs(5),
    )
    .ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    let body = if method == "GET" { "" } else { "order=1" };
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: shop.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn wait_for_port(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(
            &format!("127.0.0.1:{port}").parse().unwrap(),
            Duration::from_millis(200),
        )
        .is_ok()
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Waits for the server, sends the example's request, stops the server,
/// and checks the status against `claim` and error.log for `expected`.
#[allow(clippy::too_many_arguments)]
pub fn request_and_check(
    server: Running,
    name: &str,
    rule: &str,
    entry: u16,
    example: &super::DocExample,
    claim: &str,
    expected: Option<&str>,
    config: &str,
    error_log: &Path,
) -> Result<(), String> {
    let log_text = || std::fs::read_to_string(error_log).unwrap_or_default();
    if !wait_for_port(entry) {
        return Err(format!("{name} did not listen:\n{}", log_text()));
    }
    let path = example.attrs.get("path").map(String::as_str).unwrap_or("/");
    let method = example
        .attrs
        .get("method")
        .map(String::as_str)
        .unwrap_or("GET");
    let want: u16 = claim
        .parse()
        .map_err(|_| format!("`e2e={claim}` is not a status"))?;
    // `requests=N`: N requests in a row, the first leaving a pooled
    // connection behind. A failing example's status must come back for one
    // of the later ones (which one reuses the connection is the server's
    // choice); a passing example's for all of them.
    let times: usize = example
        .attrs
        .get("requests")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
        .max(1);
    let mut status = request(entry, method, path);
    for _ in 1..times {
        if example.fails && status == Some(want) {
            break;
        }
        let next = request(entry, method, path);
        if example.fails || status == Some(want) {
            status = next;
        }
    }
    drop(server);
    if status != Some(want) {
        return Err(format!(
            "expected {want}, got {status:?}\nconfig:\n{config}\nerror.log:\n{}",
            log_text()
        ));
    }
    if let Some(line) = expected {
        if !log_text().contains(line) {
            return Err(format!("error.log lacks `{line}`:\n{}", log_text()));
        }
    }
    if example.fails {
        capture(rule, example, config, &log_text());
    }
    Ok(())
}

/// With `GATELINT_CAPTURE_LOGS=DIR`, keeps what a failing example ran and
/// what the server logged, as `DIR/<dialect>-<rule>-<page line>.{conf,log}`:
/// the fixtures of `gatelint diagnose`'s tests come from here.
fn capture(rule: &str, example: &super::DocExample, config: &str, log: &str) {
    let Some(dir) = std::env::var_os("GATELINT_CAPTURE_LOGS") else {
        return;
    };
    let dir = Path::new(&dir);
    let _ = std::fs::create_dir_all(dir);
    let stem = format!("{}-{rule}-{}", example.dialect, example.line);
    let _ = std::fs::write(dir.join(format!("{stem}.conf")), config);
    let _ = std::fs::write(dir.join(format!("{stem}.log")), log);
}

/// An `e2e=refuses` example: the server's configuration test must fail,
/// saying `expected` when the rule quotes a line.
pub fn check_refusal(
    name: &str,
    accepted: bool,
    said: &str,
    expected: Option<&str>,
) -> Result<(), String> {
    if accepted {
        return Err(format!(
            "{name} accepted it, but the page says it refuses to start"
        ));
    }
    match expected {
        Some(line) if !said.contains(line) => {
            Err(format!("{name} refused, but not with `{line}`:\n{said}"))
        }
        _ => Ok(()),
    }
}

/// The server's binary among `paths`; without one, says the proofs were
/// skipped and why (and fails when `GATELINT_REQUIRE_E2E` asks for them).
pub fn server_binary(paths: &[&'static str], test: &str, package: &str) -> Option<&'static str> {
    let found = paths.iter().copied().find(|p| Path::new(p).exists());
    if found.is_none() {
        assert!(
            std::env::var_os("GATELINT_REQUIRE_E2E").is_none(),
            "GATELINT_REQUIRE_E2E is set but {package} is missing"
        );
        super::skipped(&format!(
            "{test}: {package} is not installed (apt-get install {package}; scripts/test-all.sh does)"
        ));
    }
    found
}

/// Runs `prove` on every example of `dialect` marked `e2e=…` (not `no`),
/// fails with every failure at once, and checks that each error-severity
/// rule of the dialect proves at least one failing example.
pub fn prove_all(
    dialect: gatelint::syntax::Dialect,
    name: &str,
    mut prove: impl FnMut(&'static str, &super::DocExample, &str) -> Result<(), String>,
) {
    use gatelint::rules::RULES;
    let mut failures = Vec::new();
    let mut proven = 0;
    for rule in RULES {
        for example in super::doc_examples(rule.doc) {
            if example.dialect != dialect.name() {
                continue;
            }
            let Some(claim) = example.attrs.get("e2e").cloned() else {
                continue;
            };
            if claim == "no" {
                continue;
            }
            match prove(rule.name, &example, &claim) {
                Ok(()) => proven += 1,
                Err(e) => {
                    failures.push(format!("rules/{}.md line {}: {e}", rule.name, example.line))
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(proven > 0, "no {name} example was run");
    // A warning whose failure cannot be staged here says why in its page.
    for rule in RULES
        .iter()
        .filter(|r| r.severity == gatelint::finding::Severity::Error)
        .filter(|r| r.dialects.contains(&dialect))
    {
        let proven = super::doc_examples(rule.doc).iter().any(|e| {
            e.dialect == dialect.name() && e.fails && e.attrs.get("e2e").is_some_and(|c| c != "no")
        });
        assert!(
            proven,
            "rules/{}.md claims a failure but no failing example is run against {name}",
            rule.name
        );
    }
}
