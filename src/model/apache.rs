//! Apache httpd's side of the model: virtual hosts and their addresses,
//! `<Proxy balancer://…>` pools and their `BalancerMember`s, and a route for
//! every `ProxyPass`, `ProxyPassMatch`, `RewriteRule … [P]` and
//! `SetHandler "proxy:…"`, with the worker parameters (`timeout=`,
//! `retry=`, …) written on it. Directive names are folded to lower case by
//! the parser, so lookups here are lower-case.

use super::target::{Address, PassKind, PassTarget, Scheme};
use super::{Gateway, Listen, Route, Server, Target, Upstream, UpstreamServer};
use crate::model::expand::ItemId;

/// A `key=value` worker parameter, with the argument it was written in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// Lower-case.
    pub key: String,
    pub value: String,
    pub arg: usize,
}

/// The parameters among a directive's arguments, from `from` on.
pub fn params(values: &[&str], from: usize) -> Vec<Param> {
    values
        .iter()
        .enumerate()
        .skip(from)
        .filter_map(|(i, v)| {
            let (key, value) = v.split_once('=')?;
            Some(Param {
                key: key.to_ascii_lowercase(),
                value: value.to_string(),
                arg: i,
            })
        })
        .collect()
}

/// A balancer's name as httpd compares it: `balancer://name`, lower-case,
/// no trailing slash or path.
pub fn balancer_name(url: &str) -> Option<String> {
    let rest = url
        .get(..11)
        .filter(|s| s.eq_ignore_ascii_case("balancer://"))
        .map(|_| &url[11..])?;
    let name = rest.split('/').next().unwrap_or(rest);
    Some(format!("balancer://{}", name.to_ascii_lowercase()))
}

/// What an Apache backend URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApacheUrl {
    /// A worker: the protocol it speaks and where.
    Worker(PassKind, PassTarget),
    Balancer(String),
    /// `ajp://` and other schemes gatelint does not model.
    Other,
}

/// Parses `http://host:port/path`, `fcgi://127.0.0.1:9000/`,
/// `unix:/run/php/php8.2-fpm.sock|fcgi://localhost/`, `balancer://pool/`.
pub fn parse_url(url: &str) -> Result<ApacheUrl, String> {
    if let Some(name) = balancer_name(url) {
        return Ok(ApacheUrl::Balancer(name));
    }
    let (unix, rest) = match url.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("unix:") => match url[5..].split_once('|') {
            Some((path, rest)) => (Some(path.to_string()), rest),
            None => {
                return Err(format!(
                    "`{url}` names a socket but no protocol: httpd needs `|fcgi://localhost/` (or `|http://localhost/`) after the path"
                ));
            }
        },
        _ => (None, url),
    };
    let Some((scheme, after)) = rest.split_once("://") else {
        return Err(format!("`{url}` is not a URL: write `http://host:port/`"));
    };
    let scheme = scheme.to_ascii_lowercase();
    let (kind, scheme_kind, default_port) = match scheme.as_str() {
        "http" | "ws" | "h2c" => (PassKind::Proxy, Scheme::Http, 80),
        "https" | "wss" | "h2" => (PassKind::Proxy, Scheme::Https, 443),
        "fcgi" => (PassKind::FastCgi, Scheme::None, 8000),
        "scgi" => (PassKind::Scgi, Scheme::None, 4000),
        "uwsgi" => (PassKind::Uwsgi, Scheme::None, 3031),
        _ => return Ok(ApacheUrl::Other),
    };
    let (authority, uri) = match after.find('/') {
        Some(i) => (&after[..i], Some(after[i..].to_string())),
        None => (after, None),
    };
    let has_variables = url.contains('$');
    let (host, port) = match unix {
        Some(_) => (String::new(), None),
        None if authority.contains('$') => (authority.to_string(), None),
        None => match Address::parse(authority)? {
            Address::Inet { host, port } => (host, Some(port.unwrap_or(default_port))),
            Address::Unix(path) => (path, None),
        },
    };
    Ok(ApacheUrl::Worker(
        kind,
        PassTarget {
            scheme: scheme_kind,
            host_is_variable: unix.is_none() && authority.contains('$'),
            host,
            port,
            unix: unix.filter(|p| !p.is_empty()),
            has_variables,
            uri,
        },
    ))
}

/// Where a route's backend URL sits among its directive's arguments.
fn url_argument(g: &Gateway<'_>, id: ItemId, name: &str) -> Option<usize> {
    let values = g.x.values(id);
    let in_location =
        g.x.ancestors(id)
            .any(|a| matches!(g.x.name(a), "location" | "locationmatch"));
    match name {
        "proxypass" | "proxypassmatch" => {
            let first = values.first()?;
            let at = if in_location && !first.starts_with('/') && *first != "!" {
                0
            } else {
                1
            };
            let url = values.get(at)?;
            (*url != "!").then_some(at)
        }
        "rewriterule" => {
            let flags = values.get(2)?.to_ascii_lowercase();
            let flags = flags.trim_start_matches('[').trim_end_matches(']');
            flags
                .split(',')
                .any(|f| matches!(f.trim(), "p" | "proxy"))
                .then_some(1)
        }
        "sethandler" => {
            let value = values.first()?;
            value
                .get(..6)
                .is_some_and(|p| p.eq_ignore_ascii_case("proxy:"))
                .then_some(0)
        }
        _ => None,
    }
}

impl Gateway<'_> {
    pub(super) fn collect_apache(&mut self) {
        let ids: Vec<ItemId> = self.x.all().collect();
        for &id in &ids {
            match self.x.name(id) {
                "virtualhost" => self.add_virtual_host(id),
                "listen" => {
                    if let Some(value) = self.x.value(id, 0) {
                        self.apache_listens.push(Listen {
                            item: Some(id),
                            address: super::parse_listen(value),
                            ssl: self
                                .x
                                .value(id, 1)
                                .is_some_and(|p| p.eq_ignore_ascii_case("https")),
                            default: false,
                        });
                    }
                }
                "proxy" | "proxymatch" => self.add_balancer(id),
                _ => {}
            }
        }
        // Members written outside a `<Proxy>`: `BalancerMember balancer://x url`.
        for &id in &ids {
            if self.x.name(id) == "balancermember"
                && !self
                    .x
                    .ancestors(id)
                    .any(|a| matches!(self.x.name(a), "proxy" | "proxymatch"))
            {
                if let Some(name) = self.x.value(id, 0).and_then(balancer_name) {
                    let index = self.balancer_index(id, &name);
                    self.add_member(index, id, 1);
                }
            }
        }
        for &id in &ids {
            let name = self.x.name(id);
            if let Some(at) = url_argument(self, id, name) {
                self.add_apache_route(id, at);
            }
        }
        for route in &self.routes {
            if let Target::Upstream(index) = route.target {
                self.upstreams[index]
                    .params
                    .extend(route.params.iter().cloned());
            }
        }
    }

    fn add_virtual_host(&mut self, id: ItemId) {
        let mut listens = Vec::new();
        for value in self.x.values(id) {
            // `*:80`, `[::1]:8080`, `_default_:443`, `*` (every port).
            let address = match Address::parse(value) {
                Ok(Address::Inet { host, port }) if host == "_default_" => Address::Inet {
                    host: "*".into(),
                    port,
                },
                Ok(address) => address,
                Err(_) => continue,
            };
            let port = address.port();
            let taken = self
                .servers
                .iter()
                .any(|s| s.listens.iter().any(|l| l.address.port() == port));
            listens.push(Listen {
                item: Some(id),
                address,
                ssl: false,
                default: !taken,
            });
        }
        let ssl = self
            .x
            .find(Some(id), "sslengine")
            .and_then(|e| self.x.value(e, 0))
            .is_some_and(|v| v.eq_ignore_ascii_case("on"));
        for listen in &mut listens {
            listen.ssl = ssl;
        }
        let mut names = Vec::new();
        for child in self.x.block(Some(id)) {
            if matches!(self.x.name(child), "servername" | "serveralias") {
                names.extend(self.x.values(child).into_iter().map(|n| {
                    // `ServerName www.example.com:443` names a port too.
                    n.split(':').next().unwrap_or(n).to_string()
                }));
            }
        }
        self.servers.push(Server {
            item: id,
            listens,
            names,
        });
    }

    fn balancer_index(&mut self, item: ItemId, name: &str) -> usize {
        if let Some(&index) = self.upstream_by_name.get(name) {
            return index;
        }
        let index = self.upstreams.len();
        self.upstream_by_name.insert(name.to_string(), index);
        self.upstreams.push(Upstream {
            item,
            name: name.to_string(),
            servers: Vec::new(),
            keepalive: None,
            params: Vec::new(),
        });
        index
    }

    fn add_balancer(&mut self, id: ItemId) {
        let Some(name) = self.x.value(id, 0).and_then(balancer_name) else {
            return;
        };
        let index = self.balancer_index(id, &name);
        for child in self.x.block(Some(id)) {
            match self.x.name(child) {
                "balancermember" => self.add_member(index, child, 0),
                "proxyset" => {
                    let set = params(&self.x.values(child), 0);
                    self.upstreams[index].params.extend(set);
                }
                _ => {}
            }
        }
    }

    fn add_member(&mut self, index: usize, id: ItemId, url_arg: usize) {
        let values = self.x.values(id);
        let Some(url) = values.get(url_arg) else {
            return;
        };
        let Ok(ApacheUrl::Worker(kind, pass)) = parse_url(url) else {
            return;
        };
        let Some(address) = pass.address() else {
            return;
        };
        let params = params(&values, url_arg + 1);
        let status = params
            .iter()
            .find(|p| p.key == "status")
            .map(|p| p.value.to_ascii_uppercase())
            .unwrap_or_default();
        self.upstreams[index].servers.push(UpstreamServer {
            item: id,
            address,
            down: status_has(&status, 'D'),
            backup: status_has(&status, 'H'),
            resolve: false,
            apache: Some(ApacheWorker {
                kind,
                pass,
                url_arg,
                params,
            }),
        });
    }

    fn add_apache_route(&mut self, id: ItemId, at: usize) {
        let Some(raw) = self.x.value(id, at) else {
            return;
        };
        let url = if self.x.name(id) == "sethandler" {
            &raw[6..]
        } else {
            raw
        };
        let url = self.config().apache.substitute(url);
        let location = self
            .x
            .ancestors(id)
            .find(|&a| matches!(self.x.name(a), "location" | "locationmatch"));
        let server = self
            .x
            .ancestors(id)
            .find(|&a| self.x.name(a) == "virtualhost");
        let values = self.x.values(id);
        let params = if self.x.name(id) == "rewriterule" {
            Vec::new()
        } else {
            params(&values, at + 1)
        };
        let (kind, pass, target) = match parse_url(&url) {
            Err(why) => (PassKind::Proxy, None, Target::Invalid(why)),
            Ok(ApacheUrl::Other) => return,
            Ok(ApacheUrl::Balancer(name)) => match self.upstream_by_name.get(&name) {
                Some(&index) => {
                    let kind = self.upstreams[index]
                        .servers
                        .iter()
                        .find_map(|m| m.apache.as_ref().map(|w| w.kind))
                        .unwrap_or(PassKind::Proxy);
                    (kind, None, Target::Upstream(index))
                }
                None => (
                    PassKind::Proxy,
                    None,
                    Target::Invalid(format!("no `<Proxy {name}>` defines the balancer `{name}`")),
                ),
            },
            Ok(ApacheUrl::Worker(kind, pass)) => {
                let target = match pass.address() {
                    Some(address) => Target::Address(address),
                    None => Target::Variable {
                        expression: pass.host.clone(),
                        candidates: None,
                    },
                };
                (kind, Some(pass), target)
            }
        };
        self.routes.push(Route {
            item: id,
            kind,
            pass,
            target,
            location,
            server,
            url_arg: at,
            params,
        });
    }

    /// Where a per-backend mod_ssl setting (`SSLProxyEngine on`,
    /// `SSLProxyCheckPeerName off`, …) is made in `<Proxy>` sections:
    /// collected once, then asked per route with [`BackendSetting::holds`].
    pub fn backend_setting(&self, name: &'static str, value: &'static str) -> BackendSetting {
        let says = |directive: Option<ItemId>| {
            directive
                .and_then(|d| self.x.value(d, 0))
                .is_some_and(|v| v.eq_ignore_ascii_case(value))
        };
        let prefixes = self
            .x
            .all()
            .filter(|&id| says(self.x.find(Some(id), name)))
            .filter_map(|id| match self.x.name(id) {
                "proxymatch" => Some(String::new()),
                "proxy" => self.x.value(id, 0).map(|pattern| {
                    pattern
                        .split('*')
                        .next()
                        .unwrap_or(pattern)
                        .to_ascii_lowercase()
                }),
                _ => None,
            })
            .collect();
        BackendSetting {
            name,
            value,
            prefixes,
        }
    }

    /// The TLS URLs a route reaches: its own, or its balancer's `https://`
    /// members. (directive, argument, target)
    pub fn tls_targets<'a>(&'a self, route: &'a Route) -> Vec<(ItemId, usize, &'a PassTarget)> {
        let mut targets = Vec::new();
        if let Some(pass) = route.pass.as_ref().filter(|p| p.scheme == Scheme::Https) {
            targets.push((route.item, route.url_arg, pass));
        }
        for member in self.upstream_of(route).into_iter().flat_map(|u| &u.servers) {
            if let Some(worker) = member.apache.as_ref() {
                if worker.pass.scheme == Scheme::Https {
                    targets.push((member.item, worker.url_arg, &worker.pass));
                }
            }
        }
        targets
    }

    /// The backend address httpd names in its log lines for a route: the
    /// route's own, or its balancer's first member's.
    pub fn logged_backend(&self, route: &Route) -> String {
        match &route.target {
            Target::Address(address) => address.to_string(),
            Target::Upstream(_) => self
                .upstream_of(route)
                .and_then(|u| u.servers.first())
                .map(|m| m.address.to_string())
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// A worker parameter on the route itself or, for a balancer, on the
    /// member; with the directive that carries it.
    pub fn route_param<'a>(&'a self, route: &'a Route, key: &str) -> Vec<(ItemId, &'a Param)> {
        let own = route
            .params
            .iter()
            .filter(|p| p.key == key)
            .map(|p| (route.item, p));
        let members = self.upstream_of(route).into_iter().flat_map(move |u| {
            u.servers.iter().filter_map(move |m| {
                m.apache
                    .as_ref()
                    .and_then(|w| w.params.iter().find(|p| p.key == key))
                    .map(|p| (m.item, p))
            })
        });
        own.chain(members).collect()
    }
}

/// A per-backend setting and the `<Proxy>` sections that make it.
pub struct BackendSetting {
    name: &'static str,
    value: &'static str,
    /// Lower-case URL prefixes of the `<Proxy url>` sections that make it;
    /// `""` for a `<ProxyMatch>`, whose regex is not evaluated: it is taken
    /// to match, so that a configuration that may be right is not reported.
    prefixes: Vec<String>,
}

impl BackendSetting {
    /// Whether the setting holds for the backend at `url` reached from
    /// `at`: in effect where the route is, or (httpd 2.4.30 and later) made
    /// in a `<Proxy>` section that matches the URL.
    pub fn holds(&self, g: &Gateway<'_>, at: ItemId, url: &str) -> bool {
        let here = g
            .effective(at, self.name)
            .and_then(|d| g.x.value(d, 0))
            .is_some_and(|v| v.eq_ignore_ascii_case(self.value));
        let url = url.to_ascii_lowercase();
        here || self.prefixes.iter().any(|p| url.starts_with(p.as_str()))
    }
}

/// `status=+D` / `status=D` / `status=-H+D`: whether `flag` is set.
fn status_has(status: &str, flag: char) -> bool {
    let mut set = true;
    for c in status.chars() {
        match c {
            '+' => set = true,
            '-' => set = false,
            c if c == flag => return set,
            _ => {}
        }
    }
    false
}

/// What a `BalancerMember` says beyond its address.
#[derive(Clone, Debug)]
pub struct ApacheWorker {
    pub kind: PassKind,
    pub pass: PassTarget,
    pub url_arg: usize,
    pub params: Vec<Param>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let Ok(ApacheUrl::Worker(kind, pass)) =
            parse_url("unix:/run/php/php8.2-fpm.sock|fcgi://localhost/")
        else {
            panic!()
        };
        assert_eq!(kind, PassKind::FastCgi);
        assert_eq!(pass.unix.as_deref(), Some("/run/php/php8.2-fpm.sock"));
        let Ok(ApacheUrl::Worker(kind, pass)) = parse_url("http://127.0.0.1:8080/api") else {
            panic!()
        };
        assert_eq!(kind, PassKind::Proxy);
        assert_eq!(pass.port, Some(8080));
        assert_eq!(pass.uri.as_deref(), Some("/api"));
        let Ok(ApacheUrl::Worker(_, pass)) = parse_url("https://api.example") else {
            panic!()
        };
        assert_eq!(pass.port, Some(443));
        assert!(parse_url("unix:/run/php.sock").is_err());
        assert_eq!(
            parse_url("balancer://Pool/x"),
            Ok(ApacheUrl::Balancer("balancer://pool".into()))
        );
        assert_eq!(parse_url("ajp://127.0.0.1:8009/"), Ok(ApacheUrl::Other));
    }

    #[test]
    fn status_flags() {
        assert!(status_has("+D", 'D'));
        assert!(status_has("D", 'D'));
        assert!(!status_has("-D", 'D'));
        assert!(status_has("-H+D", 'D'));
        assert!(!status_has("+H", 'D'));
    }
}
