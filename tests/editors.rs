//! The editor setups in README.md, tried with the real tools on gatelint's
//! real output: Node runs VS Code's problem-matcher pattern, Vim's `:make`
//! fills its quickfix list, Emacs's compilation mode parses the lines, and
//! headless Neovim runs the nvim-lint linter's parser. A tool that is not
//! installed is skipped, and the test says so.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn readme_block(editor: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let marker = format!("<!-- editor: {editor} -->");
    let after = &readme[readme.find(&marker).expect("marker in README") + marker.len()..];
    let start = after.find("```").unwrap();
    let body = &after[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/outputs")
}

fn available(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("GATELINT_REQUIRE_EDITORS").is_none(),
            "{tool} is required but missing"
        );
        common::skipped(&format!(
            "the {tool} check: {tool} is not installed (scripts/test-all.sh installs it)"
        ));
    }
    found
}

/// (file, line, column, severity, rule) of each finding, from the JSON.
fn expected() -> Vec<(String, u64, u64, String, String)> {
    let run = common::gatelint(
        &fixture(),
        &["lint", "--format", "json", "--fail-on", "never", "."],
    );
    run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["severity"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn concise_output(dir: &Path) -> PathBuf {
    let run = common::gatelint(
        &fixture(),
        &["lint", "--format", "concise", "--fail-on", "never", "."],
    );
    let path = dir.join("out.txt");
    std::fs::write(&path, run.stdout).unwrap();
    path
}

#[test]
fn vscode_problem_matcher() {
    if !available("node") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tasks = dir.path().join("tasks.json");
    std::fs::write(&tasks, readme_block("vscode")).unwrap();
    let out = concise_output(dir.path());
    let script = r#"
        const fs = require("fs");
        const task = JSON.parse(fs.readFileSync(process.argv[1], "utf8")).tasks[0];
        const p = task.problemMatcher.pattern;
        const re = new RegExp(p.regexp);
        for (const line of fs.readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean)) {
          const m = line.match(re);
          if (!m) { console.log("NO MATCH " + line); continue; }
          console.log([m[p.file], m[p.line], m[p.column], m[p.severity], m[p.code]].join("|"));
        }"#;
    let output = common::bounded(
        Command::new("node")
            .args(["-e", script])
            .arg(&tasks)
            .arg(&out),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let want: Vec<String> = expected()
        .iter()
        .map(|(f, l, c, s, r)| format!("{f}|{l}|{c}|{s}|{r}"))
        .collect();
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        want,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn vim_make_fills_the_quickfix_list() {
    if !available("vim") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let setup = dir.path().join("gatelint.vim");
    std::fs::write(&setup, readme_block("vim")).unwrap();
    let result = dir.path().join("qf.txt");
    let bin = Path::new(env!("CARGO_BIN_EXE_gatelint")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = common::bounded(Command::new("vim")
        .current_dir(fixture())
        .env("PATH", path)
        .args(["-Nu", "NONE", "-i", "NONE", "-es"])
        .arg("-c")
        .arg(format!("source {}", setup.display()))
        .args(["-c", "silent make! ."])
        .arg("-c")
        .arg(format!(
            "call writefile(map(getqflist(), {{_, e -> bufname(e.bufnr) . '|' . e.lnum . '|' . e.col . '|' . e.type . '|' . e.text}}), '{}')",
            result.display()
        ))
        .args(["-c", "qa!"]));
    assert!(
        result.exists(),
        "vim wrote nothing: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = std::fs::read_to_string(&result).unwrap();
    let got: Vec<String> = lines.lines().map(String::from).collect();
    let want: Vec<String> = expected()
        .iter()
        .map(|(f, l, c, s, _)| format!("{f}|{l}|{c}|{}", &s[..1]))
        .collect();
    let got_prefix: Vec<String> = got
        .iter()
        .map(|g| g.splitn(5, '|').take(4).collect::<Vec<_>>().join("|"))
        .collect();
    assert_eq!(got_prefix, want, "quickfix list: {lines}");
    assert!(got[0].ends_with("`proxy_pass http://api` sends plain text to `10.0.1.30:8443` of upstream `api`, whose port 8443 speaks TLS"), "{}", got[0]);
}

#[test]
fn emacs_compilation_mode_reads_the_lines() {
    if !available("emacs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = concise_output(dir.path());
    let setup = readme_block("emacs");
    let script = format!(
        r#"(progn
          (require 'compile)
          {setup}
          (let* ((entry (assq 'gnu compilation-error-regexp-alist-alist))
                 (re (nth 1 entry))
                 (group (lambda (spec) (if (consp spec) (car spec) spec))))
            (with-temp-buffer
              (insert-file-contents "{}")
              (dolist (line (split-string (buffer-string) "\n" t))
                (if (string-match re line)
                    (princ (format "%s|%s|%s\n"
                                   (match-string (funcall group (nth 2 entry)) line)
                                   (match-string (funcall group (nth 3 entry)) line)
                                   (match-string (funcall group (nth 4 entry)) line)))
                  (princ (format "NO MATCH %s\n" line)))))))"#,
        out.display()
    );
    let output = common::bounded(Command::new("emacs").args(["--batch", "-Q", "--eval", &script]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let want: Vec<String> = expected()
        .iter()
        .map(|(f, l, c, _, _)| format!("{f}|{l}|{c}"))
        .collect();
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        want,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn neovim_lint_parser_turns_json_into_diagnostics() {
    if !available("nvim") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let snippet = dir.path().join("gatelint.lua");
    std::fs::write(&snippet, readme_block("neovim")).unwrap();
    // The buffer is conf.d/shop.conf, linted through standard input as the editor would.
    let text = std::fs::read_to_string(fixture().join("conf.d/shop.conf")).unwrap();
    let run = common::gatelint_with_stdin(
        &fixture(),
        &[
            "lint",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--stdin-filename",
            "conf.d/shop.conf",
            "-",
        ],
        &text,
    );
    let json = dir.path().join("out.json");
    std::fs::write(&json, &run.stdout).unwrap();
    let result = dir.path().join("diagnostics.txt");
    let script = dir.path().join("check.lua");
    std::fs::write(
        &script,
        format!(
            r#"
            package.loaded["lint"] = {{ linters = {{}}, linters_by_ft = {{}}, try_lint = function() end }}
            dofile("{}")
            local linter = require("lint").linters.gatelint
            vim.cmd("edit {}")
            local output = table.concat(vim.fn.readfile("{}"), "\n")
            local lines = {{}}
            for _, d in ipairs(linter.parser(output, 0)) do
              table.insert(lines, string.format("%d|%d|%d|%d|%s|%d", d.lnum, d.col, d.end_lnum, d.end_col, d.code, d.severity))
            end
            vim.fn.writefile(lines, "{}")
            vim.cmd("qa!")
            "#,
            snippet.display(),
            fixture().join("conf.d/shop.conf").display(),
            json.display(),
            result.display()
        ),
    )
    .unwrap();
    // `-c luafile` rather than `-l`, which Neovim before 0.9 lacks.
    let output = common::bounded(
        Command::new("nvim")
            .args(["--headless", "-u", "NONE", "-i", "NONE", "-c"])
            .arg(format!("luafile {}", script.display())),
    );
    let got = std::fs::read_to_string(&result)
        .unwrap_or_else(|_| panic!("nvim failed: {}", String::from_utf8_lossy(&output.stderr)));
    let findings = run.json()["findings"].as_array().unwrap().clone();
    let want: Vec<String> = findings
        .iter()
        .map(|f| {
            let severity = match f["severity"].as_str().unwrap() {
                "error" => 1,
                "warning" => 2,
                _ => 3,
            };
            format!(
                "{}|{}|{}|{}|{}|{severity}",
                f["line"].as_u64().unwrap() - 1,
                f["column"].as_u64().unwrap() - 1,
                f["end_line"].as_u64().unwrap() - 1,
                f["end_column"].as_u64().unwrap() - 1,
                f["rule"].as_str().unwrap()
            )
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got.lines().collect::<Vec<_>>(), want);
}
