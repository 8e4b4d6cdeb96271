//! Proves each Apache rule's claim against Debian's real httpd (`apache2`),
//! as `e2e_nginx.rs` does for nginx: every ` ```apache ` example whose fence
//! says `e2e=STATUS` or `e2e=refuses` is linted, then run. `Listen` and
//! `<VirtualHost>` ports and loopback backend URLs are moved to free ports
//! on 127.0.0.1, absolute unix sockets and `DocumentRoot` under the scratch
//! directory, the backends the fence names are started, httpd runs in the
//! foreground with a scratch ServerRoot, and one request is sent. A failing
//! example must give its status and its `AH` code (or its whole line) in
//! error.log; a passing one must give its status.
//!
//! Examples that load no modules get the ones a reverse proxy uses; examples
//! with `LoadModule` lines get only those, plus an MPM. Every wait is
//! bounded, every process is stopped by its handle. Without apache2 the test
//! says it skipped.

mod common;

use common::e2e::{Running, backend_kind, free_port, self_signed, start_backend, start_backend_at};

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use gatelint::lint::lint;
use gatelint::load::{Input, Options};
use gatelint::model::apache::{ApacheUrl, parse_url};
use gatelint::model::target::is_loopback;
use gatelint::rules::Settings;
use gatelint::source::FileId;
use gatelint::syntax::{Dialect, apache};

const MODULES: &str = "/usr/lib/apache2/modules";

/// Modules loaded for examples that load none themselves.
const DEFAULT_MODULES: &[&str] = &[
    "mpm_event",
    "authz_core",
    "proxy",
    "proxy_http",
    "proxy_fcgi",
    "proxy_balancer",
    "slotmem_shm",
    "lbmethod_byrequests",
    "ssl",
    "rewrite",
    "headers",
];

/// httpd's `Timeout` for every example (its own setting comes later and
/// wins): long enough for the slow backends (5 s), short enough that a
/// request that hangs (a proxy loop) is answered within the client's wait.
const TIMEOUT: &str = "Timeout 10\n";

/// One child process, so that a request finds the backend connection the
/// one before it left in the pool (each child keeps its own).
const ONE_PROCESS: &str = "<IfModule mpm_event_module>\nStartServers 1\nServerLimit 1\nThreadsPerChild 25\nMaxRequestWorkers 25\n</IfModule>\n";

struct Rewritten {
    text: String,
    /// Original port → httpd's port.
    listens: HashMap<u16, u16>,
    backends: HashMap<u16, (u16, String)>,
    /// Unix sockets moved under the scratch directory, with their kind.
    sockets: Vec<(std::path::PathBuf, String)>,
}

fn port_of(value: &str) -> Option<u16> {
    value.rsplit(':').next().and_then(|p| p.parse().ok())
}

fn rewrite(text: &str, attrs: &HashMap<String, String>, dir: &Path) -> Rewritten {
    let tree = apache::parse(FileId(0), text);
    let value = |arg| tree.value(text, arg).to_string();
    let mut listens: HashMap<u16, u16> = HashMap::new();
    for node in tree.nodes.iter().filter(|n| n.is_directive()) {
        let name = value(&node.name);
        if name == "listen" || name == "virtualhost" {
            for arg in &node.args {
                let port = port_of(&value(arg)).unwrap_or(80);
                listens.entry(port).or_insert_with(free_port);
            }
        }
    }
    if listens.is_empty() {
        listens.insert(80, free_port());
    }
    let mut backends: HashMap<u16, (u16, String)> = HashMap::new();
    let mut sockets = Vec::new();
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for node in tree.nodes.iter().filter(|n| n.is_directive()) {
        let name = value(&node.name);
        for arg in &node.args {
            let raw = value(arg);
            if name == "listen" {
                let port = port_of(&raw).unwrap_or(80);
                edits.push((arg.span.range(), format!("127.0.0.1:{}", listens[&port])));
                continue;
            }
            if name == "virtualhost" {
                let port = port_of(&raw).unwrap_or(80);
                edits.push((arg.span.range(), format!("127.0.0.1:{}", listens[&port])));
                continue;
            }
            if name == "documentroot" {
                // The example's site directory is the scratch one: httpd
                // answers 404 before any handler when it does not exist.
                edits.push((arg.span.range(), dir.join("htdocs").display().to_string()));
                continue;
            }
            let url = raw.strip_prefix("proxy:").unwrap_or(&raw);
            let Ok(ApacheUrl::Worker(_, pass)) = parse_url(url) else {
                continue;
            };
            if let Some(socket) = pass.unix.as_deref().filter(|s| s.starts_with('/')) {
                // An absolute socket moves under the scratch directory; the
                // fence's backend listens there.
                let kind = attrs
                    .get("backend")
                    .cloned()
                    .unwrap_or_else(|| "none".into());
                let moved = dir
                    .join("sockets")
                    .join(Path::new(socket).file_name().unwrap_or_default());
                let replaced = raw.replacen(socket, &moved.display().to_string(), 1);
                let quoted = matches!(arg.quote, gatelint::syntax::Quote::Double);
                edits.push((
                    arg.span.range(),
                    if quoted {
                        format!("\"{replaced}\"")
                    } else {
                        replaced
                    },
                ));
                sockets.push((moved, kind));
                continue;
            }
            let (Some(port), false) = (pass.port, pass.host_is_variable) else {
                continue;
            };
            if pass.unix.is_some() || !is_loopback(&pass.host) {
                continue;
            }
            // A URL at one of the example's own ports goes to httpd itself
            // (a loop); any other to the backend started for that port.
            let free = match listens.get(&port) {
                Some(&own) => own,
                None => {
                    backends
                        .entry(port)
                        .or_insert_with(|| (free_port(), backend_kind(attrs, port)))
                        .0
                }
            };
            // `localhost` stays a name: TLS peer-name checks depend on it.
            let host = if pass.host == "localhost" {
                "localhost"
            } else {
                "127.0.0.1"
            };
            let written = format!("{}:{port}", pass.host);
            let replaced = if raw.contains(&written) {
                raw.replacen(&written, &format!("{host}:{free}"), 1)
            } else {
                raw.replacen(&pass.host, &format!("{host}:{free}"), 1)
            };
            let quoted = matches!(arg.quote, gatelint::syntax::Quote::Double);
            let replaced = if quoted {
                format!("\"{replaced}\"")
            } else {
                replaced
            };
            edits.push((arg.span.range(), replaced));
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
        sockets,
    }
}

/// A complete httpd.conf around the example.
fn wrap(example: &str, rewritten: &Rewritten, dir: &Path) -> String {
    let mut conf = format!(
        "ServerRoot {0}\nServerName localhost\nPidFile {0}/httpd.pid\nErrorLog {0}/error.log\nLogLevel warn\nDefaultRuntimeDir {0}\nMutex file:{0} default\nDocumentRoot {0}/htdocs\n{TIMEOUT}{ONE_PROCESS}",
        dir.display()
    );
    if common::is_root() {
        conf.push_str("User nobody\nGroup nogroup\n");
    }
    if example.to_ascii_lowercase().contains("loadmodule") {
        if !example.contains("mpm_") {
            conf.push_str(&format!(
                "LoadModule mpm_event_module {MODULES}/mod_mpm_event.so\n"
            ));
        }
    } else {
        for module in DEFAULT_MODULES {
            conf.push_str(&format!(
                "LoadModule {module}_module {MODULES}/mod_{module}.so\n"
            ));
        }
    }
    let listens_itself = example.to_ascii_lowercase().contains("\nlisten ")
        || example.to_ascii_lowercase().starts_with("listen ");
    if !listens_itself {
        for port in rewritten.listens.values() {
            conf.push_str(&format!("Listen 127.0.0.1:{port}\n"));
        }
    }
    conf.push_str(&rewritten.text);
    conf
}

/// What error.log must show for a failing example: the rule's `AH` code
/// when its line has one (the rest names addresses that vary), else the
/// line without its level.
fn expected_log(rule: &str, text: &str) -> Option<String> {
    let input = Input::Text {
        name: Some("example.conf".into()),
        bytes: text.as_bytes().to_vec(),
    };
    let settings = Settings {
        select: Some(vec![rule.to_string()]),
        ..Settings::default()
    };
    let options = Options {
        dialect: Some(Dialect::Apache),
        ..Options::default()
    };
    let outcome = lint(&[input], options, &settings);
    let log = outcome
        .findings
        .iter()
        .find(|f| f.rule == rule)?
        .log
        .clone()?;
    let code = log.split_whitespace().find(|w| {
        w.len() >= 7 && w.starts_with("AH") && w[2..7].chars().all(|c| c.is_ascii_digit())
    });
    Some(match code {
        Some(code) => code[..7].to_string(),
        None => log
            .split_once("] ")
            .map_or(log.as_str(), |(_, rest)| rest)
            .to_string(),
    })
}

fn prove(httpd: &str, rule: &str, example: &common::DocExample, claim: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir(dir.path().join("htdocs")).unwrap();
    let certs = self_signed(dir.path());
    let rewritten = rewrite(&example.text, &example.attrs, dir.path());
    let conf = dir.path().join("httpd.conf");
    std::fs::write(&conf, wrap(&example.text, &rewritten, dir.path())).unwrap();
    let error_log = dir.path().join("error.log");
    let log_text = || std::fs::read_to_string(&error_log).unwrap_or_default();
    let expected = if example.fails {
        expected_log(rule, &example.text)
    } else {
        None
    };
    let test = common::bounded_for(
        Command::new(httpd).arg("-t").arg("-f").arg(&conf),
        Duration::from_secs(20),
    );
    if claim == "refuses" {
        let said = format!("{}{}", String::from_utf8_lossy(&test.stderr), log_text());
        return common::e2e::check_refusal(
            "httpd",
            test.status.success(),
            &said,
            expected.as_deref(),
        );
    }
    if !test.status.success() {
        return Err(format!(
            "httpd -t failed:\n{}{}",
            String::from_utf8_lossy(&test.stderr),
            log_text()
        ));
    }
    let _backends: Vec<Running> = rewritten
        .backends
        .values()
        .filter(|(_, kind)| kind != "none")
        .map(|(port, kind)| start_backend(kind, *port, &certs))
        .chain(
            rewritten
                .sockets
                .iter()
                .filter(|(_, kind)| kind != "none")
                .map(|(path, kind)| {
                    let _ = std::fs::create_dir_all(path.parent().unwrap_or(dir.path()));
                    start_backend_at(kind, &path.display().to_string(), &certs)
                }),
        )
        .collect();
    let server = Running::spawn(
        Command::new(httpd)
            .args(["-DFOREGROUND", "-f"])
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .map_err(|e| format!("httpd did not start: {e}"))?;
    let entry = *rewritten
        .listens
        .iter()
        .min_by_key(|(orig, _)| **orig)
        .map(|(_, p)| p)
        .ok_or("the example listens nowhere")?;
    common::e2e::request_and_check(
        server,
        "httpd",
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
fn rules_prove_their_claims_on_real_httpd() {
    let Some(httpd) = common::e2e::server_binary(
        &["/usr/sbin/apache2", "/usr/sbin/httpd"],
        "rules_prove_their_claims_on_real_httpd",
        "apache2",
    ) else {
        return;
    };
    common::e2e::prove_all(Dialect::Apache, "httpd", |rule, example, claim| {
        prove(httpd, rule, example, claim)
    });
}
