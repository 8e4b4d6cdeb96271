//! Proves each rule's claim against Debian's real nginx. For every example in
//! `rules/*.md` whose fence says `e2e=STATUS` (502, 504, 500, 200) or
//! `e2e=refuses` (nginx will not start), this test lints the example as
//! written, then runs it: listen and backend addresses are rewritten to free
//! ports on 127.0.0.1, the backend the fence names (`backend=http|slow|tls`,
//! or `backend=PORT:KIND,…` per original port) is started, nginx is started
//! as a child process with a scratch prefix, and one request is sent. A
//! failing example must give its status and put the rule's error.log line in
//! error.log; a passing one must give its status. `e2e=no` says, in the page,
//! why an example cannot run here.
//!
//! Every wait is bounded, everything binds 127.0.0.1 only, and every process
//! started is stopped by its handle. Without nginx the test says it skipped.

mod common;

use common::e2e::{Running, backend_kind, free_port, self_signed, start_backend};

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use gatelint::lint::lint;
use gatelint::load::{Input, Options};
use gatelint::model::parse_listen;
use gatelint::model::target::{PassKind, is_loopback, parse_pass};
use gatelint::rules::Settings;
use gatelint::source::FileId;
use gatelint::syntax::{Dialect, nginx};

/// The example with its listeners and backends moved to free loopback ports.
struct Rewritten {
    text: String,
    /// Original listen port → nginx's port.
    listens: HashMap<u16, u16>,
    /// Original backend port → (free port, kind).
    backends: HashMap<u16, (u16, String)>,
}

fn rewrite(text: &str, attrs: &HashMap<String, String>) -> Rewritten {
    let tree = nginx::parse(FileId(0), text);
    let value = |arg| tree.value(text, arg).to_string();
    let mut listens = HashMap::new();
    for node in tree
        .nodes
        .iter()
        .filter(|n| n.is_directive() && value(&n.name) == "listen")
    {
        if let Some(port) = node
            .args
            .first()
            .and_then(|a| parse_listen(&value(a)).port())
        {
            listens.entry(port).or_insert_with(free_port);
        }
    }
    let mut backends: HashMap<u16, (u16, String)> = HashMap::new();
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let backend_for = |port: u16, backends: &mut HashMap<u16, (u16, String)>| -> u16 {
        backends
            .entry(port)
            .or_insert_with(|| (free_port(), backend_kind(attrs, port)))
            .0
    };
    for node in tree.nodes.iter().filter(|n| n.is_directive()) {
        let name = value(&node.name);
        let Some(arg) = node.args.first() else {
            continue;
        };
        let raw = value(arg);
        if name == "listen" {
            let port = parse_listen(&raw).port().unwrap_or(80);
            edits.push((arg.span.range(), format!("127.0.0.1:{}", listens[&port])));
        } else if let Some(kind) = PassKind::from_directive(&name) {
            let Ok(pass) = parse_pass(kind, &raw) else {
                continue;
            };
            let static_host = !pass.has_variables && pass.unix.is_none();
            let rewritable = is_loopback(&pass.host)
                || pass.host.parse::<std::net::IpAddr>().is_ok()
                || pass.host.ends_with(".internal");
            let Some(port) = pass.effective_port() else {
                continue;
            };
            if !(static_host && rewritable) {
                continue;
            }
            let target = match listens.get(&port) {
                Some(&own) if is_loopback(&pass.host) => own,
                _ => backend_for(port, &mut backends),
            };
            let scheme = match raw.split_once("://") {
                Some((scheme, _)) => format!("{scheme}://"),
                None => String::new(),
            };
            let uri = pass.uri.clone().unwrap_or_default();
            // `localhost` stays a name: SNI and certificate names depend on it.
            let host = if pass.host == "localhost" {
                "localhost"
            } else {
                "127.0.0.1"
            };
            edits.push((arg.span.range(), format!("{scheme}{host}:{target}{uri}")));
        } else if name == "server"
            && node
                .parent
                .is_some_and(|p| value(&tree.node(p).name) == "upstream")
        {
            if let Some(port) = gatelint::model::target::Address::parse(&raw)
                .ok()
                .and_then(|a| a.port())
            {
                let target = backend_for(port, &mut backends);
                edits.push((arg.span.range(), format!("127.0.0.1:{target}")));
            }
        }
    }
    let mut out = text.to_string();
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    for (range, replacement) in edits {
        out.replace_range(range, &replacement);
    }
    Rewritten {
        text: out,
        listens,
        backends,
    }
}

/// A complete nginx.conf around the example, running in the foreground.
fn wrap(example: &str, dir: &Path) -> String {
    // As root, workers run as nobody, as a packaged nginx's would.
    let user = if common::is_root() {
        "user nobody nogroup;\n"
    } else {
        ""
    };
    let globals = format!(
        "daemon off;\n{user}worker_processes 1;\nerror_log {0}/error.log info;\npid {0}/nginx.pid;\nevents {{ worker_connections 64; }}\n",
        dir.display()
    );
    if example.contains("http {") {
        format!("{globals}{example}")
    } else {
        format!("{globals}http {{\naccess_log off;\n{example}}}\n")
    }
}

/// The rule's error.log line for this example, without its level and the
/// connection count nginx puts in front of some messages.
fn expected_log(rule: &str, text: &str) -> Option<String> {
    let input = Input::Text {
        name: Some("example.conf".into()),
        bytes: text.as_bytes().to_vec(),
    };
    let settings = Settings {
        select: Some(vec![rule.to_string()]),
        ..Settings::default()
    };
    let outcome = lint(&[input], Options::default(), &settings);
    let log = outcome
        .findings
        .iter()
        .find(|f| f.rule == rule)?
        .log
        .clone()?;
    let without_level = log
        .split_once("] ")
        .map_or(log.as_str(), |(_, rest)| rest)
        .to_string();
    let without_count = without_level
        .split_once(' ')
        .filter(|(first, _)| first.chars().all(|c| c.is_ascii_digit()))
        .map_or(without_level.clone(), |(_, rest)| rest.to_string());
    Some(without_count)
}

fn prove(
    nginx: &str,
    rule: &'static str,
    example: &common::DocExample,
    claim: &str,
) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    // The unprivileged workers must reach the prefix.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let certs = self_signed(dir.path());
    // Examples include the parameter files Debian's nginx ships beside nginx.conf.
    for name in [
        "fastcgi_params",
        "fastcgi.conf",
        "proxy_params",
        "uwsgi_params",
        "scgi_params",
        "mime.types",
    ] {
        let _ = std::fs::copy(Path::new("/etc/nginx").join(name), dir.path().join(name));
    }
    let rewritten = rewrite(&example.text, &example.attrs);
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, wrap(&rewritten.text, dir.path())).unwrap();
    let prefix = format!("{}/", dir.path().display());
    let error_log = dir.path().join("error.log");
    let test = common::bounded_for(
        Command::new(nginx)
            .args(["-t", "-q", "-p", &prefix, "-e"])
            .arg(&error_log)
            .arg("-c")
            .arg(&conf),
        Duration::from_secs(20),
    );
    let log_text = || std::fs::read_to_string(&error_log).unwrap_or_default();
    let expected = if example.fails {
        expected_log(rule, &example.text)
    } else {
        None
    };
    if claim == "refuses" {
        let said = format!("{}{}", String::from_utf8_lossy(&test.stderr), log_text());
        return common::e2e::check_refusal(
            "nginx",
            test.status.success(),
            &said,
            expected.as_deref(),
        );
    }
    if !test.status.success() {
        return Err(format!(
            "nginx -t failed:\n{}{}",
            String::from_utf8_lossy(&test.stderr),
            log_text()
        ));
    }
    let _backends: Vec<Running> = rewritten
        .backends
        .values()
        .filter(|(_, kind)| kind != "none")
        .map(|(port, kind)| start_backend(kind, *port, &certs))
        .collect();
    let server = Running::spawn(
        Command::new(nginx)
            .args(["-p", &prefix, "-e"])
            .arg(&error_log)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .map_err(|e| format!("nginx did not start: {e}"))?;
    let port = *rewritten
        .listens
        .values()
        .min()
        .ok_or("the example listens nowhere")?;
    // The first server's listener is the one requests go to.
    let first_listen = rewritten
        .listens
        .iter()
        .min_by_key(|(orig, _)| **orig)
        .map(|(_, p)| *p)
        .unwrap_or(port);
    let entry = example
        .attrs
        .get("listen")
        .and_then(|p| p.parse::<u16>().ok())
        .and_then(|p| rewritten.listens.get(&p).copied())
        .unwrap_or(first_listen);
    common::e2e::request_and_check(
        server,
        "nginx",
        rule,
        entry,
        example,
        claim,
        expected.as_deref(),
        &rewritten.text,
        &error_log,
    )
}

#[test]
fn rules_prove_their_claims_on_real_nginx() {
    let Some(nginx) = common::e2e::server_binary(
        &["/usr/sbin/nginx", "/usr/bin/nginx"],
        "rules_prove_their_claims_on_real_nginx",
        "nginx",
    ) else {
        return;
    };
    common::e2e::prove_all(Dialect::Nginx, "nginx", |rule, example, claim| {
        prove(nginx, rule, example, claim)
    });
}
