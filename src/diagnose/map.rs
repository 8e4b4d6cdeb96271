//! From a group of log lines to the directive that sent those requests: the
//! route (or upstream server, or balancer member) whose address, socket or
//! pool the lines name, narrowed by the server name and path they name, and
//! by what the static rules already flag. Every route is scored once per
//! group; the best one above a threshold is the answer, the others are
//! offered as candidates.

use std::path::Path;

use super::Group;
use super::line::LogTarget;
use crate::finding::Finding;
use crate::model::expand::ItemId;
use crate::model::target::Address;
use crate::model::{Gateway, Route, Target};
use crate::source::Span;

/// Evidence at or above this names the route; below it only suggests.
const MAPPED: u32 = 50;

/// A directive a group maps to (or may map to).
#[derive(Clone, Debug)]
pub struct Place {
    /// The argument that names the backend.
    pub span: Span,
    /// The directive, as written.
    pub text: String,
    /// The route that uses it, when the place is an upstream server or
    /// balancer member.
    pub route: Option<(Span, String)>,
    pub score: u32,
    /// Static rules of the cause that flag this place or its route.
    pub flagged_by: Vec<&'static str>,
}

pub struct Mapping {
    pub place: Option<Place>,
    pub candidates: Vec<Place>,
}

/// Maps every group against the gateways of the workspace.
pub fn map_groups(
    gateways: &[Gateway<'_>],
    findings: &[Finding],
    groups: &[&Group],
) -> Vec<Mapping> {
    groups
        .iter()
        .map(|group| map_group(gateways, findings, group))
        .collect()
}

fn map_group(gateways: &[Gateway<'_>], findings: &[Finding], group: &Group) -> Mapping {
    let about = group.cause.about(false);
    let gateways: Vec<&Gateway> = gateways
        .iter()
        .filter(|g| g.dialect() == group.dialect)
        .collect();
    if let LogTarget::Directive { file, line } = &group.target {
        let place = directive_at(&gateways, file, *line);
        return Mapping {
            place,
            candidates: Vec::new(),
        };
    }
    let only_route = gateways.iter().map(|g| g.routes.len()).sum::<usize>() == 1;
    let mut places: Vec<Place> = Vec::new();
    for g in &gateways {
        for route in &g.routes {
            let (mut score, item, arg) = target_score(g, route, &group.target);
            if score == 0 && group.target != LogTarget::Unknown {
                continue;
            }
            if only_route && group.target == LogTarget::Unknown {
                score += 60;
            }
            score += context_score(g, route, group);
            let flagged_by: Vec<&'static str> = about
                .rules
                .iter()
                .copied()
                .filter(|rule| {
                    findings
                        .iter()
                        .any(|f| f.rule == *rule && concerns(g, route, item, f))
                })
                .collect();
            if !flagged_by.is_empty() {
                score += 40;
            }
            if score == 0 {
                continue;
            }
            let route_label = (item != route.item).then(|| {
                (
                    g.x.arg_span(route.item, route.url_arg),
                    g.x.text(route.item),
                )
            });
            places.push(Place {
                span: g.x.arg_span(item, arg),
                text: g.x.text(item),
                route: route_label,
                score,
                flagged_by,
            });
        }
    }
    places.sort_by(|a, b| b.score.cmp(&a.score).then(a.span.start.cmp(&b.span.start)));
    places.dedup_by(|a, b| a.span == b.span);
    let mapped = places.first().is_some_and(|p| p.score >= MAPPED)
        // Two routes with the same evidence: say both, pick neither.
        && places.get(1).is_none_or(|second| second.score < places[0].score);
    if mapped {
        let place = places.remove(0);
        places.truncate(3);
        Mapping {
            place: Some(place),
            candidates: places,
        }
    } else {
        places.truncate(3);
        Mapping {
            place: None,
            candidates: places,
        }
    }
}

fn inside(at: Span, span: Span) -> bool {
    at.file == span.file && at.start >= span.start && at.end <= span.end
}

/// Whether a static finding is about this route: on its directive or the
/// member the log names, pointing at either, or on a setting in effect for
/// it (in its location, or in its server outside every other location).
fn concerns(g: &Gateway<'_>, route: &Route, item: ItemId, finding: &Finding) -> bool {
    let crate::finding::Location::Span(at) = finding.location else {
        return false;
    };
    let own = [g.x.span(item), g.x.span(route.item)];
    if own
        .iter()
        .any(|&span| inside(at, span) || finding.related.iter().any(|l| inside(l.span, span)))
    {
        return true;
    }
    if route.location.is_some_and(|l| inside(at, g.x.span(l))) {
        return true;
    }
    route.server.is_some_and(|s| inside(at, g.x.span(s)))
        && !g.routes.iter().any(|other| {
            other.location != route.location
                && other.location.is_some_and(|l| inside(at, g.x.span(l)))
        })
}

/// How well the route's backend matches what the log names: the place to
/// point at (the route, or the upstream server / member), and its argument.
fn target_score(g: &Gateway<'_>, route: &Route, target: &LogTarget) -> (u32, ItemId, usize) {
    let at_route = (route.item, route.url_arg);
    let member_arg = |item: ItemId| {
        g.upstream_of(route)
            .and_then(|u| u.servers.iter().find(|s| s.item == item))
            .and_then(|s| s.apache.as_ref().map(|w| w.url_arg))
            .unwrap_or(0)
    };
    let best_member = |score_of: &dyn Fn(&Address) -> u32| -> (u32, ItemId, usize) {
        g.upstream_of(route)
            .into_iter()
            .flat_map(|u| &u.servers)
            .map(|s| (score_of(&s.address), s.item, member_arg(s.item)))
            .max_by_key(|(score, _, _)| *score)
            .unwrap_or((0, route.item, route.url_arg))
    };
    match target {
        LogTarget::Address { host, port } => {
            let score_of = |address: &Address| address_score(address, host, *port);
            match &route.target {
                Target::Address(address) => (score_of(address), at_route.0, at_route.1),
                Target::Upstream(_) => best_member(&score_of),
                _ => (0, at_route.0, at_route.1),
            }
        }
        LogTarget::Unix(path) => {
            let score_of = |address: &Address| match address {
                Address::Unix(p) if p == path => 100,
                // httpd resolves a relative socket against ServerRoot.
                Address::Unix(p) if !p.starts_with('/') && path.ends_with(&format!("/{p}")) => 90,
                Address::Unix(p) if Path::new(p).parent() == Path::new(path).parent() => 20,
                _ => 0,
            };
            match &route.target {
                Target::Address(address) => (score_of(address), at_route.0, at_route.1),
                Target::Upstream(_) => best_member(&score_of),
                _ => (0, at_route.0, at_route.1),
            }
        }
        LogTarget::Pool(name) => {
            let same = g.upstream_of(route).is_some_and(|u| {
                u.name == *name || u.name.trim_end_matches('/') == name.trim_end_matches('/')
            });
            (if same { 100 } else { 0 }, at_route.0, at_route.1)
        }
        LogTarget::Name(name) => {
            let score = match &route.target {
                Target::Variable { candidates, .. } => {
                    if candidates.as_ref().is_some_and(|c| c.contains(name)) {
                        90
                    } else {
                        40
                    }
                }
                Target::Address(Address::Inet { host, .. }) if host == name => 90,
                _ => 0,
            };
            (score, at_route.0, at_route.1)
        }
        LogTarget::Directive { .. } | LogTarget::Unknown => (0, at_route.0, at_route.1),
    }
}

/// An address against `host[:port]` from a log: the same is certain; the
/// same port behind a name the log shows resolved is a hint.
fn address_score(address: &Address, host: &str, port: Option<u16>) -> u32 {
    let Address::Inet { host: h, port: p } = address else {
        return 0;
    };
    let same_host = h.eq_ignore_ascii_case(host)
        || (crate::model::target::is_loopback(h) && crate::model::target::is_loopback(host));
    let same_port = match (port, p) {
        (Some(a), Some(b)) => a == *b,
        (Some(a), None) => a == 80,
        (None, _) => true,
    };
    match (same_host, same_port) {
        (true, true) => 100,
        (false, true) if port.is_some() => 25,
        _ => 0,
    }
}

/// The server name and path the lines name, against the route's.
fn context_score(g: &Gateway<'_>, route: &Route, group: &Group) -> u32 {
    let mut score = 0;
    if let Some(server) = route
        .server
        .and_then(|s| g.servers.iter().find(|x| x.item == s))
    {
        if group
            .servers
            .iter()
            .any(|n| server.names.iter().any(|m| m.eq_ignore_ascii_case(n)))
        {
            score += 15;
        }
    }
    if let (Some(path), Some(prefix)) = (&group.path, route_prefix(g, route)) {
        if path.starts_with(prefix) {
            score += 10;
        }
    }
    score
}

/// The path prefix a route serves: its `location` (prefix forms), or the
/// `ProxyPass` path.
fn route_prefix<'g>(g: &'g Gateway<'_>, route: &Route) -> Option<&'g str> {
    if route.url_arg == 1 && g.x.name(route.item) == "proxypass" {
        return g.x.value(route.item, 0);
    }
    let location = route.location?;
    match g.x.values(location).as_slice() {
        [prefix] if !prefix.starts_with('~') => Some(prefix),
        ["^~" | "=", prefix] => Some(prefix),
        _ => None,
    }
}

/// The directive at `file:line` that the server named itself.
fn directive_at(gateways: &[&Gateway], file: &str, line: usize) -> Option<Place> {
    for g in gateways {
        for item in g.x.all() {
            let source = g.x.source(item);
            let path = source.path();
            if !(path == Path::new(file)
                || path.ends_with(file.trim_start_matches('/'))
                || Path::new(file).ends_with(path))
            {
                continue;
            }
            let name = g.x.name_span(item);
            if source.line_of(name.start as usize) == line {
                let args = g.x.args(item).len();
                let span = if args == 0 {
                    name
                } else {
                    name.to(g.x.arg_span(item, args - 1))
                };
                return Some(Place {
                    span,
                    text: g.x.text(item),
                    route: None,
                    score: 100,
                    flagged_by: Vec::new(),
                });
            }
        }
    }
    None
}
