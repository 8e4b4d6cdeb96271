//! Helpers shared by the integration tests: run the gatelint binary in a
//! directory and read its JSON.

#![allow(dead_code)]

pub mod e2e;

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        })
    }

    pub fn summary(&self) -> serde_json::Value {
        self.json()["summary"].clone()
    }
}

pub fn findings_of(run: &Run) -> Vec<serde_json::Value> {
    run.json()["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Writes `text` to `dir/rel`, creating directories; returns the path.
pub fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn finish(mut command: Command) -> Run {
    let out = command.output().expect("gatelint runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gatelint"));
    command
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env("COLUMNS", "100");
    command
}

pub fn gatelint(dir: &Path, args: &[&str]) -> Run {
    let mut command = command(dir);
    command.args(args);
    finish(command)
}

pub fn gatelint_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = command(dir);
    command.args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    finish(command)
}

pub fn gatelint_with_stdin(dir: &Path, args: &[&str], stdin: &str) -> Run {
    use std::io::Write;
    let mut child = command(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("gatelint runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Runs gatelint as an unprivileged user when the tests run as root (root
/// reads every file whatever its mode), with util-linux's `setpriv`.
pub fn gatelint_unprivileged(dir: &Path, args: &[&str]) -> Run {
    if !is_root() {
        return gatelint(dir, args);
    }
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_gatelint"))
        .args(args)
        .current_dir(dir);
    finish(command)
}

/// A fenced example of a rule page: ```nginx fails KEY=VALUE …```.
pub struct DocExample {
    /// `nginx` or `apache`: the fence's language.
    pub dialect: String,
    pub fails: bool,
    pub text: String,
    /// The line of the page where the example's text starts.
    pub line: usize,
    pub attrs: std::collections::HashMap<String, String>,
}

pub fn doc_examples(doc: &str) -> Vec<DocExample> {
    let mut out = Vec::new();
    let mut current: Option<DocExample> = None;
    for (i, line) in doc.lines().enumerate() {
        if let Some(example) = current.as_mut() {
            if line.starts_with("```") {
                out.extend(current.take());
            } else {
                example.text.push_str(line);
                example.text.push('\n');
            }
            continue;
        }
        let Some((dialect, info)) = ["nginx", "apache"]
            .into_iter()
            .find_map(|d| line.strip_prefix(&format!("```{d}")).map(|info| (d, info)))
        else {
            continue;
        };
        let mut words = info.split_whitespace();
        let fails = match words.next() {
            Some("fails") => true,
            Some("passes") => false,
            _ => continue,
        };
        let attrs = words
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        current = Some(DocExample {
            dialect: dialect.to_string(),
            fails,
            text: String::new(),
            line: i + 2,
            attrs,
        });
    }
    out
}

/// Runs a tool with stdin closed, killing it after 30 seconds.
pub fn bounded(command: &mut Command) -> std::process::Output {
    bounded_for(command, std::time::Duration::from_secs(30))
}

/// Runs a tool with stdin closed, killing it after `limit`.
pub fn bounded_for(command: &mut Command, limit: std::time::Duration) -> std::process::Output {
    use std::io::Read;
    let mut child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the tool starts");
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    std::process::Output {
        status,
        stdout,
        stderr,
    }
}

/// Says that a test skipped part of its work, and why, where `cargo test`
/// shows it: the test harness captures `eprintln!`, not direct writes.
pub fn skipped(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {message}");
}
