//! `proxy-buffers-rejected`: buffer sizes that nginx refuses at startup,
//! computed as nginx computes them (defaults: one memory page, 4k, for
//! `*_buffer_size` and each of `8 4k` `*_buffers`).

use std::collections::HashSet;

use super::{Check, NGINX, Rule};
use crate::finding::{Finding, Severity};
use crate::model::expand::ItemId;
use crate::model::target::PassKind;
use crate::model::values::parse_size;
use crate::model::{Gateway, Route};

pub static RULE: Rule = Rule {
    name: "proxy-buffers-rejected",
    summary: "`*_buffer_size`, `*_buffers` and `*_busy_buffers_size` that nginx refuses to start with",
    severity: Severity::Error,
    options: &[],
    dialects: NGINX,
    doc: include_str!("../../rules/proxy-buffers-rejected.md"),
    check,
};

/// The memory page size nginx's defaults are made of.
const PAGE: u64 = 4096;

struct Effective {
    item: Option<ItemId>,
    value: u64,
}

fn size(g: &Gateway<'_>, route: &Route, name: &str, default: u64) -> Option<Effective> {
    match g.effective(route.item, name) {
        Some(item) => Some(Effective {
            item: Some(item),
            value: parse_size(g.x.value(item, 0)?).ok()?,
        }),
        None => Some(Effective {
            item: None,
            value: default,
        }),
    }
}

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    for route in &g.routes {
        if !matches!(
            route.kind,
            PassKind::Proxy | PassKind::FastCgi | PassKind::Uwsgi | PassKind::Scgi
        ) {
            continue;
        }
        let m = route.kind.module();
        let Some(buffer_size) = size(g, route, &format!("{m}_buffer_size"), PAGE) else {
            continue;
        };
        let buffers_item = g.effective(route.item, &format!("{m}_buffers"));
        let (count, each) = match buffers_item {
            Some(item) => {
                let (Some(n), Some(s)) = (g.x.value(item, 0), g.x.value(item, 1)) else {
                    continue;
                };
                let (Ok(n), Ok(s)) = (n.parse::<u64>(), parse_size(s)) else {
                    continue;
                };
                (n, s)
            }
            None => (8, PAGE),
        };
        let largest = buffer_size.value.max(each);
        let Some(busy) = size(g, route, &format!("{m}_busy_buffers_size"), 2 * largest) else {
            continue;
        };
        let Some(temp_write) = size(g, route, &format!("{m}_temp_file_write_size"), 2 * largest)
        else {
            continue;
        };
        let key = (buffer_size.item, buffers_item, busy.item, temp_write.item);
        if !seen.insert(key) {
            continue;
        }
        let at = busy
            .item
            .or(buffers_item)
            .or(buffer_size.item)
            .or(temp_write.item)
            .unwrap_or(route.item);
        let problem = if count < 2 {
            Some((
                buffers_item.unwrap_or(at),
                format!("there must be at least 2 \"{m}_buffers\""),
            ))
        } else if busy.value < largest {
            Some((
                at,
                format!(
                    "\"{m}_busy_buffers_size\" must be equal to or greater than the maximum of the value of \"{m}_buffer_size\" and one of the \"{m}_buffers\""
                ),
            ))
        } else if busy.value >= (count - 1) * each {
            Some((
                at,
                format!(
                    "\"{m}_busy_buffers_size\" must be less than the size of all \"{m}_buffers\" minus one buffer"
                ),
            ))
        } else if temp_write.value < largest {
            Some((
                temp_write.item.unwrap_or(at),
                format!(
                    "\"{m}_temp_file_write_size\" must be equal to or greater than the maximum of the value of \"{m}_buffer_size\" and one of the \"{m}_buffers\""
                ),
            ))
        } else {
            None
        };
        let Some((item, nginx_says)) = problem else {
            continue;
        };
        // Say which sizes are nginx's defaults: those are the ones users do not see.
        let default = |set: bool| if set { "" } else { " (default)" };
        let numbers = format!(
            "buffer size {}{}, {count} buffers of {}{}, busy buffers {}{}",
            human(buffer_size.value),
            default(buffer_size.item.is_some()),
            human(each),
            default(buffers_item.is_some()),
            human(busy.value),
            if busy.item.is_some() {
                ""
            } else {
                " (default: twice the largest buffer)"
            }
        );
        findings.push(
            check
                .finding(Severity::Error, item, format!("nginx refuses these buffer sizes: {numbers}"))
                .label(format!("`{}` makes the sizes inconsistent", g.x.text(item)))
                .related(g.x.arg_span(route.item, 0), "for this route")
                .help(format!(
                    "keep `{m}_busy_buffers_size` at least the largest buffer and below all buffers minus one; e.g. `{m}_buffer_size 16k; {m}_buffers 8 16k; {m}_busy_buffers_size 32k;`"
                ))
                .log(format!("[emerg] {nginx_says}")),
        );
    }
    findings
}

fn human(bytes: u64) -> String {
    if bytes % (1024 * 1024) == 0 {
        format!("{}m", bytes / (1024 * 1024))
    } else if bytes % 1024 == 0 {
        format!("{}k", bytes / 1024)
    } else {
        bytes.to_string()
    }
}
