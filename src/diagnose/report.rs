//! What `gatelint diagnose` prints: a summary table of the groups, then one
//! miette diagnostic per group on the directive behind it (through the same
//! renderer as lint findings); or all of it as JSON.

use serde::Serialize;

use super::map::{Mapping, Place};
use super::{Group, Reading};
use crate::finding::{Finding, Severity};
use crate::load::Workspace;
use crate::report::human::{Style, render_one};
use crate::syntax::Dialect;

fn plural(count: u64, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

fn status_text(status: u16) -> String {
    if status == 0 {
        "no start".into()
    } else {
        status.to_string()
    }
}

/// ` at 10.0.0.5:8080`, or nothing when the log names no backend.
fn at_target(group: &Group) -> String {
    match group.target {
        super::line::LogTarget::Unknown => String::new(),
        ref target => format!(" at {target}"),
    }
}

/// `file:line` of a place, relative as the user gave it.
fn where_is(ws: &Workspace, place: &Place) -> String {
    let source = ws.source(place.span.file);
    format!(
        "{}:{}",
        source.display_name(),
        source.line_of(place.span.start as usize)
    )
}

/// The group as a finding on its directive, for the human renderer.
fn as_finding(group: &Group, place: &Place) -> Finding {
    let about = group.cause.about(group.dialect == Dialect::Apache);
    let status = status_text(about.status);
    let what = if group.cause == super::cause::Cause::RefusedToStart {
        format!(
            "{} refused this directive{}",
            group.dialect.server(),
            group
                .detail
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        )
    } else {
        format!(
            "{} failed with {status}: {}{}",
            plural(group.count, "request", "requests"),
            about.title,
            at_target(group)
        )
    };
    let mut finding = Finding::at(group.cause.name(), Severity::Error, place.span, what).label(
        if place.route.is_some() {
            "the backend the log names".to_string()
        } else {
            "the requests were sent here".to_string()
        },
    );
    if let Some((span, _)) = &place.route {
        finding = finding.related(*span, "through this route");
    }
    let rules = if !place.flagged_by.is_empty() {
        format!(
            "gatelint's `{}` already flags this directive",
            place.flagged_by.join("`, `")
        )
    } else if about.rules.is_empty() {
        "no static rule can see this; it depends on the running backend".to_string()
    } else {
        format!(
            "no static rule flags it here (related: `{}`)",
            about.rules.join("`, `")
        )
    };
    let seen = if group.first == group.last || group.last.is_empty() {
        format!("seen at {}", group.first)
    } else {
        format!("seen from {} to {}", group.first, group.last)
    };
    let servers = if group.servers.is_empty() {
        String::new()
    } else {
        format!(
            "; for {}",
            group.servers.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    finding
        .help(format!(
            "why: {}.\nfix: {}.\n{rules}; {seen}{servers}",
            about.why, about.fix
        ))
        .log(group.sample.clone())
}

pub fn human(
    ws: &Workspace,
    reading: &Reading,
    groups: &[&Group],
    mappings: &[Mapping],
    style: Style,
) -> String {
    let mut out = format!(
        "{} read, {} of them {} a failed request or a refused start, in {}\n",
        plural(reading.lines, "line", "lines"),
        reading.matched,
        if reading.matched == 1 {
            "means"
        } else {
            "mean"
        },
        plural(groups.len() as u64, "group", "groups"),
    );
    if groups.is_empty() {
        return out;
    }
    let roots: Vec<String> = ws
        .configs
        .iter()
        .map(|c| ws.source(c.root).display_name())
        .collect();
    if roots.is_empty() {
        out.push_str("no configuration was read (pass it with --config)\n");
    } else {
        out.push_str(&format!(
            "mapped against {} ({})\n",
            roots.join(", "),
            plural(ws.files.len() as u64, "file", "files")
        ));
    }
    let rows: Vec<[String; 6]> = groups
        .iter()
        .zip(mappings)
        .map(|(group, mapping)| {
            let about = group.cause.about(group.dialect == Dialect::Apache);
            [
                group.count.to_string(),
                status_text(about.status),
                about.title.to_string(),
                group.target.to_string(),
                if group.first == group.last || group.last.is_empty() {
                    group.first.clone()
                } else {
                    format!("{} … {}", group.first, group.last)
                },
                match &mapping.place {
                    Some(place) => where_is(ws, place),
                    None => "no route found".into(),
                },
            ]
        })
        .collect();
    let headers = ["count", "status", "cause", "target", "seen", "config"];
    let widths: Vec<usize> = (0..6)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([headers[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    out.push('\n');
    let line = |cells: [&str; 6]| {
        let mut text = String::from(" ");
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i < 2 {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                if i < 5 {
                    text.push_str(&" ".repeat(pad));
                }
            }
            text.push_str("  ");
        }
        text.trim_end().to_string() + "\n"
    };
    out.push_str(&line(headers));
    for row in &rows {
        out.push_str(&line([
            &row[0], &row[1], &row[2], &row[3], &row[4], &row[5],
        ]));
    }
    for (group, mapping) in groups.iter().zip(mappings) {
        out.push('\n');
        match &mapping.place {
            Some(place) => out.push_str(&render_one(ws, &as_finding(group, place), style)),
            None => out.push_str(&unmapped(ws, group, mapping)),
        }
    }
    out
}

fn unmapped(ws: &Workspace, group: &Group, mapping: &Mapping) -> String {
    let about = group.cause.about(group.dialect == Dialect::Apache);
    let mut out = format!(
        "{}: {} failed with {} ({}{}), and no route in the configuration sends requests there\n",
        group.cause.name(),
        plural(group.count, "request", "requests"),
        status_text(about.status),
        about.title,
        at_target(group)
    );
    for candidate in &mapping.candidates {
        out.push_str(&format!(
            "  closest: {}  {}\n",
            where_is(ws, candidate),
            candidate.text
        ));
    }
    out.push_str(&format!(
        "  why: {}.\n  fix: {}.\n  log: {}\n",
        about.why, about.fix, group.sample
    ));
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    lines_read: u64,
    lines_matched: u64,
    groups: Vec<JsonGroup<'a>>,
}

#[derive(Serialize)]
struct JsonGroup<'a> {
    server: Dialect,
    cause: &'static str,
    title: &'static str,
    /// The status clients got; `null` for a refused start.
    status: Option<u16>,
    target: String,
    count: u64,
    first: &'a str,
    last: &'a str,
    servers: Vec<&'a str>,
    requests: &'a [String],
    sample: &'a str,
    why: &'static str,
    fix: &'static str,
    rules: &'static [&'static str],
    location: Option<JsonPlace>,
    candidates: Vec<JsonPlace>,
}

#[derive(Serialize)]
struct JsonPlace {
    file: String,
    line: usize,
    column: usize,
    directive: String,
    flagged_by: Vec<&'static str>,
}

fn json_place(ws: &Workspace, place: &Place) -> JsonPlace {
    let source = ws.source(place.span.file);
    let position = source.position(place.span.start as usize);
    JsonPlace {
        file: source.display_name(),
        line: position.line,
        column: position.column,
        directive: place.text.clone(),
        flagged_by: place.flagged_by.clone(),
    }
}

pub fn json(ws: &Workspace, reading: &Reading, groups: &[&Group], mappings: &[Mapping]) -> String {
    let report = JsonReport {
        lines_read: reading.lines,
        lines_matched: reading.matched,
        groups: groups
            .iter()
            .zip(mappings)
            .map(|(group, mapping)| {
                let about = group.cause.about(group.dialect == Dialect::Apache);
                JsonGroup {
                    server: group.dialect,
                    cause: group.cause.name(),
                    title: about.title,
                    status: (about.status != 0).then_some(about.status),
                    target: group.target.to_string(),
                    count: group.count,
                    first: &group.first,
                    last: &group.last,
                    servers: group.servers.iter().map(String::as_str).collect(),
                    requests: &group.requests,
                    sample: &group.sample,
                    why: about.why,
                    fix: about.fix,
                    rules: about.rules,
                    location: mapping.place.as_ref().map(|p| json_place(ws, p)),
                    candidates: mapping
                        .candidates
                        .iter()
                        .map(|p| json_place(ws, p))
                        .collect(),
                }
            })
            .collect(),
    };
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}
