//! `--probe`: contacts the backends the configuration names, and only
//! those, the way the server would: resolve the name, connect, open TLS
//! with the configured SNI and verification, and (when asked) send one
//! request in the backend's protocol. Each distinct target once, a bounded
//! number at a time, every step under a timeout and the whole run under a
//! deadline; failures become findings on the directive that names the
//! target.

pub mod dns;
pub mod tls;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::finding::{Finding, Severity};
use crate::model::target::{Address, PassKind, Scheme, is_ip};
use crate::model::{Gateway, Route, Target};
use crate::source::Span;
use crate::syntax::Dialect;
use tls::TlsPlan;

pub const DNS: &str = "probe-dns";
pub const CONNECT: &str = "probe-connect";
pub const TLS: &str = "probe-tls";
pub const PROTOCOL: &str = "probe-protocol";
pub const DEADLINE: &str = "probe-deadline";

#[derive(Clone, Debug)]
pub struct ProbeOptions {
    pub timeout: Duration,
    pub concurrency: usize,
    /// For the whole run.
    pub deadline: Duration,
    /// Also send `HEAD /` to HTTP backends.
    pub http: bool,
    /// Draw a progress bar on stderr (when it is a terminal).
    pub progress: bool,
}

impl Default for ProbeOptions {
    fn default() -> ProbeOptions {
        ProbeOptions {
            timeout: Duration::from_secs(2),
            concurrency: 32,
            deadline: Duration::from_secs(30),
            http: false,
            progress: false,
        }
    }
}

/// One thing to contact, and everything that decides how.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Plan {
    address: Address,
    kind: PassKind,
    tls: Option<TlsPlan>,
    /// The Host header an HTTP probe sends.
    host_header: String,
    /// The servers of `resolver` when the server resolves the name per
    /// request (variables, `server … resolve`); empty: at startup, with the
    /// system's resolver.
    resolvers: Vec<SocketAddr>,
}

/// A finding waiting for its place.
struct Outcome {
    rule: &'static str,
    severity: Severity,
    message: String,
    help: String,
}

/// What nginx or httpd would do for a route: SNI, verification, Host.
fn plan_for(g: &Gateway<'_>, route: &Route, address: &Address, resolvers: Vec<SocketAddr>) -> Plan {
    let host = address.host().unwrap_or_default().to_string();
    let tls = route
        .pass
        .as_ref()
        .filter(|p| p.scheme == Scheme::Https || p.scheme == Scheme::Grpcs)
        .map(|pass| {
            let setting = |name: &str| {
                g.effective(route.item, &format!("{}_{name}", route.kind.module()))
                    .and_then(|i| g.x.value(i, 0))
            };
            match g.dialect() {
                Dialect::Nginx => {
                    let name = setting("ssl_name").unwrap_or(&pass.host).to_string();
                    let sni = (setting("ssl_server_name") == Some("on")).then(|| name.clone());
                    let verify = (setting("ssl_verify") == Some("on"))
                        .then(|| setting("ssl_trusted_certificate"))
                        .flatten()
                        .map(|ca| (name.clone(), g.config().prefix.join(ca)));
                    TlsPlan { sni, verify }
                }
                // httpd sends the URL's name as SNI; its default is not to
                // verify the chain.
                Dialect::Apache => TlsPlan {
                    sni: (!is_ip(&host)).then(|| host.clone()),
                    verify: None,
                },
            }
        });
    let host_header = sent_host(g, route).unwrap_or_else(|| match address {
        Address::Inet {
            host,
            port: Some(p),
        } if ![80, 443].contains(p) => format!("{host}:{p}"),
        Address::Inet { host, .. } => host.clone(),
        Address::Unix(_) => "localhost".into(),
    });
    Plan {
        address: address.clone(),
        kind: route.kind,
        tls,
        host_header,
        resolvers,
    }
}

/// The Host header the server sends on this route when it is not the
/// backend's own name: `proxy_set_header Host` (a literal, or the site's
/// name for `$host`/`$http_host`), httpd's `ProxyPreserveHost On` (the
/// site's name).
fn sent_host(g: &Gateway<'_>, route: &Route) -> Option<String> {
    let site_name = || {
        route
            .server
            .and_then(|s| g.servers.iter().find(|x| x.item == s))
            .and_then(|s| s.names.iter().find(|n| !n.contains('*') && *n != "_"))
            .cloned()
            .unwrap_or_else(|| "localhost".to_string())
    };
    match g.dialect() {
        Dialect::Nginx => {
            let set = g
                .effective_all(route.item, "proxy_set_header")
                .into_iter()
                .find(|&h| {
                    g.x.value(h, 0)
                        .is_some_and(|n| n.eq_ignore_ascii_case("host"))
                })?;
            match g.x.value(set, 1)? {
                "$host" | "$http_host" | "$server_name" => Some(site_name()),
                value if value.contains('$') => None,
                literal => Some(literal.to_string()),
            }
        }
        Dialect::Apache => g
            .effective(route.item, "proxypreservehost")
            .and_then(|i| g.x.value(i, 0))
            .filter(|v| v.eq_ignore_ascii_case("on"))
            .map(|_| site_name()),
    }
}

/// The `resolver` servers in effect at `at` (its `valid=`, `ipv6=` and
/// other parameters left out).
fn resolvers_at(g: &Gateway<'_>, at: crate::model::expand::ItemId) -> Vec<SocketAddr> {
    let Some(item) = g.effective(at, "resolver") else {
        return Vec::new();
    };
    g.x.values(item)
        .into_iter()
        .filter(|v| !v.contains('='))
        .filter_map(dns::server_address)
        .collect()
}

/// Every distinct plan, with the first place that names it.
fn plans(gateways: &[Gateway<'_>]) -> Vec<(Plan, Span, Option<Span>)> {
    let mut seen: HashMap<Plan, ()> = HashMap::new();
    let mut out = Vec::new();
    for g in gateways {
        for route in &g.routes {
            let route_span = g.x.arg_span(route.item, route.url_arg);
            // Variables in nginx's pass resolve the name per request, with
            // `resolver`; otherwise it was resolved at startup.
            let per_request = g.dialect() == Dialect::Nginx
                && route.pass.as_ref().is_some_and(|p| p.has_variables);
            let mut push = |address: &Address, span: Span, via: Option<Span>, resolvers| {
                let plan = plan_for(g, route, address, resolvers);
                if seen.insert(plan.clone(), ()).is_none() {
                    out.push((plan, span, via));
                }
            };
            match &route.target {
                Target::Address(address) => {
                    let resolvers = if per_request {
                        resolvers_at(g, route.item)
                    } else {
                        Vec::new()
                    };
                    push(address, route_span, None, resolvers);
                }
                Target::Variable {
                    candidates: Some(values),
                    ..
                } => {
                    let port = route.pass.as_ref().and_then(|p| p.port);
                    for value in values {
                        let Ok(Address::Inet { host, port: own }) = Address::parse(value) else {
                            continue;
                        };
                        let address = Address::Inet {
                            host,
                            port: own.or(port),
                        };
                        push(&address, route_span, None, resolvers_at(g, route.item));
                    }
                }
                Target::Upstream(_) => {
                    for server in g.upstream_of(route).into_iter().flat_map(|u| &u.servers) {
                        if server.down {
                            continue;
                        }
                        let arg = server.apache.as_ref().map_or(0, |w| w.url_arg);
                        let resolvers = if server.resolve {
                            resolvers_at(g, server.item)
                        } else {
                            Vec::new()
                        };
                        push(
                            &server.address,
                            g.x.arg_span(server.item, arg),
                            Some(route_span),
                            resolvers,
                        );
                    }
                }
                _ => {}
            }
        }
    }
    out
}

pub fn probe(gateways: &[Gateway<'_>], options: &ProbeOptions) -> Vec<Finding> {
    let plans = plans(gateways);
    let total = plans.len();
    let queue: Arc<Mutex<Vec<(usize, Plan)>>> = Arc::new(Mutex::new(
        plans
            .iter()
            .enumerate()
            .map(|(i, (p, _, _))| (i, p.clone()))
            .rev()
            .collect(),
    ));
    let (sender, results) = mpsc::channel::<(usize, Vec<Outcome>)>();
    for _ in 0..options.concurrency.max(1).min(total) {
        let queue = Arc::clone(&queue);
        let sender = sender.clone();
        let options = options.clone();
        // Detached: a worker stuck in a system call past the deadline is
        // left behind rather than waited for.
        std::thread::spawn(move || {
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop());
                let Some((index, plan)) = next else { break };
                if sender.send((index, check(&plan, &options))).is_err() {
                    break;
                }
            }
        });
    }
    drop(sender);
    let bar = progress_bar(options, total);
    let started = Instant::now();
    let mut done: HashMap<usize, Vec<Outcome>> = HashMap::new();
    while done.len() < total {
        let left = options.deadline.saturating_sub(started.elapsed());
        match results.recv_timeout(left) {
            Ok((index, outcomes)) => {
                done.insert(index, outcomes);
                if let Some(bar) = &bar {
                    bar.inc(1);
                }
            }
            Err(_) => break,
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut findings = Vec::new();
    for (index, (plan, span, via)) in plans.into_iter().enumerate() {
        let outcomes = done.remove(&index).unwrap_or_else(|| {
            vec![Outcome {
                rule: DEADLINE,
                severity: Severity::Warning,
                message: format!("`{}` was not probed before the deadline", plan.address),
                help: "probe fewer targets at once, or allow a longer run".into(),
            }]
        });
        for outcome in outcomes {
            let mut finding = Finding::at(outcome.rule, outcome.severity, span, outcome.message)
                .label("the target probed")
                .help(outcome.help);
            if let Some(via) = via {
                finding = finding.related(via, "the route that uses it");
            }
            findings.push(finding);
        }
    }
    findings
}

/// A bar on stderr once probing has taken a second, on a terminal only.
fn progress_bar(options: &ProbeOptions, total: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !options.progress || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_message("probing backends");
    // Drawn from the second second on: quick runs print nothing.
    bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    let shown = bar.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        if !shown.is_finished() {
            shown.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    });
    Some(bar)
}

fn fail(rule: &'static str, message: String, help: impl Into<String>) -> Vec<Outcome> {
    vec![Outcome {
        rule,
        severity: Severity::Error,
        message,
        help: help.into(),
    }]
}

/// Probes one target, step by step; the first failure ends it.
fn check(plan: &Plan, options: &ProbeOptions) -> Vec<Outcome> {
    let timeout = options.timeout;
    let (host, port) = match &plan.address {
        Address::Unix(path) => return check_unix(plan, path, options),
        Address::Inet { host, port } => (
            host.clone(),
            port.unwrap_or(if plan.tls.is_some() { 443 } else { 80 }),
        ),
    };
    let shown = plan.address.to_string();
    let addresses: Vec<SocketAddr> = if !plan.resolvers.is_empty() && !is_ip(&host) {
        // Resolved per request: by the configured resolver, as nginx does.
        let mut answers = Vec::new();
        let mut failures = Vec::new();
        for &server in &plan.resolvers {
            match dns::resolve(server, &host, timeout) {
                Ok(found) => {
                    answers = found
                        .into_iter()
                        .map(|ip| SocketAddr::new(ip, port))
                        .collect();
                    break;
                }
                Err(why) => failures.push(why),
            }
        }
        if answers.is_empty() {
            return fail(
                DNS,
                format!(
                    "`{host}` does not resolve at the configured resolver: {}",
                    failures.join("; ")
                ),
                "check the name, and that `resolver` names a server that knows it (Docker's is 127.0.0.11)",
            );
        }
        answers
    } else {
        match (host.as_str(), port).to_socket_addrs() {
            Ok(found) => found.collect(),
            Err(e) => {
                return fail(
                    DNS,
                    format!("`{host}` does not resolve ({e})"),
                    "check the name (a typo, a removed record, a container that is not running), or write an address",
                );
            }
        }
    };
    let mut failures = Vec::new();
    let mut stream = None;
    for address in &addresses {
        match TcpStream::connect_timeout(address, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => failures.push((address, connect_error(&e))),
        }
    }
    let Some(mut stream) = stream else {
        // One address: "connect to 10.0.0.5:8080 refused"; a name with
        // several: each address and what happened there.
        let message = match failures.as_slice() {
            [(address, why)] if address.to_string() == shown => format!("connect to {shown} {why}"),
            _ => format!(
                "connect to {shown} failed: {}",
                failures
                    .iter()
                    .map(|(address, why)| format!("{address} {why}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return fail(
            CONNECT,
            message,
            "start the backend, open the firewall, or point the route at where it listens",
        );
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    if let Some(tls) = &plan.tls {
        if let Err(why) = tls::handshake(&mut stream, tls, &host) {
            // Closed first: a backend that handshakes one connection at a
            // time would otherwise stall the retry.
            drop(stream);
            return tls_failure(plan, tls, &host, port, &addresses, why, timeout);
        }
        return Vec::new();
    }
    match plan.kind {
        PassKind::FastCgi => fastcgi(&mut stream, &shown),
        PassKind::Proxy if options.http => http(&mut stream, &shown, &plan.host_header),
        _ => Vec::new(),
    }
}

fn check_unix(plan: &Plan, path: &str, options: &ProbeOptions) -> Vec<Outcome> {
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(mut stream) => {
            let _ = stream.set_read_timeout(Some(options.timeout));
            let _ = stream.set_write_timeout(Some(options.timeout));
            let shown = format!("unix:{path}");
            match plan.kind {
                PassKind::FastCgi => fastcgi(&mut stream, &shown),
                PassKind::Proxy if options.http => http(&mut stream, &shown, &plan.host_header),
                _ => Vec::new(),
            }
        }
        Err(e) => fail(
            CONNECT,
            format!("connect to unix:{path} {}", connect_error(&e)),
            "start the backend that creates this socket, or point the route at the one it creates",
        ),
    }
}

fn connect_error(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "refused",
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => "timed out",
        std::io::ErrorKind::NotFound => "no such socket",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        _ => "failed",
    }
}

/// Why a handshake failed, and whether SNI would have made it succeed.
fn tls_failure(
    plan: &Plan,
    tls: &TlsPlan,
    host: &str,
    port: u16,
    addresses: &[SocketAddr],
    why: String,
    timeout: Duration,
) -> Vec<Outcome> {
    let shown = format!("{host}:{port}");
    if tls.sni.is_none() && !is_ip(host) {
        let with_sni = TlsPlan {
            sni: Some(host.to_string()),
            verify: tls.verify.clone(),
        };
        let retried = addresses
            .first()
            .and_then(|a| TcpStream::connect_timeout(a, timeout).ok())
            .map(|mut s| {
                let _ = s.set_read_timeout(Some(timeout));
                let _ = s.set_write_timeout(Some(timeout));
                tls::handshake(&mut s, &with_sni, host)
            });
        if let Some(Ok(())) = retried {
            return fail(
                TLS,
                format!("TLS handshake to {shown} failed without SNI; it succeeds with SNI"),
                match plan.kind {
                    PassKind::Grpc => "set `grpc_ssl_server_name on;`",
                    _ => {
                        "set `proxy_ssl_server_name on;` (and `proxy_ssl_name` if the certificate's name differs)"
                    }
                },
            );
        }
    }
    fail(
        TLS,
        format!("TLS handshake to {shown} failed: {why}"),
        "check that the port speaks TLS, and the certificate settings (`proxy_ssl_trusted_certificate`, `proxy_ssl_name`)",
    )
}

/// Asks a FastCGI backend for its limits (`FCGI_GET_VALUES`); anything but
/// a FastCGI record back means it does not speak FastCGI.
fn fastcgi(stream: &mut (impl Read + Write), shown: &str) -> Vec<Outcome> {
    // version 1, type 9 (GET_VALUES), request 0, no content.
    let request = [1u8, 9, 0, 0, 0, 0, 0, 0];
    let mut header = [0u8; 8];
    let answered = stream
        .write_all(&request)
        .and_then(|_| stream.read_exact(&mut header));
    match answered {
        Ok(()) if header[0] == 1 && header[1] == 10 => Vec::new(),
        Ok(()) if header.starts_with(b"HTTP/") => fail(
            PROTOCOL,
            format!("{shown} answers HTTP, not FastCGI"),
            "use `proxy_pass http://…` (or `http://` in Apache) for an HTTP backend, or point FastCGI at php-fpm",
        ),
        Ok(()) => fail(
            PROTOCOL,
            format!("{shown} does not answer FastCGI"),
            "point FastCGI at php-fpm's port or socket",
        ),
        Err(e) => fail(
            PROTOCOL,
            format!("{shown} gave no FastCGI answer ({})", describe_read(&e)),
            "point FastCGI at php-fpm's port or socket",
        ),
    }
}

/// `HEAD /` with the Host the server would send; the reply must be HTTP.
fn http(stream: &mut (impl Read + Write), shown: &str, host: &str) -> Vec<Outcome> {
    let request = format!(
        "HEAD / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: gatelint-probe\r\nConnection: close\r\n\r\n"
    );
    let mut reply = [0u8; 5];
    let answered = stream
        .write_all(request.as_bytes())
        .and_then(|_| stream.read_exact(&mut reply));
    match answered {
        Ok(()) if &reply == b"HTTP/" => Vec::new(),
        Ok(()) if reply[0] == 1 => fail(
            PROTOCOL,
            format!("{shown} answers FastCGI, not HTTP"),
            "use `fastcgi_pass` (or `fcgi://`) for php-fpm",
        ),
        Ok(()) if reply[0] == 0x15 || reply[0] == 0x16 => fail(
            PROTOCOL,
            format!("{shown} answers TLS, not plain HTTP"),
            "use `https://` for a TLS port",
        ),
        Ok(()) => fail(
            PROTOCOL,
            format!("{shown} does not answer HTTP"),
            "point the route at the application's HTTP port",
        ),
        Err(e) => fail(
            PROTOCOL,
            format!("{shown} gave no HTTP answer ({})", describe_read(&e)),
            "point the route at the application's HTTP port",
        ),
    }
}

fn describe_read(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => "no reply in time".into(),
        std::io::ErrorKind::UnexpectedEof => "it closed the connection".into(),
        std::io::ErrorKind::ConnectionReset => "it reset the connection".into(),
        _ => e.to_string(),
    }
}
