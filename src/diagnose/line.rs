//! Reading one error-log line, nginx's or httpd's: whether it means a
//! 502/503/504 or a refused start, and what it names (the backend, the
//! server, the request). Lines that mean nothing of the kind are `None`.

use std::collections::HashMap;

use super::cause::Cause;
use crate::syntax::Dialect;

/// What a log line points at.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogTarget {
    /// `host:port` (the port when the line gives one).
    Address {
        host: String,
        port: Option<u16>,
    },
    Unix(String),
    /// An nginx `upstream` or an httpd `balancer://` name.
    Pool(String),
    /// A host name that did not resolve.
    Name(String),
    /// A place in the configuration the server itself named.
    Directive {
        file: String,
        line: usize,
    },
    Unknown,
}

impl std::fmt::Display for LogTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LogTarget::Address {
                host,
                port: Some(p),
            } if host.contains(':') => {
                write!(f, "[{host}]:{p}")
            }
            LogTarget::Address {
                host,
                port: Some(p),
            } => write!(f, "{host}:{p}"),
            LogTarget::Address { host, port: None } => f.write_str(host),
            LogTarget::Unix(path) => write!(f, "unix:{path}"),
            LogTarget::Pool(name) | LogTarget::Name(name) => f.write_str(name),
            LogTarget::Directive { file, line } => write!(f, "{file}:{line}"),
            LogTarget::Unknown => f.write_str("(not named)"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Event {
    pub dialect: Dialect,
    pub cause: Cause,
    pub target: LogTarget,
    pub time: String,
    /// nginx's `server:` (the `server_name` that took the request).
    pub server: Option<String>,
    /// The client's Host header.
    pub host: Option<String>,
    /// The request line, or (httpd) the path.
    pub request: Option<String>,
    /// The request's path.
    pub path: Option<String>,
    /// For a refused start: what the server said.
    pub detail: Option<String>,
}

/// Reads lines one at a time; keeps the little state httpd's multi-line
/// failures need (the backend named on one line, the reason on the next).
#[derive(Default)]
pub struct LineReader {
    /// httpd: per `pid:tid`, the backend its last proxy line named and a
    /// cause a lower-level line (mod_ssl's) already gave.
    apache_context: HashMap<String, (Option<LogTarget>, Option<Cause>)>,
}

impl LineReader {
    pub fn read(&mut self, line: &str) -> Option<Event> {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.starts_with('[') || line.starts_with("AH") {
            self.apache(line)
        } else if line.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            nginx(line)
        } else {
            None
        }
    }

    fn apache(&mut self, line: &str) -> Option<Event> {
        let time = match line.strip_prefix('[') {
            Some(rest) => rest[..rest.find(']')?].to_string(),
            None => String::new(),
        };
        let code_at = ah_code(line)?;
        let code = &line[code_at..code_at + 7];
        let message = line[code_at + 7..].trim_start_matches(':').trim();
        let errno = apache_errno(line);
        let thread = between(line, "[pid ", "]").unwrap_or_default().to_string();
        let path = |marker: &str| {
            message
                .split_once(marker)
                .map(|(_, rest)| rest.split_whitespace().next().unwrap_or("").to_string())
        };
        let mut context_target = None;
        let (cause, target, request) = match code {
            "AH00957" => {
                // `http: attempt to connect to 10.0.0.5:8080 (api.internal:8080) failed`
                let named = between(message, "(", ")").map(parse_authority);
                let cause = if errno == Some(110) || errno == Some(70007) {
                    Cause::ConnectTimeout
                } else {
                    Cause::ConnectRefused
                };
                (cause, named.unwrap_or(LogTarget::Unknown), None)
            }
            "AH00940" => (
                Cause::WorkerInRetry,
                between(message, "disabled connection for (", ")")
                    .map(parse_authority)
                    .unwrap_or(LogTarget::Unknown),
                None,
            ),
            "AH01102" => {
                let target = message
                    .rsplit_once("remote server ")
                    .map(|(_, a)| parse_authority(a.trim()))
                    .unwrap_or(LogTarget::Unknown);
                let cause = match errno {
                    Some(70007) => Cause::ReadTimeout,
                    Some(104) => Cause::ConnectionReset,
                    _ => Cause::PrematureClose,
                };
                (cause, target, None)
            }
            "AH01084" | "AH01097" => {
                // `pass request body failed to 127.0.0.1:8443 (localhost)`:
                // names the backend for the handshake line that follows.
                if let Some(address) = message
                    .split_once("failed to ")
                    .and_then(|(_, rest)| rest.split_whitespace().next())
                {
                    let entry = self.apache_context.entry(thread.clone()).or_default();
                    entry.0 = Some(parse_authority(address));
                }
                return None;
            }
            "AH02411" => {
                // mod_ssl at `info`: the handshake line after it is this.
                self.apache_context.entry(thread.clone()).or_default().1 = Some(Cause::TlsPeerName);
                return None;
            }
            "AH00898" if message.contains("SSL Handshake") => {
                let (target, refined) = self.apache_context.remove(&thread).unwrap_or_default();
                context_target = target;
                (
                    refined.unwrap_or(Cause::TlsHandshake),
                    LogTarget::Unknown,
                    path("returned by "),
                )
            }
            "AH01170" => (
                Cause::NoLiveUpstreams,
                message
                    .split_once(": ")
                    .map(|(name, _)| name)
                    .filter(|n| n.starts_with("balancer://"))
                    .map(|n| LogTarget::Pool(n.to_string()))
                    .unwrap_or(LogTarget::Unknown),
                None,
            ),
            "AH01144" => (
                Cause::ModuleMissing,
                LogTarget::Unknown,
                path("for the URL "),
            ),
            "AH01068" => (Cause::FastCgiVersion, LogTarget::Unknown, None),
            "AH01075" if errno == Some(70007) => (Cause::FastCgiTimeout, LogTarget::Unknown, None),
            "AH02454" => {
                let socket = between(message, "Unix domain socket ", " (")
                    .map(|p| LogTarget::Unix(p.to_string()))
                    .unwrap_or(LogTarget::Unknown);
                let cause = match errno {
                    Some(2) => Cause::SocketMissing,
                    Some(13) => Cause::SocketPermission,
                    Some(11) => Cause::SocketBusy,
                    _ => Cause::ConnectRefused,
                };
                (cause, socket, None)
            }
            "AH10124" => (Cause::HeaderTooBig, LogTarget::Unknown, None),
            "AH00961" => (
                Cause::TlsEngineOff,
                message
                    .split_once("support for ")
                    .and_then(|(_, rest)| rest.split_whitespace().next())
                    .map(parse_authority)
                    .unwrap_or(LogTarget::Unknown),
                None,
            ),
            "AH00484" => (Cause::WorkersExhausted, LogTarget::Unknown, None),
            "AH00526" => {
                // `Syntax error on line 2 of /etc/apache2/sites-enabled/x.conf:`
                let line_no = between(message, "on line ", " of ")?.parse().ok()?;
                let file = message
                    .split_once(" of ")?
                    .1
                    .split_once(':')
                    .map_or(message, |(f, _)| f)
                    .to_string();
                return Some(Event {
                    dialect: Dialect::Apache,
                    cause: Cause::RefusedToStart,
                    target: LogTarget::Directive {
                        file,
                        line: line_no,
                    },
                    time,
                    server: None,
                    host: None,
                    request: None,
                    path: None,
                    detail: message.split_once(": ").map(|(_, d)| d.to_string()),
                });
            }
            _ => return None,
        };
        let target = match (target, context_target) {
            (LogTarget::Unknown, Some(found)) => found,
            (target, _) => target,
        };
        Some(Event {
            dialect: Dialect::Apache,
            cause,
            target,
            time,
            server: None,
            host: None,
            path: request.clone(),
            request,
            detail: None,
        })
    }
}

/// nginx: `2026/11/23 13:57:16 [error] 1#1: *2 MESSAGE, client: …, server:
/// …, request: "…", upstream: "…", host: "…"`.
fn nginx(line: &str) -> Option<Event> {
    let (time, rest) = line.split_at_checked(19)?;
    let rest = rest.trim_start();
    let level_end = rest.find(']')?;
    let level = rest.get(1..level_end)?;
    if matches!(level, "debug" | "info" | "notice") {
        return None;
    }
    let rest = &rest[level_end + 1..];
    // After `PID#TID: ` and an optional `*CONN `.
    let message = rest.split_once(": ").map_or(rest, |(_, m)| m);
    let message = match message.strip_prefix('*') {
        Some(m) => m.split_once(' ').map_or(m, |(_, m)| m),
        None => message,
    };
    let field = |name: &str| -> Option<String> {
        let at = message.find(&format!(", {name}: "))?;
        let value = &message[at + name.len() + 4..];
        let value = match value.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next().unwrap_or(""),
            None => value.split(", ").next().unwrap_or(""),
        };
        (!value.is_empty()).then(|| value.to_string())
    };
    let upstream = field("upstream");
    let socket = message
        .split_once("connect() to unix:")
        .map(|(_, rest)| rest.split(" failed").next().unwrap_or("").to_string());
    let has = |needle: &str| message.contains(needle);
    let cause = if level == "emerg" {
        Cause::RefusedToStart
    } else if has("no live upstreams") {
        Cause::NoLiveUpstreams
    } else if has("upstream timed out") && has("while connecting to upstream") {
        Cause::ConnectTimeout
    } else if has("upstream timed out") {
        if upstream
            .as_deref()
            .is_some_and(|u| u.starts_with("fastcgi://"))
        {
            Cause::FastCgiTimeout
        } else {
            Cause::ReadTimeout
        }
    } else if socket.is_some() && has("(2: No such file or directory)") {
        Cause::SocketMissing
    } else if socket.is_some() && has("(13: Permission denied)") {
        Cause::SocketPermission
    } else if socket.is_some() && has("(11: Resource temporarily unavailable)") {
        Cause::SocketBusy
    } else if has("(111: Connection refused)") && has("connect") {
        Cause::ConnectRefused
    } else if has("upstream sent too big header") {
        Cause::HeaderTooBig
    } else if has("unsupported FastCGI protocol version") {
        Cause::FastCgiVersion
    } else if has("upstream sent no valid HTTP/1.0 header") || has("upstream sent invalid header") {
        Cause::InvalidHeader
    } else if has("upstream prematurely closed connection") {
        Cause::PrematureClose
    } else if has("(104: Connection reset by peer)") && upstream.is_some() {
        Cause::ConnectionReset
    } else if has("no resolver defined to resolve") {
        Cause::NoResolver
    } else if has("could not be resolved") {
        Cause::NameNotResolved
    } else if has("SSL_do_handshake() failed") && has("unrecognized name") {
        Cause::TlsSniRequired
    } else if has("SSL_do_handshake() failed") {
        Cause::TlsHandshake
    } else if has("upstream SSL certificate") {
        Cause::TlsVerify
    } else if has("worker_connections are not enough") {
        Cause::WorkersExhausted
    } else {
        return None;
    };
    let target = if cause == Cause::RefusedToStart {
        // `… in /etc/nginx/conf.d/app.conf:12`
        let (file, line_no) = message.rsplit_once(" in ")?.1.rsplit_once(':')?;
        LogTarget::Directive {
            file: file.to_string(),
            line: line_no.trim().parse().ok()?,
        }
    } else if let Some(path) = socket {
        LogTarget::Unix(path)
    } else if cause == Cause::NoResolver {
        LogTarget::Name(
            message
                .split_once("resolve ")
                .map(|(_, n)| n.split([',', ' ']).next().unwrap_or("").to_string())
                .unwrap_or_default(),
        )
    } else if cause == Cause::NameNotResolved {
        LogTarget::Name(message.split_whitespace().next().unwrap_or("").to_string())
    } else if let Some(url) = &upstream {
        let authority = url
            .split_once("://")
            .map_or(url.as_str(), |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or("");
        match parse_authority(authority) {
            LogTarget::Address { host, port: None } if cause == Cause::NoLiveUpstreams => {
                LogTarget::Pool(host)
            }
            other => other,
        }
    } else {
        LogTarget::Unknown
    };
    let request = field("request");
    let path = request
        .as_deref()
        .and_then(|r| r.split_whitespace().nth(1))
        .map(|p| p.split('?').next().unwrap_or(p).to_string());
    let detail = (cause == Cause::RefusedToStart).then(|| {
        message
            .rsplit_once(" in ")
            .map_or(message, |(m, _)| m)
            .to_string()
    });
    Some(Event {
        dialect: Dialect::Nginx,
        cause,
        target,
        time: time.to_string(),
        server: field("server"),
        host: field("host"),
        request,
        path,
        detail,
    })
}

/// `127.0.0.1:8080`, `[::1]:8080`, `api.internal`, `unix:/run/x.sock:`.
fn parse_authority(text: &str) -> LogTarget {
    let text = text.trim().trim_end_matches(':');
    if let Some(path) = text.strip_prefix("unix:") {
        return LogTarget::Unix(path.to_string());
    }
    if let Some(rest) = text.strip_prefix('[') {
        if let Some((host, after)) = rest.split_once(']') {
            return LogTarget::Address {
                host: host.to_string(),
                port: after.strip_prefix(':').and_then(|p| p.parse().ok()),
            };
        }
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(port) => LogTarget::Address {
                host: host.to_string(),
                port: Some(port),
            },
            Err(_) => LogTarget::Address {
                host: text.to_string(),
                port: None,
            },
        },
        _ => LogTarget::Address {
            host: text.to_string(),
            port: None,
        },
    }
}

/// Where `AHnnnnn` starts.
fn ah_code(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(at) = line[from..].find("AH").map(|i| i + from) {
        if bytes.len() >= at + 7 && bytes[at + 2..at + 7].iter().all(u8::is_ascii_digit) {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

/// httpd's `(111)Connection refused: ` before the message.
fn apache_errno(line: &str) -> Option<u32> {
    let at = line.find("] (")?;
    let rest = &line[at + 3..];
    rest[..rest.find(')')?].parse().ok()
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Event {
        LineReader::default().read(line).expect("a failure line")
    }

    #[test]
    fn nginx_lines() {
        let e = read(
            r#"2026/11/23 14:13:32 [error] 25584#25584: *2 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 127.0.0.1, server: shop.example.com, request: "GET /api/x?y=1 HTTP/1.1", upstream: "http://127.0.0.1:40387/api/", host: "shop.example.com""#,
        );
        assert_eq!(e.cause, Cause::ConnectionReset);
        assert_eq!(
            e.target,
            LogTarget::Address {
                host: "127.0.0.1".into(),
                port: Some(40387)
            }
        );
        assert_eq!(e.server.as_deref(), Some("shop.example.com"));
        assert_eq!(e.path.as_deref(), Some("/api/x"));
        let e = read(
            r#"2026/11/23 14:13:35 [error] 1#1: *2 no live upstreams while connecting to upstream, client: 127.0.0.1, server: , request: "GET / HTTP/1.0", upstream: "http://app/", host: "shop.example.com""#,
        );
        assert_eq!(e.target, LogTarget::Pool("app".into()));
        assert_eq!(e.server, None);
        let e = read(
            r#"2026/11/23 10:00:00 [crit] 1#1: *9 connect() to unix:/run/php/php8.2-fpm.sock failed (2: No such file or directory) while connecting to upstream, client: 10.0.0.1, server: shop, request: "GET /index.php HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "shop""#,
        );
        assert_eq!(e.cause, Cause::SocketMissing);
        assert_eq!(e.target, LogTarget::Unix("/run/php/php8.2-fpm.sock".into()));
        let e = read(
            r#"2026/11/23 10:00:00 [emerg] 1#1: host not found in upstream "app:3000" in /etc/nginx/conf.d/app.conf:12"#,
        );
        assert_eq!(
            e.target,
            LogTarget::Directive {
                file: "/etc/nginx/conf.d/app.conf".into(),
                line: 12
            }
        );
        assert!(
            LineReader::default()
                .read("2026/11/23 10:00:00 [notice] 1#1: signal process started")
                .is_none()
        );
    }

    #[test]
    fn httpd_lines_across_lines() {
        let mut reader = LineReader::default();
        assert!(reader.read("[Mon Nov 23 13:41:15.960 2026] [ssl:info] [pid 1:tid 2] [remote 127.0.0.1:18443] AH02411: SSL Proxy: Peer certificate does not match for hostname shop.example.com").is_none());
        assert!(reader.read("[Mon Nov 23 13:41:15.960 2026] [proxy:error] [pid 1:tid 2] (20014)Internal error (specific information not available): [client 127.0.0.1:36712] AH01084: pass request body failed to 127.0.0.1:18443 (localhost)").is_none());
        let e = reader.read("[Mon Nov 23 13:41:15.960 2026] [proxy:error] [pid 1:tid 2] [client 127.0.0.1:36712] AH00898: Error during SSL Handshake with remote server returned by /api/").unwrap();
        assert_eq!(e.cause, Cause::TlsPeerName);
        assert_eq!(
            e.target,
            LogTarget::Address {
                host: "127.0.0.1".into(),
                port: Some(18443)
            }
        );
        assert_eq!(e.path.as_deref(), Some("/api/"));
        let e = read(
            "[Mon Nov 23 13:50:58.295 2026] [proxy:error] [pid 2:tid 3] (111)Connection refused: AH00957: http: attempt to connect to 10.0.0.5:8080 (api.internal:8080) failed",
        );
        assert_eq!(e.cause, Cause::ConnectRefused);
        assert_eq!(
            e.target,
            LogTarget::Address {
                host: "api.internal".into(),
                port: Some(8080)
            }
        );
        let e = read(
            "[Mon Nov 23 13:50:58 2026] [core:error] [pid 1] AH00526: Syntax error on line 2 of /etc/apache2/sites-enabled/shop.conf: ProxyPass Connectiontimeout has wrong format",
        );
        assert_eq!(
            e.target,
            LogTarget::Directive {
                file: "/etc/apache2/sites-enabled/shop.conf".into(),
                line: 2
            }
        );
    }
}
