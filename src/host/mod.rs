//! `--host`: checks the configuration against the machine that will run
//! it, without sending anything over the network: unix sockets (there, a
//! socket, accepting, writable by the worker user), TCP targets on this
//! machine's own addresses (something listens, on that address family),
//! php-fpm pools (one listens where the route points, and lets the worker
//! user in), and the worker user itself.

pub mod compose;
pub mod phpfpm;
pub mod system;

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::finding::{Finding, Severity};
use crate::model::expand::ItemId;
use crate::model::target::{Address, PassKind};
use crate::model::{Gateway, Target};
use crate::source::Span;
use crate::syntax::Dialect;
use phpfpm::{Listen, Pool};
use system::{System, User, accepts};

pub const NOTHING_LISTENS: &str = "host-nothing-listens";
pub const UNIX_SOCKET: &str = "host-unix-socket";
pub const PHP_FPM_POOL: &str = "host-php-fpm-pool";
pub const WORKER_USER: &str = "host-worker-user";
pub const COMPOSE_SERVICE: &str = "host-compose-service";

#[derive(Clone, Debug, Default)]
pub struct HostOptions {
    /// Pool files or directories (`--php-fpm`); none: the distribution's.
    pub php_fpm: Vec<PathBuf>,
    pub system: System,
    /// `--compose FILE`: its name as given, and its project.
    pub compose: Option<(String, compose::Project)>,
    /// Check this machine (`--host`); without it only the compose project.
    pub machine: bool,
}

/// A backend a route reaches, at the argument that names it.
struct Backend {
    address: Address,
    span: Span,
    kind: PassKind,
    /// The route's own directive when the backend is an upstream member.
    via: Option<Span>,
    dialect: Dialect,
}

impl Backend {
    /// The error-log line for a failed connect, nginx's or httpd's.
    fn log(&self, errno: u32, reason: &str) -> String {
        match (self.dialect, &self.address) {
            (Dialect::Nginx, Address::Unix(path)) => format!(
                "[crit] connect() to unix:{path} failed ({errno}: {reason}) while connecting to upstream"
            ),
            (Dialect::Nginx, address) => format!(
                "[error] connect() failed ({errno}: {reason}) while connecting to upstream, upstream: \"{address}\""
            ),
            (Dialect::Apache, Address::Unix(path)) => format!(
                "[proxy:error] ({errno}){reason}: AH02454: FCGI: attempt to connect to Unix domain socket {path} failed"
            ),
            (Dialect::Apache, address) => format!(
                "[proxy:error] ({errno}){reason}: AH00957: http: attempt to connect to {address} ({address}) failed"
            ),
        }
    }
}

fn backends(g: &Gateway<'_>) -> Vec<Backend> {
    let mut out = Vec::new();
    for route in &g.routes {
        match &route.target {
            Target::Address(address) => out.push(Backend {
                address: address.clone(),
                span: g.x.arg_span(route.item, route.url_arg),
                kind: route.kind,
                via: None,
                dialect: g.dialect(),
            }),
            Target::Upstream(_) => {
                for server in g.upstream_of(route).into_iter().flat_map(|u| &u.servers) {
                    let arg = server.apache.as_ref().map_or(0, |w| w.url_arg);
                    out.push(Backend {
                        address: server.address.clone(),
                        span: g.x.arg_span(server.item, arg),
                        kind: route.kind,
                        via: Some(g.x.arg_span(route.item, route.url_arg)),
                        dialect: g.dialect(),
                    });
                }
            }
            _ => {}
        }
    }
    // One finding per place, however many routes use it.
    let mut seen = HashSet::new();
    out.retain(|b| seen.insert(b.span));
    out
}

/// The user the workers run as, and the directive that says so.
fn worker_user(g: &Gateway<'_>) -> (String, Option<ItemId>) {
    match g.dialect() {
        Dialect::Nginx => match g.x.find(None, "user") {
            Some(item) => (
                g.x.value(item, 0).unwrap_or("nobody").to_string(),
                Some(item),
            ),
            // nginx's built-in default.
            None => ("nobody".to_string(), None),
        },
        Dialect::Apache => {
            let item = g.x.all().find(|&i| g.x.name(i) == "user");
            let name = item
                .and_then(|i| g.x.value(i, 0))
                .map(|v| g.config().apache.substitute(v))
                .unwrap_or_else(|| "www-data".to_string());
            (name, item)
        }
    }
}

pub fn check(gateways: &[Gateway<'_>], options: &HostOptions) -> Vec<Finding> {
    let system = &options.system;
    let listeners = system.tcp_listeners();
    let own = system.own_addresses();
    let hosts = etc_hosts(system);
    let hostname = system.hostname();
    let pool_files = if options.php_fpm.is_empty() {
        phpfpm::default_pool_files(&system.root)
    } else {
        options.php_fpm.clone()
    };
    let (pools, _) = phpfpm::read_pools(&pool_files);
    let mut findings = Vec::new();
    if !options.machine {
        for g in gateways {
            for backend in backends(g) {
                if let (Address::Inet { host, port }, Some((file, project))) =
                    (&backend.address, &options.compose)
                {
                    let port = port.or((backend.kind == PassKind::Proxy).then_some(80));
                    findings.extend(compose_service(&backend, host, port, file, project));
                }
            }
        }
        return findings;
    }
    for g in gateways {
        let (user_name, user_item) = worker_user(g);
        let user = system.user(&user_name);
        if user.is_none() {
            if let Some(item) = user_item {
                findings.push(
                    Finding::at(
                        WORKER_USER,
                        Severity::Error,
                        g.x.arg_span(item, 0),
                        format!("user `{user_name}` does not exist on this machine"),
                    )
                    .label("the workers are to run as this user")
                    .help("create the user, or name one that exists (`www-data` on Debian, `nginx` or `apache` on RHEL)")
                    .log(match g.dialect() {
                        Dialect::Nginx => format!("[emerg] getpwnam(\"{user_name}\") failed"),
                        Dialect::Apache => format!("AH00543: apache2: bad user name {user_name}"),
                    }),
                );
            }
        }
        for backend in backends(g) {
            let on_this_machine = match &backend.address {
                Address::Unix(path) => {
                    let path = socket_path(g, path);
                    findings.extend(unix_socket(
                        system,
                        &backend,
                        &path,
                        user.as_ref(),
                        &user_name,
                    ));
                    true
                }
                Address::Inet { host, port } => {
                    let port = port.or((backend.kind == PassKind::Proxy).then_some(80));
                    if let Some((file, project)) = &options.compose {
                        findings.extend(compose_service(&backend, host, port, file, project));
                    }
                    let addresses = local_addresses(host, &hosts, &hostname, &own);
                    if let (Some(port), false) = (port, addresses.is_empty()) {
                        findings.extend(tcp_listener(&backend, host, port, &addresses, &listeners));
                    }
                    !addresses.is_empty()
                }
            };
            if on_this_machine && backend.kind == PassKind::FastCgi && !pools.is_empty() {
                findings.extend(pool_for(
                    system,
                    &backend,
                    &pools,
                    user.as_ref(),
                    &user_name,
                ));
            }
        }
    }
    findings
}

/// A backend host in a compose project: a service (or alias) of it, on a
/// port that service listens on.
fn compose_service(
    backend: &Backend,
    host: &str,
    port: Option<u16>,
    file: &str,
    project: &compose::Project,
) -> Option<Finding> {
    if host.parse::<IpAddr>().is_ok() || host.eq_ignore_ascii_case("localhost") {
        return None;
    }
    let finding = |message: String, help: String| {
        let mut f = Finding::at(COMPOSE_SERVICE, Severity::Error, backend.span, message)
            .label("the backend's host and port")
            .help(help)
            .log(match backend.dialect {
                Dialect::Nginx => format!("[emerg] host not found in upstream \"{host}\""),
                Dialect::Apache => format!("AH00898: DNS lookup failure for: {host}"),
            });
        if let Some(via) = backend.via {
            f = f.related(via, "the route that uses it");
        }
        f
    };
    let Some(&index) = project.names.get(host) else {
        // A dotted name is outside the project; a bare one must be in it.
        if host.contains('.') {
            return None;
        }
        let closest = crate::rules::closest(host, project.names.keys().map(String::as_str));
        return Some(finding(
            format!("`{host}` is not a service of {file}"),
            match closest {
                Some(name) => format!("did you mean `{name}`?"),
                None => format!(
                    "its services are {}",
                    project
                        .services
                        .iter()
                        .map(|s| format!("`{}`", s.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
        ));
    };
    let service = &project.services[index];
    let listens = project.listens(service);
    let port = port?;
    if listens.is_empty() || listens.contains(&port) {
        return None;
    }
    let ports = listens
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    Some(finding(
        format!(
            "service `{}` of {file} listens on {ports}, not {port}",
            service.name
        ),
        format!(
            "use the port inside the container (`{host}:{}`), not one published on the host",
            listens.iter().next().copied().unwrap_or(port)
        ),
    ))
}

/// httpd resolves a relative socket path against ServerRoot.
fn socket_path(g: &Gateway<'_>, written: &str) -> PathBuf {
    let path = Path::new(written);
    if path.is_relative() && g.dialect() == Dialect::Apache {
        g.config().prefix.join(path)
    } else {
        path.to_path_buf()
    }
}

/// Names in `/etc/hosts`, with their addresses.
fn etc_hosts(system: &System) -> HashMap<String, Vec<IpAddr>> {
    let text = std::fs::read_to_string(system.path(Path::new("/etc/hosts"))).unwrap_or_default();
    let mut out: HashMap<String, Vec<IpAddr>> = HashMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let Some(Ok(address)) = fields.next().map(str::parse::<IpAddr>) else {
            continue;
        };
        for name in fields {
            out.entry(name.to_ascii_lowercase())
                .or_default()
                .push(address);
        }
    }
    out
}

/// The addresses of `host` that are this machine's own; empty when the
/// host is elsewhere (or only a DNS lookup could tell, which `--host` does
/// not make).
fn local_addresses(
    host: &str,
    hosts: &HashMap<String, Vec<IpAddr>>,
    hostname: &str,
    own: &HashSet<IpAddr>,
) -> Vec<IpAddr> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let candidates: Vec<IpAddr> = if let Ok(ip) = host.parse::<IpAddr>() {
        vec![ip]
    } else if let Some(listed) = hosts.get(&host.to_ascii_lowercase()) {
        listed.clone()
    } else if host.eq_ignore_ascii_case("localhost") {
        vec!["127.0.0.1".parse().unwrap_or(IpAddr::from([127, 0, 0, 1]))]
    } else if !hostname.is_empty() && host.eq_ignore_ascii_case(hostname) {
        own.iter().copied().filter(|a| !a.is_loopback()).collect()
    } else {
        Vec::new()
    };
    candidates
        .into_iter()
        .filter(|a| a.is_loopback() || own.contains(a))
        .collect()
}

fn show(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        IpAddr::V4(v4) => format!("{v4}:{port}"),
    }
}

fn tcp_listener(
    backend: &Backend,
    host: &str,
    port: u16,
    addresses: &[IpAddr],
    listeners: &HashSet<(IpAddr, u16)>,
) -> Option<Finding> {
    let listening = |ip: IpAddr| {
        listeners
            .iter()
            .any(|&(bound, p)| p == port && accepts(bound, ip))
    };
    let silent: Vec<IpAddr> = addresses
        .iter()
        .copied()
        .filter(|&a| !listening(a))
        .collect();
    if silent.is_empty() {
        return None;
    }
    let elsewhere: Vec<String> = listeners
        .iter()
        .filter(|(bound, p)| *p == port && !addresses.iter().any(|&a| accepts(*bound, a)))
        .map(|&(bound, p)| show(bound, p))
        .collect();
    let quiet = silent
        .iter()
        .map(|&a| show(a, port))
        .collect::<Vec<_>>()
        .join(" and ");
    let (severity, message) = if silent.len() == addresses.len() {
        (Severity::Error, format!("nothing listens on {quiet}"))
    } else {
        (
            Severity::Warning,
            format!("nothing listens on {quiet}, one of the addresses of `{host}`"),
        )
    };
    let message = match elsewhere.first() {
        Some(other) => format!("{message}, but {other} does"),
        None => message,
    };
    let mut finding = Finding::at(NOTHING_LISTENS, severity, backend.span, message)
        .label("the backend this sends requests to")
        .help(match elsewhere.first() {
            Some(other) => {
                format!("point the route at {other}, or make the backend listen on {quiet}")
            }
            None => "start the backend, or point the route at the port it listens on".to_string(),
        })
        .log(backend.log(111, "Connection refused"));
    if let Some(via) = backend.via {
        finding = finding.related(via, "the route that uses it");
    }
    Some(finding)
}

/// Whether `user` may do what `bits` (owner, group, other masks) allow on
/// a file with this metadata.
fn allowed(meta: &std::fs::Metadata, user: &User, bits: [u32; 3]) -> bool {
    let mode = meta.mode();
    user.uid == 0
        || (meta.uid() == user.uid && mode & bits[0] != 0)
        || (meta.uid() != user.uid && user.groups.contains(&meta.gid()) && mode & bits[1] != 0)
        || (meta.uid() != user.uid && !user.groups.contains(&meta.gid()) && mode & bits[2] != 0)
}

fn unix_socket(
    system: &System,
    backend: &Backend,
    path: &Path,
    user: Option<&User>,
    user_name: &str,
) -> Option<Finding> {
    let shown = path.display();
    let finding = |severity, message: String, label: &str, help: String| {
        let mut f = Finding::at(UNIX_SOCKET, severity, backend.span, message)
            .label(label)
            .help(help);
        if let Some(via) = backend.via {
            f = f.related(via, "the route that uses it");
        }
        f
    };
    let real = system.path(path);
    let meta = match std::fs::metadata(&real) {
        Ok(meta) => meta,
        Err(_) => {
            let siblings = sibling_sockets(&real);
            let help = match siblings.first() {
                Some(other) => format!(
                    "`{other}` exists beside it: point the route there, or start the backend that creates `{shown}`"
                ),
                None => "start the backend (php-fpm creates its socket when it starts), or point the route at the socket it creates".to_string(),
            };
            let message = match siblings.first() {
                Some(other) => format!("`{shown}` does not exist, but `{other}` does"),
                None => format!("`{shown}` does not exist"),
            };
            return Some(
                finding(Severity::Error, message, "no socket here", help)
                    .log(backend.log(2, "No such file or directory")),
            );
        }
    };
    if !meta.file_type().is_socket() {
        return Some(finding(
            Severity::Error,
            format!("`{shown}` is not a socket"),
            "a file, not a listening socket",
            "point the route at the backend's socket".to_string(),
        ));
    }
    if let Some(user) = user {
        // Every directory on the way must be searchable, the socket writable.
        for dir in real.ancestors().skip(1) {
            if let Ok(dir_meta) = std::fs::metadata(dir) {
                if !allowed(&dir_meta, user, [0o100, 0o010, 0o001]) {
                    return Some(
                        finding(
                            Severity::Error,
                            format!("user `{user_name}` cannot reach `{shown}`: `{}` is not searchable for it", dir.display()),
                            "the workers cannot open this socket",
                            format!("let `{user_name}` search `{}` (its group, or `o+x`)", dir.display()),
                        )
                        .log(backend.log(13, "Permission denied")),
                    );
                }
            }
        }
        if !allowed(&meta, user, [0o200, 0o020, 0o002]) {
            return Some(
                finding(
                    Severity::Error,
                    format!(
                        "user `{user_name}` may not write to `{shown}` (mode {:o}, owner {}, group {})",
                        meta.mode() & 0o777,
                        system.user_name(meta.uid()),
                        system.group_name(meta.gid())
                    ),
                    "the workers cannot connect to this socket",
                    format!("make `{user_name}` the socket's owner or put it in its group (php-fpm: `listen.owner`, `listen.group`, `listen.mode = 0660`)"),
                )
                .log(backend.log(13, "Permission denied")),
            );
        }
    }
    match std::os::unix::net::UnixStream::connect(&real) {
        Ok(_) => None,
        Err(e) => Some(
            finding(
                Severity::Error,
                format!("`{shown}` does not accept connections ({e})"),
                "a socket nothing listens on",
                "the backend that created it has stopped: restart it".to_string(),
            )
            .log(backend.log(111, "Connection refused")),
        ),
    }
}

/// Other php-fpm sockets in the socket's directory (another PHP version).
fn sibling_sockets(path: &Path) -> Vec<String> {
    let Some(dir) = path.parent() else {
        return Vec::new();
    };
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_socket()))
                .map(|e| e.path())
                .filter(|p| p != path)
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    name.contains("fpm") || name.contains("php")
                })
                .map(|p| p.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// The php-fpm pool a FastCGI backend should be: one must listen there,
/// let the worker user use its socket, and have more than the default 5
/// workers.
fn pool_for(
    system: &System,
    backend: &Backend,
    pools: &[Pool],
    user: Option<&User>,
    user_name: &str,
) -> Vec<Finding> {
    let matches = |pool: &Pool| {
        let Some(listen) = pool
            .listen
            .as_ref()
            .and_then(|(l, _)| phpfpm::parse_listen(l))
        else {
            return false;
        };
        match (&backend.address, listen) {
            (Address::Unix(path), Listen::Socket(socket)) => Path::new(path) == Path::new(&socket),
            (
                Address::Inet {
                    host,
                    port: Some(p),
                },
                Listen::Tcp(bound, q),
            ) => {
                *p == q
                    && bound.as_deref().is_none_or(|b| {
                        b == host
                            || crate::model::target::is_loopback(b)
                                && crate::model::target::is_loopback(host)
                    })
            }
            _ => false,
        }
    };
    let where_is = |pool: &Pool| {
        format!(
            "pool `{}` ({}:{})",
            pool.name,
            pool.file.display(),
            pool.listen.as_ref().map_or(pool.line, |(_, l)| *l)
        )
    };
    let Some(pool) = pools.iter().find(|p| matches(p)) else {
        let others: Vec<String> = pools
            .iter()
            .filter_map(|p| {
                p.listen
                    .as_ref()
                    .map(|(l, _)| format!("{} listens on `{l}`", where_is(p)))
            })
            .take(3)
            .collect();
        let mut finding = Finding::at(
            PHP_FPM_POOL,
            Severity::Error,
            backend.span,
            format!("no php-fpm pool listens on `{}`", backend.address),
        )
        .label("FastCGI requests go here")
        .help(if others.is_empty() {
            "add a pool that listens here".to_string()
        } else {
            format!("{}; point the route at one of them", others.join("; "))
        });
        if let Some(via) = backend.via {
            finding = finding.related(via, "the route that uses it");
        }
        return vec![finding];
    };
    let mut findings = Vec::new();
    // A socket that exists was judged by its own owner and mode; the pool's
    // settings speak for one php-fpm has not created yet.
    let socket_exists =
        matches!(&backend.address, Address::Unix(path) if system.path(Path::new(path)).exists());
    if let (Some(user), Address::Unix(_), false) = (user, &backend.address, socket_exists) {
        let may = if !pool.acl_users.is_empty() || !pool.acl_groups.is_empty() {
            pool.acl_users.iter().any(|u| u == user_name)
                || pool
                    .acl_groups
                    .iter()
                    .filter_map(|g| system.group_id(g))
                    .any(|gid| user.groups.contains(&gid))
        } else {
            let mode = pool.mode.unwrap_or(0o660);
            let owner = pool.owner.as_deref().and_then(|o| system.user_id(o));
            let group = pool.group.as_deref().and_then(|g| system.group_id(g));
            user.uid == 0
                || (owner == Some(user.uid) && mode & 0o200 != 0)
                || (group.is_some_and(|g| user.groups.contains(&g)) && mode & 0o020 != 0)
                || mode & 0o002 != 0
        };
        if !may {
            findings.push(
                Finding::at(
                    PHP_FPM_POOL,
                    Severity::Error,
                    backend.span,
                    format!("{} does not let `{user_name}` use its socket", where_is(pool)),
                )
                .label("the workers cannot connect here")
                .help(format!(
                    "set `listen.owner = {user_name}` and `listen.group = {user_name}` (or `listen.acl_users`) in that pool"
                ))
                .log(backend.log(13, "Permission denied")),
            );
        }
    }
    if pool.max_children.is_none_or(|(n, _)| n <= 5) {
        findings.push(
            Finding::at(
                PHP_FPM_POOL,
                Severity::Info,
                backend.span,
                format!("{} has `pm.max_children` at 5", where_is(pool)),
            )
            .label("at most five PHP requests at a time")
            .help("five is php-fpm's packaged default: size `pm.max_children` to the memory the host has (a sixth concurrent request waits, then times out with 502/504)")
            .log("WARNING: [pool www] server reached pm.max_children setting (5), consider raising it"),
        );
    }
    findings
}
