//! Every rule's documentation is a test: its page has the sections every
//! page has, each failing example raises exactly that rule (and its
//! rendered report is snapshotted), each passing example raises nothing.
//! Code, registry and pages are held together.

mod common;

use std::path::{Path, PathBuf};

use gatelint::lint::lint;
use gatelint::load::{Input, Options};
use gatelint::model::values::{parse_duration, parse_size};
use gatelint::report::human::{Style, render_one};
use gatelint::rules::{BackendFacts, RULES, Settings};

const SECTIONS: &[&str] = &[
    "## Why this causes 502",
    "## What error.log says",
    "## How to fix",
    "## Options",
    "## Examples",
];

/// Lints an example as its fence says: its dialect, and the facts about a
/// backend that gatelint.toml would give (`backend-name=… idle-timeout=…`).
fn lint_example(rule: &str, example: &common::DocExample) -> (Vec<String>, String) {
    let text = &example.text;
    let input = Input::Text {
        name: Some(PathBuf::from("example.conf")),
        bytes: text.as_bytes().to_vec(),
    };
    let mut settings = Settings {
        select: Some(vec![rule.to_string()]),
        ..Settings::default()
    };
    if let Some(name) = example.attrs.get("backend-name") {
        let facts = BackendFacts {
            idle_timeout: example
                .attrs
                .get("idle-timeout")
                .map(|v| parse_duration(v).unwrap()),
            header_size: example
                .attrs
                .get("header-size")
                .map(|v| parse_size(v).unwrap()),
        };
        settings.backends.insert(name.clone(), facts);
    }
    let options = Options {
        dialect: Some(example.dialect.parse().unwrap()),
        ..Options::default()
    };
    let outcome = lint(&[input], options, &settings);
    let syntax: Vec<&str> = outcome
        .findings
        .iter()
        .filter(|f| f.rule == "syntax-error")
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        syntax.is_empty(),
        "{rule}: an example has syntax errors: {syntax:?}"
    );
    let ours: Vec<_> = outcome.findings.iter().filter(|f| f.rule == rule).collect();
    let style = Style {
        color: false,
        width: 90,
    };
    let rendered = ours
        .iter()
        .map(|f| render_one(&outcome.workspace, f, style))
        .collect::<Vec<_>>()
        .join("\n");
    (ours.iter().map(|f| f.message.clone()).collect(), rendered)
}

#[test]
fn every_example_behaves_as_its_page_says() {
    for rule in RULES {
        let examples = common::doc_examples(rule.doc);
        assert!(
            examples.iter().any(|e| e.fails),
            "{}: no failing example",
            rule.name
        );
        assert!(
            examples.iter().any(|e| !e.fails),
            "{}: no passing example",
            rule.name
        );
        let mut failing = 0;
        for example in &examples {
            let (messages, rendered) = lint_example(rule.name, example);
            if example.fails {
                failing += 1;
                assert!(
                    !messages.is_empty(),
                    "rules/{}.md line {}: the failing example raised nothing",
                    rule.name,
                    example.line
                );
                insta::assert_snapshot!(format!("{}__fails_{failing}", rule.name), rendered);
            } else {
                assert!(
                    messages.is_empty(),
                    "rules/{}.md line {}: the passing example raised {messages:?}",
                    rule.name,
                    example.line
                );
            }
        }
    }
}

#[test]
fn every_page_has_every_section() {
    for rule in RULES {
        assert!(
            rule.doc.starts_with(&format!("# {}\n", rule.name)),
            "{}: the page must start with its name",
            rule.name
        );
        for section in SECTIONS {
            assert!(
                rule.doc.contains(section),
                "rules/{}.md lacks `{section}`",
                rule.name
            );
        }
        for option in rule.options {
            assert!(
                rule.doc.contains(&format!("`{}`", option.name)),
                "rules/{}.md does not document `{}`",
                rule.name,
                option.name
            );
        }
    }
}

#[test]
fn the_rules_table_lists_every_rule() {
    let table =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/README.md"))
            .unwrap();
    for rule in RULES {
        assert!(
            table.contains(&format!("[`{}`]({}.md)", rule.name, rule.name)),
            "rules/README.md lacks {}",
            rule.name
        );
    }
}

#[test]
fn code_registry_and_pages_match() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources: Vec<String> = std::fs::read_dir(root.join("src/rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".rs") && n != "mod.rs")
        .map(|n| n.trim_end_matches(".rs").replace('_', "-"))
        .collect();
    let mut pages: Vec<String> = std::fs::read_dir(root.join("rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".md") && n != "README.md")
        .map(|n| n.trim_end_matches(".md").to_string())
        .collect();
    let mut registered: Vec<String> = RULES.iter().map(|r| r.name.to_string()).collect();
    sources.sort();
    pages.sort();
    registered.sort();
    assert_eq!(
        sources, registered,
        "every src/rules/*.rs is registered in RULES, and only those"
    );
    assert_eq!(
        pages, registered,
        "every rule has rules/<name>.md, and no page is orphaned"
    );
}
