//! Where a pass directive sends requests: parsed from `proxy_pass`,
//! `fastcgi_pass` and their siblings into a scheme and an address, an
//! upstream name, or an expression with variables.

/// The directive that passes a request on, and the protocol it speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PassKind {
    Proxy,
    FastCgi,
    Uwsgi,
    Scgi,
    Grpc,
    Memcached,
}

impl PassKind {
    pub fn from_directive(name: &str) -> Option<PassKind> {
        Some(match name {
            "proxy_pass" => PassKind::Proxy,
            "fastcgi_pass" => PassKind::FastCgi,
            "uwsgi_pass" => PassKind::Uwsgi,
            "scgi_pass" => PassKind::Scgi,
            "grpc_pass" => PassKind::Grpc,
            "memcached_pass" => PassKind::Memcached,
            _ => return None,
        })
    }

    pub fn directive(self) -> &'static str {
        match self {
            PassKind::Proxy => "proxy_pass",
            PassKind::FastCgi => "fastcgi_pass",
            PassKind::Uwsgi => "uwsgi_pass",
            PassKind::Scgi => "scgi_pass",
            PassKind::Grpc => "grpc_pass",
            PassKind::Memcached => "memcached_pass",
        }
    }

    /// How a configuration of `dialect` asks for this protocol: nginx by
    /// directive, Apache by the URL scheme of `ProxyPass`.
    pub fn written_as(self, dialect: crate::syntax::Dialect) -> &'static str {
        match (dialect, self) {
            (crate::syntax::Dialect::Nginx, _) => self.directive(),
            (_, PassKind::Proxy | PassKind::Grpc | PassKind::Memcached) => "http://",
            (_, PassKind::FastCgi) => "fcgi://",
            (_, PassKind::Uwsgi) => "uwsgi://",
            (_, PassKind::Scgi) => "scgi://",
        }
    }

    /// The prefix of this module's directives (`proxy`, `fastcgi`, …).
    pub fn module(self) -> &'static str {
        match self {
            PassKind::Proxy => "proxy",
            PassKind::FastCgi => "fastcgi",
            PassKind::Uwsgi => "uwsgi",
            PassKind::Scgi => "scgi",
            PassKind::Grpc => "grpc",
            PassKind::Memcached => "memcached",
        }
    }

    /// What the backend must speak, in words.
    pub fn protocol(self) -> &'static str {
        match self {
            PassKind::Proxy => "HTTP",
            PassKind::FastCgi => "FastCGI",
            PassKind::Uwsgi => "uwsgi",
            PassKind::Scgi => "SCGI",
            PassKind::Grpc => "gRPC (HTTP/2)",
            PassKind::Memcached => "the memcached protocol",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    Http,
    Https,
    Grpc,
    Grpcs,
    Uwsgi,
    Suwsgi,
    /// No scheme: `fastcgi_pass 127.0.0.1:9000`.
    None,
}

impl Scheme {
    pub fn tls(self) -> bool {
        matches!(self, Scheme::Https | Scheme::Grpcs | Scheme::Suwsgi)
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
            Scheme::Grpc => "grpc",
            Scheme::Grpcs => "grpcs",
            Scheme::Uwsgi => "uwsgi",
            Scheme::Suwsgi => "suwsgi",
            Scheme::None => "",
        }
    }

    /// The port nginx uses when the address names none.
    pub fn default_port(self) -> Option<u16> {
        match self {
            Scheme::Http | Scheme::Grpc => Some(80),
            Scheme::Https | Scheme::Grpcs => Some(443),
            _ => None,
        }
    }
}

/// A network address as nginx writes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Address {
    /// `host[:port]`; `host` without brackets for IPv6.
    Inet { host: String, port: Option<u16> },
    /// `unix:/path`.
    Unix(String),
}

impl Address {
    /// Parses `host`, `host:port`, `[v6]:port` or `unix:/path`.
    pub fn parse(text: &str) -> Result<Address, String> {
        if let Some(path) = text.strip_prefix("unix:") {
            return Ok(Address::Unix(path.to_string()));
        }
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let end = rest
                .find(']')
                .ok_or_else(|| format!("`{text}`: unclosed `[`"))?;
            let host = &rest[..end];
            match &rest[end + 1..] {
                "" => (host, None),
                p => (
                    host,
                    Some(
                        p.strip_prefix(':')
                            .ok_or_else(|| format!("`{text}`: expected `:` after `]`"))?,
                    ),
                ),
            }
        } else {
            match text.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h, Some(p)),
                _ => (text, None),
            }
        };
        if host.is_empty() {
            return Err(format!("`{text}` has no host"));
        }
        let port = match port {
            Some(p) => Some(
                p.parse::<u16>()
                    .map_err(|_| format!("`{text}`: `{p}` is not a port"))?,
            ),
            None => None,
        };
        Ok(Address::Inet {
            host: host.to_string(),
            port,
        })
    }

    pub fn host(&self) -> Option<&str> {
        match self {
            Address::Inet { host, .. } => Some(host),
            Address::Unix(_) => None,
        }
    }

    pub fn port(&self) -> Option<u16> {
        match self {
            Address::Inet { port, .. } => *port,
            Address::Unix(_) => None,
        }
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Inet {
                host,
                port: Some(p),
            } if host.contains(':') => write!(f, "[{host}]:{p}"),
            Address::Inet {
                host,
                port: Some(p),
            } => write!(f, "{host}:{p}"),
            Address::Inet { host, port: None } => write!(f, "{host}"),
            Address::Unix(path) => write!(f, "unix:{path}"),
        }
    }
}

/// A pass directive's argument, taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassTarget {
    pub scheme: Scheme,
    /// The host part as written (may hold variables).
    pub host: String,
    pub port: Option<u16>,
    pub unix: Option<String>,
    /// Whether anything in the argument is a variable.
    pub has_variables: bool,
    /// Whether the host part itself is a variable expression.
    pub host_is_variable: bool,
    /// The URI after the address (`/api/` in `http://app/api/`).
    pub uri: Option<String>,
}

impl PassTarget {
    /// The address, when the host is static.
    pub fn address(&self) -> Option<Address> {
        if let Some(path) = &self.unix {
            return Some(Address::Unix(path.clone()));
        }
        (!self.host_is_variable).then(|| Address::Inet {
            host: self.host.clone(),
            port: self.port,
        })
    }

    /// The port requests go to: explicit, or the scheme's default.
    pub fn effective_port(&self) -> Option<u16> {
        self.port.or(self.scheme.default_port())
    }
}

/// Splits a pass directive's argument. `Err` says what nginx would reject.
pub fn parse_pass(kind: PassKind, value: &str) -> Result<PassTarget, String> {
    let has_variables = value.contains('$');
    if value.starts_with('/') {
        return Err(format!(
            "`{value}` is a file path: a socket needs `unix:` in front (`unix:{value}`)"
        ));
    }
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => {
            let scheme = match (kind, scheme.to_ascii_lowercase().as_str()) {
                (PassKind::Proxy, "http") => Scheme::Http,
                (PassKind::Proxy, "https") => Scheme::Https,
                (PassKind::Grpc, "grpc") => Scheme::Grpc,
                (PassKind::Grpc, "grpcs") => Scheme::Grpcs,
                (PassKind::Uwsgi, "uwsgi") => Scheme::Uwsgi,
                (PassKind::Uwsgi, "suwsgi") => Scheme::Suwsgi,
                _ if scheme.contains('$') => Scheme::None,
                _ => {
                    return Err(format!(
                        "`{scheme}://` is not a scheme `{}` accepts",
                        kind.directive()
                    ));
                }
            };
            (scheme, rest)
        }
        None if kind == PassKind::Proxy && !value.starts_with('$') => {
            return Err(format!(
                "`{value}` has no scheme: `proxy_pass` needs `http://` or `https://`"
            ));
        }
        None if kind == PassKind::Grpc => (Scheme::Grpc, value),
        None => (Scheme::None, value),
    };
    let (address, uri) = if let Some(after) = rest.strip_prefix("unix:") {
        // `http://unix:/path:/uri`: the socket path ends at the next `:`.
        match after.split_once(':') {
            Some((path, uri)) if kind == PassKind::Proxy => {
                (format!("unix:{path}"), Some(uri.to_string()))
            }
            _ => (rest.to_string(), None),
        }
    } else {
        match uri_start(rest) {
            Some(i) => (rest[..i].to_string(), Some(rest[i..].to_string())),
            None => (rest.to_string(), None),
        }
    };
    if let Some(path) = address.strip_prefix("unix:") {
        return Ok(PassTarget {
            scheme,
            host: String::new(),
            port: None,
            unix: Some(path.to_string()),
            has_variables,
            host_is_variable: false,
            uri,
        });
    }
    let host_is_variable = address.contains('$');
    let (host, port) = if host_is_variable {
        // `$backend:8080`: a variable host and a literal port.
        match address.rsplit_once(':') {
            Some((host, port))
                if !host.is_empty()
                    && !port.is_empty()
                    && port.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (host.to_string(), port.parse().ok())
            }
            _ => (address.clone(), None),
        }
    } else {
        match Address::parse(&address)? {
            Address::Inet { host, port } => (host, port),
            Address::Unix(path) => (path, None),
        }
    };
    Ok(PassTarget {
        scheme,
        host,
        port,
        unix: None,
        has_variables,
        host_is_variable,
        uri,
    })
}

/// Where the URI starts after the address: at the first `/`, or at a
/// variable that holds a URI (`http://api$request_uri`).
fn uri_start(rest: &str) -> Option<usize> {
    const URI_VARIABLES: &[&str] = &[
        "$request_uri",
        "$uri",
        "$document_uri",
        "$is_args",
        "$args",
        "$query_string",
    ];
    let slash = rest.find('/');
    let variable = URI_VARIABLES.iter().filter_map(|v| rest.find(v)).min();
    match (slash, variable) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether a host is an IPv4 or IPv6 literal.
pub fn is_ip(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
}

/// Whether a host is this machine (`127.0.0.0/8`, `::1`, `localhost`).
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_pass_urls() {
        let t = parse_pass(PassKind::Proxy, "http://app:8080/api/").unwrap();
        assert_eq!(
            (t.scheme, t.host.as_str(), t.port, t.uri.as_deref()),
            (Scheme::Http, "app", Some(8080), Some("/api/"))
        );
        let t = parse_pass(PassKind::Proxy, "https://[::1]:8443").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.effective_port()),
            ("::1", Some(8443), Some(8443))
        );
        let t = parse_pass(PassKind::Proxy, "http://unix:/run/app.sock:/x").unwrap();
        assert_eq!(t.unix.as_deref(), Some("/run/app.sock"));
        let t = parse_pass(PassKind::Proxy, "http://$backend$request_uri").unwrap();
        assert!(t.host_is_variable && t.has_variables);
        let t = parse_pass(PassKind::Proxy, "http://api.internal$request_uri").unwrap();
        assert!(!t.host_is_variable && t.has_variables);
        assert_eq!(t.host, "api.internal");
        assert!(parse_pass(PassKind::Proxy, "app:8080").is_err());
        assert!(parse_pass(PassKind::Proxy, "ftp://app").is_err());
    }

    #[test]
    fn other_pass_directives() {
        let t = parse_pass(PassKind::FastCgi, "127.0.0.1:9000").unwrap();
        assert_eq!((t.scheme, t.port), (Scheme::None, Some(9000)));
        let t = parse_pass(PassKind::FastCgi, "unix:/run/php/php8.2-fpm.sock").unwrap();
        assert_eq!(t.unix.as_deref(), Some("/run/php/php8.2-fpm.sock"));
        let t = parse_pass(PassKind::Grpc, "grpcs://inventory:50051").unwrap();
        assert!(t.scheme.tls());
        let t = parse_pass(PassKind::Grpc, "127.0.0.1:50051").unwrap();
        assert_eq!(t.scheme, Scheme::Grpc);
        let e = parse_pass(PassKind::FastCgi, "/run/php.sock").unwrap_err();
        assert!(e.contains("`unix:/run/php.sock`"), "{e}");
    }

    #[test]
    fn addresses() {
        assert_eq!(
            Address::parse("10.0.0.1:80").unwrap().to_string(),
            "10.0.0.1:80"
        );
        assert_eq!(Address::parse("[::1]:80").unwrap().host(), Some("::1"));
        assert!(Address::parse("x:notaport").is_err());
        assert!(is_loopback("127.0.0.2") && is_loopback("::1") && !is_loopback("10.0.0.1"));
    }
}
