//! Inline suppressions: `# gatelint: disable=RULE[,RULE] -- reason` on the
//! line before a directive (covering it and its block) or at the end of its
//! line, and `# gatelint: disable-file=RULE -- reason` for a whole file.
//! A suppression needs a reason; one naming an unknown rule, or that ends
//! up suppressing nothing, is itself reported.

use crate::config::known_names;
use crate::finding::{Finding, Severity, checks};
use crate::load::Workspace;
use crate::rules::{Settings, closest};
use crate::source::{FileId, Span};
use crate::syntax::{NodeIndex, NodeKind, ParsedFile, Terminator};

#[derive(Debug)]
pub struct Suppression {
    pub file: FileId,
    /// The comment.
    pub comment: Span,
    /// The bytes it covers.
    pub covers: (u32, u32),
    pub rules: Vec<String>,
    pub reason: Option<String>,
    pub used: bool,
}

/// A finding that a suppression silenced, with the reason given.
#[derive(Debug)]
pub struct Suppressed {
    pub finding: Finding,
    pub reason: Option<String>,
}

/// Finds every suppression comment, reporting malformed ones.
pub fn collect(ws: &Workspace) -> (Vec<Suppression>, Vec<Finding>) {
    let mut suppressions = Vec::new();
    let mut problems = Vec::new();
    for (index, loaded) in ws.files.iter().enumerate() {
        let file = FileId(index as u32);
        let text = &loaded.source.text;
        let tree = &loaded.tree;
        for (node_index, node) in tree.nodes.iter().enumerate() {
            if node.kind != NodeKind::Comment {
                continue;
            }
            let body = loaded.source.slice(node.name.inner).trim();
            let Some(directive) = body.strip_prefix("gatelint:") else {
                continue;
            };
            match parse_comment(directive.trim()) {
                Ok((whole_file, rules, reason)) => {
                    let covers = if whole_file {
                        Some((0, text.len() as u32))
                    } else {
                        covered(tree, text, node_index as NodeIndex)
                    };
                    let Some(covers) = covers else {
                        problems.push(
                            Finding::at(checks::INVALID_SUPPRESSION, Severity::Warning, node.span, "this suppression is attached to no directive")
                                .label("no directive follows it, or ends on its line")
                                .help("put it on the line before the directive, or at the end of the directive's line"),
                        );
                        continue;
                    };
                    suppressions.push(Suppression {
                        file,
                        comment: node.span,
                        covers,
                        rules,
                        reason,
                        used: false,
                    });
                }
                Err(message) => problems.push(
                    Finding::at(
                        checks::INVALID_SUPPRESSION,
                        Severity::Warning,
                        node.span,
                        message,
                    )
                    .label("not understood")
                    .help("write `# gatelint: disable=RULE -- why it is fine here`"),
                ),
            }
        }
    }
    (suppressions, problems)
}

/// `disable=a,b -- reason` → (whole file, rules, reason).
fn parse_comment(text: &str) -> Result<(bool, Vec<String>, Option<String>), String> {
    let (spec, reason) = match text.split_once("--") {
        Some((spec, reason)) => (
            spec.trim(),
            Some(reason.trim().to_string()).filter(|r| !r.is_empty()),
        ),
        None => (text.trim(), None),
    };
    let (whole_file, list) = if let Some(list) = spec.strip_prefix("disable-file=") {
        (true, list)
    } else if let Some(list) = spec.strip_prefix("disable=") {
        (false, list)
    } else {
        return Err(format!(
            "`gatelint: {spec}` is not a suppression (expected `disable=` or `disable-file=`)"
        ));
    };
    let rules: Vec<String> = list
        .split(',')
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    if rules.is_empty() {
        return Err("the suppression names no rule".into());
    }
    Ok((whole_file, rules, reason))
}

/// The byte range a comment covers: the directive after it (with its
/// block) when it stands on its own line, else the directive ending on its
/// line before it.
fn covered(tree: &ParsedFile, text: &str, comment: NodeIndex) -> Option<(u32, u32)> {
    let node = tree.node(comment);
    let start = node.span.start as usize;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let own_line = text[line_start..start].trim().is_empty();
    let siblings: &[NodeIndex] = match node.parent {
        Some(parent) => tree.node(parent).children.as_deref().unwrap_or(&[]),
        None => &tree.roots,
    };
    let position = siblings.iter().position(|&i| i == comment)?;
    if own_line {
        let next = siblings[position + 1..]
            .iter()
            .map(|&i| tree.node(i))
            .find(|n| n.kind == NodeKind::Directive)?;
        return Some((next.span.start, next.span.end));
    }
    // A trailing comment: the directive whose `;` or `{` is on this line.
    let before = tree
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Directive)
        .filter(|n| (line_start..start).contains(&terminator_offset(n)))
        .max_by_key(|n| terminator_offset(n))?;
    Some((before.span.start, before.span.end))
}

fn terminator_offset(node: &crate::syntax::Node) -> usize {
    match node.terminator {
        Terminator::Semicolon(s) => s.start as usize,
        Terminator::Block { open, .. } => open.start as usize,
        Terminator::Missing | Terminator::LineEnd => node.span.end as usize,
    }
}

/// Removes suppressed findings; reports unknown rule names, missing reasons
/// and suppressions of enabled rules that silenced nothing.
pub fn apply(
    findings: Vec<Finding>,
    mut suppressions: Vec<Suppression>,
    settings: &Settings,
) -> (Vec<Finding>, Vec<Suppressed>) {
    let mut kept = Vec::new();
    let mut suppressed = Vec::new();
    for finding in findings {
        let Some(span) = finding.span() else {
            kept.push(finding);
            continue;
        };
        let hit = suppressions.iter_mut().find(|s| {
            s.file == span.file
                && s.covers.0 <= span.start
                && span.start < s.covers.1.max(s.covers.0 + 1)
                && s.rules.iter().any(|r| r == finding.rule)
        });
        match hit {
            Some(s) => {
                s.used = true;
                suppressed.push(Suppressed {
                    reason: s.reason.clone(),
                    finding,
                });
            }
            None => kept.push(finding),
        }
    }
    let names = known_names();
    for s in &suppressions {
        for rule in &s.rules {
            if !names.contains(&rule.as_str()) {
                let mut finding = Finding::at(
                    checks::INVALID_SUPPRESSION,
                    Severity::Warning,
                    s.comment,
                    format!("`{rule}` is not a gatelint rule"),
                )
                .label("unknown rule");
                if let Some(similar) = closest(rule, names.iter().copied()) {
                    finding = finding.help(format!("did you mean `{similar}`?"));
                }
                kept.push(finding);
            }
        }
        if s.reason.is_none() {
            kept.push(
                Finding::at(checks::INVALID_SUPPRESSION, Severity::Warning, s.comment, "this suppression gives no reason")
                    .label("add `-- why it is fine here`")
                    .help("a reason tells the next reader why the finding does not apply: `# gatelint: disable=RULE -- reason`"),
            );
        }
        let judged = s.rules.iter().any(|r| rule_enabled(settings, r));
        if !s.used && judged {
            kept.push(
                Finding::at(
                    checks::UNUSED_SUPPRESSION,
                    Severity::Warning,
                    s.comment,
                    format!(
                        "this suppression of `{}` suppresses nothing",
                        s.rules.join(", ")
                    ),
                )
                .label("nothing here is reported by that rule")
                .help("remove the comment, or move it to the directive it was meant for"),
            );
        }
    }
    (kept, suppressed)
}

fn rule_enabled(settings: &Settings, name: &str) -> bool {
    match crate::rules::find(name) {
        Some(rule) => settings.enabled(rule),
        None => known_names().contains(&name) && settings.check_enabled(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_syntax() {
        assert_eq!(
            parse_comment("disable=a,b -- reason here"),
            Ok((
                false,
                vec!["a".to_string(), "b".to_string()],
                Some("reason here".to_string())
            ))
        );
        assert_eq!(
            parse_comment("disable-file=a").map(|(f, _, r)| (f, r)),
            Ok((true, None))
        );
        assert!(parse_comment("enable=a").is_err());
        assert!(parse_comment("disable= -- x").is_err());
    }
}
