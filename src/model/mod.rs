//! What the gateway does, independent of how the file spells it: servers and
//! their listeners, upstream pools and their members, and a route for every
//! pass directive with its target and the settings in effect there after
//! nginx's inheritance (http → server → location → nested location / `if`,
//! and the array rule: one `proxy_set_header` at a level drops every
//! inherited one). Rules read this, and look things up by index.

pub mod apache;
pub mod expand;
pub mod ports;
pub mod target;
pub mod values;
pub mod version;

use std::collections::HashMap;

use crate::load::{Config, Workspace};
use crate::syntax::Dialect;
use apache::{ApacheWorker, Param};
use expand::{Expanded, ItemId};
use target::{Address, PassKind, PassTarget, parse_pass};
pub use version::{Feature, NginxVersion};

/// A `listen` of a server (or the implicit `*:80` of a server without one).
#[derive(Clone, Debug)]
pub struct Listen {
    pub item: Option<ItemId>,
    pub address: Address,
    pub ssl: bool,
    /// `default_server`: it takes requests no `server_name` matches.
    pub default: bool,
}

#[derive(Clone, Debug)]
pub struct Server {
    pub item: ItemId,
    pub listens: Vec<Listen>,
    pub names: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct UpstreamServer {
    pub item: ItemId,
    pub address: Address,
    pub down: bool,
    pub backup: bool,
    pub resolve: bool,
    /// Apache: the member's protocol, URL and parameters.
    pub apache: Option<ApacheWorker>,
}

#[derive(Clone, Debug)]
pub struct Upstream {
    pub item: ItemId,
    pub name: String,
    pub servers: Vec<UpstreamServer>,
    pub keepalive: Option<ItemId>,
    /// Apache: the balancer's parameters, from `ProxySet` in its `<Proxy>`
    /// and from the routes that use it (`ProxyPass / balancer://x/ lbmethod=…`).
    pub params: Vec<Param>,
}

/// Where a route sends requests.
#[derive(Clone, Debug)]
pub enum Target {
    /// A pool defined in this configuration.
    Upstream(usize),
    /// A fixed address.
    Address(Address),
    /// A host given by variables, with the values they can take when the
    /// configuration sets them all to literals (`set`, `map`).
    Variable {
        expression: String,
        candidates: Option<Vec<String>>,
    },
    /// An argument nginx rejects; `invalid-pass-target` reports it.
    Invalid(String),
}

#[derive(Clone, Debug)]
pub struct Route {
    /// The pass directive.
    pub item: ItemId,
    pub kind: PassKind,
    pub pass: Option<PassTarget>,
    pub target: Target,
    /// The innermost `location` around it, and its server.
    pub location: Option<ItemId>,
    pub server: Option<ItemId>,
    /// Which argument holds the target (nginx: 0; Apache's `ProxyPass /p url`: 1).
    pub url_arg: usize,
    /// Apache: the worker parameters written on the directive (`timeout=5`).
    pub params: Vec<Param>,
}

/// A value assigned to a variable by `set` or `map`.
#[derive(Clone, Debug)]
pub struct Assignment {
    pub item: ItemId,
    pub value: String,
}

pub struct Gateway<'w> {
    pub x: Expanded<'w>,
    pub version: NginxVersion,
    /// Apache's `Listen` directives (nginx's listeners are in `servers`).
    pub apache_listens: Vec<Listen>,
    pub servers: Vec<Server>,
    pub upstreams: Vec<Upstream>,
    pub upstream_by_name: HashMap<String, usize>,
    pub routes: Vec<Route>,
    /// `$name` (without `$`) → every value `set` or `map` gives it.
    pub assignments: HashMap<String, Vec<Assignment>>,
}

impl<'w> Gateway<'w> {
    pub fn build(ws: &'w Workspace, config: &'w Config, version: NginxVersion) -> Gateway<'w> {
        let x = Expanded::new(ws, config);
        let mut gateway = Gateway {
            x,
            version,
            apache_listens: Vec::new(),
            servers: Vec::new(),
            upstreams: Vec::new(),
            upstream_by_name: HashMap::new(),
            routes: Vec::new(),
            assignments: HashMap::new(),
        };
        crate::timings::measure_part("model", "servers, pools, routes", || {
            match gateway.dialect() {
                Dialect::Nginx => gateway.collect(),
                Dialect::Apache => gateway.collect_apache(),
            }
        });
        gateway
    }

    fn collect(&mut self) {
        let ids: Vec<ItemId> = self.x.all().collect();
        // Routes come second (they look pools up by name); their
        // directives are noted on the way instead of walking every item again.
        let mut passes: Vec<(ItemId, PassKind)> = Vec::new();
        for &id in &ids {
            let name = self.x.name(id);
            if let Some(kind) = PassKind::from_directive(name) {
                passes.push((id, kind));
                continue;
            }
            // The name first: the context walks up the tree, for the few
            // directives that need it.
            if !matches!(name, "server" | "upstream" | "set" | "map") {
                continue;
            }
            let (head, depth) = self.x.context_head(id);
            if head != Some("http") {
                continue;
            }
            match name {
                "server" if depth == 1 => self.add_server(id),
                "upstream" if depth == 1 => self.add_upstream(id),
                "set" => {
                    if let (Some(var), Some(value)) = (self.x.value(id, 0), self.x.value(id, 1)) {
                        self.assign(var, id, value);
                    }
                }
                "map" if depth == 1 => self.add_map(id),
                _ => {}
            }
        }
        for (id, kind) in passes {
            let (head, depth) = self.x.context_head(id);
            if head == Some("http") && depth >= 2 {
                self.add_route(id, kind);
            }
        }
    }

    fn assign(&mut self, var: &str, item: ItemId, value: &str) {
        if let Some(name) = var.strip_prefix('$') {
            self.assignments
                .entry(name.to_string())
                .or_default()
                .push(Assignment {
                    item,
                    value: value.to_string(),
                });
        }
    }

    fn add_map(&mut self, id: ItemId) {
        let Some(var) = self.x.value(id, 1) else {
            return;
        };
        for entry in self.x.block(Some(id)) {
            let key = self.x.name(entry);
            if matches!(key, "hostnames" | "volatile" | "include") {
                continue;
            }
            if let Some(value) = self.x.value(entry, 0) {
                self.assign(var, entry, value);
            }
        }
    }

    fn add_server(&mut self, id: ItemId) {
        let mut listens = Vec::new();
        let mut names = Vec::new();
        for child in self.x.block(Some(id)) {
            match self.x.name(child) {
                "listen" => {
                    let values = self.x.values(child);
                    let Some(first) = values.first() else {
                        continue;
                    };
                    let address = parse_listen(first);
                    let ssl = values.iter().skip(1).any(|v| *v == "ssl" || *v == "quic");
                    let default = values
                        .iter()
                        .skip(1)
                        .any(|v| *v == "default_server" || *v == "default");
                    listens.push(Listen {
                        item: Some(child),
                        address,
                        ssl,
                        default,
                    });
                }
                "server_name" => names.extend(self.x.values(child).into_iter().map(String::from)),
                _ => {}
            }
        }
        if listens.is_empty() {
            listens.push(Listen {
                item: None,
                address: Address::Inet {
                    host: "*".into(),
                    port: Some(80),
                },
                ssl: false,
                default: false,
            });
        }
        self.servers.push(Server {
            item: id,
            listens,
            names,
        });
    }

    fn add_upstream(&mut self, id: ItemId) {
        let Some(name) = self.x.value(id, 0) else {
            return;
        };
        let mut servers = Vec::new();
        let mut keepalive = None;
        for child in self.x.block(Some(id)) {
            match self.x.name(child) {
                "server" => {
                    let values = self.x.values(child);
                    let Some(first) = values.first() else {
                        continue;
                    };
                    let Ok(address) = Address::parse(first) else {
                        continue;
                    };
                    let has = |flag: &str| values.iter().skip(1).any(|v| *v == flag);
                    servers.push(UpstreamServer {
                        item: child,
                        address,
                        down: has("down"),
                        backup: has("backup"),
                        resolve: has("resolve"),
                        apache: None,
                    });
                }
                "keepalive" => keepalive = Some(child),
                _ => {}
            }
        }
        let index = self.upstreams.len();
        self.upstream_by_name
            .entry(name.to_string())
            .or_insert(index);
        self.upstreams.push(Upstream {
            item: id,
            name: name.to_string(),
            servers,
            keepalive,
            params: Vec::new(),
        });
    }

    fn add_route(&mut self, id: ItemId, kind: PassKind) {
        let location = self.x.ancestors(id).find(|&a| self.x.name(a) == "location");
        let server = self.x.ancestors(id).find(|&a| self.x.name(a) == "server");
        let Some(value) = self.x.value(id, 0) else {
            return;
        };
        let (pass, target) = match parse_pass(kind, value) {
            Err(why) => (None, Target::Invalid(why)),
            Ok(pass) => {
                let target = if let Some(address) = pass.address() {
                    let upstream = match &address {
                        Address::Inet { host, port: None } => {
                            self.upstream_by_name.get(host).copied()
                        }
                        _ => None,
                    };
                    match upstream {
                        Some(index) => Target::Upstream(index),
                        None => Target::Address(address),
                    }
                } else {
                    Target::Variable {
                        expression: pass.host.clone(),
                        candidates: self.candidates(&pass.host),
                    }
                };
                (Some(pass), target)
            }
        };
        self.routes.push(Route {
            item: id,
            kind,
            pass,
            target,
            location,
            server,
            url_arg: 0,
            params: Vec::new(),
        });
    }

    /// The values a host expression can take, when it is one variable that
    /// the configuration only ever sets to literals.
    pub fn candidates(&self, expression: &str) -> Option<Vec<String>> {
        let name = expression.strip_prefix('$')?;
        let name = name
            .strip_prefix('{')
            .and_then(|n| n.strip_suffix('}'))
            .unwrap_or(name);
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let assignments = self.assignments.get(name)?;
        let values: Vec<String> = assignments.iter().map(|a| a.value.clone()).collect();
        (!values.iter().any(|v| v.contains('$'))).then_some(values)
    }

    /// The directive `name` in effect at `at`: the nearest one found going
    /// out from `at`'s block to the top level.
    pub fn effective(&self, at: ItemId, name: &str) -> Option<ItemId> {
        self.scopes(at).find_map(|scope| self.x.find(scope, name))
    }

    /// All `name` directives in effect at `at` for an array directive
    /// (`proxy_set_header`, …): those of the nearest level that has any.
    pub fn effective_all(&self, at: ItemId, name: &str) -> Vec<ItemId> {
        self.scopes(at)
            .map(|scope| self.x.find_all(scope, name))
            .find(|found| !found.is_empty())
            .unwrap_or_default()
    }

    /// The blocks whose directives apply at `at`, innermost first, ending
    /// with the top level (`None`).
    fn scopes(&self, at: ItemId) -> impl Iterator<Item = Option<ItemId>> + '_ {
        self.x.ancestors(at).map(Some).chain(std::iter::once(None))
    }

    /// Every pool a route can send to: the upstream it names, or those a
    /// variable's known values name.
    pub fn pools_of(&self, route: &Route) -> Vec<usize> {
        match &route.target {
            Target::Upstream(i) => vec![*i],
            Target::Variable {
                candidates: Some(values),
                ..
            } => values
                .iter()
                .filter_map(|v| self.upstream_by_name.get(v).copied())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The upstream a route's target names, if any.
    pub fn upstream_of(&self, route: &Route) -> Option<&Upstream> {
        match route.target {
            Target::Upstream(i) => self.upstreams.get(i),
            _ => None,
        }
    }

    pub fn config(&self) -> &Config {
        self.x.config
    }

    /// The server this configuration is for.
    pub fn dialect(&self) -> Dialect {
        self.x.config.dialect
    }
}

/// `listen` addresses: `80`, `127.0.0.1:8080`, `[::]:443`, `*:80`,
/// `localhost`, `unix:/path`.
pub fn parse_listen(value: &str) -> Address {
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return Address::Inet {
            host: "*".into(),
            port: value.parse().ok(),
        };
    }
    match Address::parse(value) {
        Ok(Address::Inet { host, port }) => Address::Inet {
            host,
            port: port.or(Some(80)),
        },
        Ok(unix) => unix,
        Err(_) => Address::Inet {
            host: value.to_string(),
            port: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Input, Options};

    fn workspace(text: &str) -> Workspace {
        let input = Input::Text {
            name: Some("/virtual/nginx.conf".into()),
            bytes: text.as_bytes().to_vec(),
        };
        Workspace::load(&[input], Options::default())
    }

    const CONFIG: &str = "events {}\nhttp {\n  proxy_read_timeout 30s;\n  proxy_set_header A 1;\n  map $cookie_c $pool { default a; ~x b; }\n  upstream a { server 10.0.0.1:80; server 10.0.0.2 backup; keepalive 8; }\n  server {\n    listen 8080 ssl;\n    server_name x.example;\n    proxy_set_header B 2;\n    location / {\n      proxy_pass http://a;\n    }\n    location /v {\n      proxy_read_timeout 5s;\n      proxy_pass http://$pool;\n    }\n  }\n  server { location / { fastcgi_pass unix:/run/php.sock; } }\n}\n";

    #[test]
    fn servers_upstreams_and_routes() {
        let ws = workspace(CONFIG);
        let g = Gateway::build(&ws, &ws.configs[0], NginxVersion::default());
        assert_eq!(g.servers.len(), 2);
        assert_eq!(g.servers[0].listens[0].address.port(), Some(8080));
        assert!(g.servers[0].listens[0].ssl);
        assert!(g.servers[1].listens[0].item.is_none(), "implicit listen");
        assert_eq!(g.upstreams[0].servers.len(), 2);
        assert!(g.upstreams[0].servers[1].backup);
        assert!(g.upstreams[0].keepalive.is_some());
        assert_eq!(g.routes.len(), 3);
        assert!(matches!(g.routes[0].target, Target::Upstream(0)));
        match &g.routes[1].target {
            Target::Variable { candidates, .. } => assert_eq!(
                candidates.as_deref(),
                Some(&["a".to_string(), "b".to_string()][..])
            ),
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(&g.routes[2].target, Target::Address(Address::Unix(p)) if p == "/run/php.sock")
        );
    }

    #[test]
    fn pools_reached_through_variables() {
        let ws = workspace(CONFIG);
        let g = Gateway::build(&ws, &ws.configs[0], NginxVersion::default());
        // `$pool` can be `a` (an upstream) or `b` (not one).
        assert_eq!(g.pools_of(&g.routes[1]), vec![0]);
        assert_eq!(g.pools_of(&g.routes[0]), vec![0]);
        assert!(g.pools_of(&g.routes[2]).is_empty());
    }

    #[test]
    fn inheritance_and_the_array_rule() {
        let ws = workspace(CONFIG);
        let g = Gateway::build(&ws, &ws.configs[0], NginxVersion::default());
        let first = g.routes[0].item;
        let second = g.routes[1].item;
        let timeout = |at| {
            g.effective(at, "proxy_read_timeout")
                .and_then(|d| g.x.value(d, 0))
        };
        assert_eq!(timeout(first), Some("30s"));
        assert_eq!(timeout(second), Some("5s"));
        // The server's proxy_set_header replaces http's, not adds to it.
        let headers = g.effective_all(first, "proxy_set_header");
        assert_eq!(headers.len(), 1);
        assert_eq!(g.x.value(headers[0], 0), Some("B"));
    }
}
