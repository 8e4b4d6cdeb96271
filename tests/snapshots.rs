//! Snapshots of what users see: the tree gatelint builds for each tricky
//! input, and the rendered report for each kind of syntax error (no colour,
//! no hyperlinks, fixed width, so the snapshots are plain text).

mod common;

use std::path::{Path, PathBuf};

use gatelint::load::{Input, Options, Workspace};
use gatelint::report::human::{Style, render_one};

fn tree_json(fixture: &str) -> String {
    let path = format!("tests/fixtures/tricky/{fixture}");
    let run = common::gatelint(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["parse", "--format", "json", "--include-comments", &path],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

macro_rules! tree_snapshots {
    ($($name:ident => $file:expr),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                insta::assert_snapshot!(stringify!($name), tree_json($file));
            }
        )*
    };
}

tree_snapshots! {
    tree_quoting => "quoting.conf",
    tree_value_blocks => "value_blocks.conf",
    tree_lua => "lua.conf",
    tree_lua_long_strings => "lua_long_strings.conf",
    tree_crlf => "crlf.conf",
    tree_bom => "bom.conf",
    tree_unicode => "unicode.conf",
    tree_empty => "empty.conf",
    tree_comments_only => "comments_only.conf",
    tree_comments_in_args => "comments_in_args.conf",
    tree_nginx_tokens => "nginx_tokens.conf",
}

/// Every syntax finding for `text`, linted as a file named `name`, rendered.
fn rendered_errors(name: &str, text: &str) -> String {
    let input = Input::Text {
        name: Some(PathBuf::from(name)),
        bytes: text.as_bytes().to_vec(),
    };
    let ws = Workspace::load(&[input], Options::default());
    let style = Style {
        color: false,
        width: 80,
    };
    assert!(!ws.findings.is_empty(), "{name}: expected a finding");
    ws.findings
        .iter()
        .map(|f| render_one(&ws, f, style))
        .collect::<Vec<_>>()
        .join("\n")
}

macro_rules! error_snapshots {
    ($($name:ident => $text:expr),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                insta::assert_snapshot!(stringify!($name), rendered_errors("site.conf", $text));
            }
        )*
    };
}

error_snapshots! {
    error_missing_semicolon_before_brace => "server {\n    location / {\n        proxy_pass http://app\n    }\n}\n",
    error_missing_semicolon_next_line => "location / {\n    proxy_pass http://app\n    proxy_read_timeout 5s;\n}\n",
    error_missing_semicolon_at_end => "worker_processes 4;\nevents {}\npid /run/nginx.pid",
    error_unexpected_close => "server {\n    listen 80;\n}\n}\n",
    error_unclosed_block => "http {\n    server {\n        listen 80;\n    \n}\n",
    error_unterminated_string => "server {\n    add_header X-Text \"unfinished;\n    listen 80;\n}\n",
    error_text_after_quote => "server {\n    return 200 \"ok\"done;\n}\n",
    error_stray_semicolon => "server {\n    listen 80;;\n}\n",
    error_regex_quantifier => "server {\n    location ~ ^/v\\d{1,3}/ {\n        return 404;\n    }\n}\n",
    error_brace_after_simple_directive => "server {\n    root {ROOT}/public;\n}\n",
    error_brace_in_map_entry => "map $uri $x {\n    ~^/(a|b) {\n    default 0;\n}\n",
    error_byte_order_mark => "\u{feff}events {}\n",
    error_unclosed_lua_block => "server {\n    location / {\n        content_by_lua_block {\n            ngx.say('hi')\n",
    error_include_arguments => "http {\n    include a.conf b.conf;\n}\n",
}

#[test]
fn error_nesting_too_deep() {
    let text = "a {".repeat(300) + &"}".repeat(300);
    let rendered = rendered_errors("deep.conf", &text);
    // The snippet is one long line; the message and label are what matter.
    assert!(
        rendered.contains("blocks are nested more than 200 levels deep"),
        "{rendered}"
    );
    assert!(rendered.contains("this `{` opens level 201"), "{rendered}");
}
