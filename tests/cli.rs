//! The command as users run it: exit codes, JSON fields, stdin for editors,
//! `nginx -T` dumps, includes with --map and --prefix, directory discovery.

mod common;

use common::{findings_of, gatelint, gatelint_with_stdin, write};

const BROKEN: &str = "server {\n    listen 80\n}\n";

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "clean.conf", "events {}\n");
    write(dir.path(), "broken.conf", BROKEN);
    write(
        dir.path(),
        "outside.conf",
        "http { include /etc/passwd; }\n",
    );
    assert_eq!(gatelint(dir.path(), &["clean.conf"]).code, 0);
    assert_eq!(gatelint(dir.path(), &["broken.conf"]).code, 1);
    // An error fails every threshold; a warning only `warning` and `info`.
    assert_eq!(
        gatelint(dir.path(), &["--fail-on", "error", "broken.conf"]).code,
        1
    );
    assert_eq!(
        gatelint(dir.path(), &["--fail-on", "error", "outside.conf"]).code,
        0
    );
    assert_eq!(
        gatelint(dir.path(), &["--fail-on", "warning", "outside.conf"]).code,
        1
    );
    assert_eq!(
        gatelint(dir.path(), &["--fail-on", "info", "outside.conf"]).code,
        1
    );
    // Usage errors and no readable input are 2.
    assert_eq!(
        gatelint(dir.path(), &["--format", "yaml", "clean.conf"]).code,
        2
    );
    assert_eq!(gatelint(dir.path(), &["missing.conf"]).code, 2);
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let run = gatelint(&empty, &["."]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no nginx configuration found"),
        "{}",
        run.stderr
    );
}

#[test]
fn json_has_every_documented_field() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "site.conf", "# é\nserver {\n    listen 80\n}\n");
    let run = gatelint(dir.path(), &["--format", "json", "site.conf"]);
    let json = run.json();
    assert_eq!(json["version"], 1);
    let f = &json["findings"][0];
    for key in [
        "rule",
        "severity",
        "message",
        "help",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "offset",
        "length",
        "labels",
    ] {
        assert!(f.get(key).is_some(), "missing {key} in {f}");
    }
    assert_eq!(f["rule"], "syntax-error");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["message"], "missing `;` after `listen 80`");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(3), Some(14))
    );
    // "# é\n" is 5 bytes: offsets are bytes, columns characters.
    assert_eq!(f["offset"].as_u64(), Some(5 + 9 + 13));
    assert_eq!(json["summary"]["errors"], 1);
    assert_eq!(json["summary"]["files"], 1);
}

#[test]
fn human_output_is_plain_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "site.conf", BROKEN);
    let run = gatelint(dir.path(), &["site.conf"]);
    assert!(
        !run.stdout.contains('\u{1b}'),
        "escape codes in piped output:\n{}",
        run.stdout
    );
    assert!(run.stdout.contains("missing `;` after `listen 80`"));
    assert!(run.stdout.contains("[site.conf:2:14]"), "{}", run.stdout);
    assert!(
        run.stdout.trim_end().ends_with("1 error in 1 file"),
        "{}",
        run.stdout
    );
    let run = gatelint(dir.path(), &["--color", "always", "site.conf"]);
    assert!(run.stdout.contains('\u{1b}'));
}

#[test]
fn stdin_is_linted_as_the_named_file_with_its_includes() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "nginx.conf",
        "events {}\nhttp { include sites/*.conf; }\n",
    );
    write(dir.path(), "sites/snippet.inc", "proxy_read_timeout 5s\n");
    // The editor's buffer (unsaved) includes a file from disk with an error.
    let buffer = "server {\n    include sites/snippet.inc;\n    listen 80\n}\n";
    let run = gatelint_with_stdin(
        dir.path(),
        &[
            "lint",
            "--format",
            "json",
            "--stdin-filename",
            "sites/app.conf",
            "-",
        ],
        buffer,
    );
    let findings = findings_of(&run);
    let files: Vec<&str> = findings
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert!(files.contains(&"sites/app.conf"), "{findings:?}");
    assert!(files.contains(&"sites/snippet.inc"), "{findings:?}");
    let own = findings
        .iter()
        .find(|f| f["file"] == "sites/app.conf")
        .unwrap();
    assert_eq!(own["line"].as_u64(), Some(3));
    // Without a name it is <stdin>.
    let run = gatelint_with_stdin(dir.path(), &["--format", "json", "-"], BROKEN);
    assert_eq!(findings_of(&run)[0]["file"], "<stdin>");
    // --stdin-filename needs `-`.
    assert_eq!(
        gatelint(dir.path(), &["--stdin-filename", "x.conf", "nginx.conf"]).code,
        2
    );
}

#[test]
fn nginx_t_dumps_are_split_into_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let dump = "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n\
                nginx: configuration file /etc/nginx/nginx.conf test is successful\n\
                # configuration file /etc/nginx/nginx.conf:\n\
                events {}\nhttp {\n    include /etc/nginx/conf.d/*.conf;\n}\n\n\
                # configuration file /etc/nginx/conf.d/app.conf:\n\
                server {\n    listen 80;\n    server_name app\n}\n\n";
    write(dir.path(), "dump.txt", dump);
    let run = gatelint(dir.path(), &["--format", "json", "dump.txt"]);
    let findings = findings_of(&run);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["file"], "/etc/nginx/conf.d/app.conf");
    assert_eq!(findings[0]["line"].as_u64(), Some(3));
    assert_eq!(run.summary()["files"], 2);
    let run = gatelint_with_stdin(dir.path(), &["--format", "json", "-"], dump);
    assert_eq!(findings_of(&run)[0]["file"], "/etc/nginx/conf.d/app.conf");
}

#[test]
fn map_lets_a_repo_folder_stand_in_for_etc_nginx() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "deploy/nginx/nginx.conf",
        "http {\n    include /etc/nginx/conf.d/*.conf;\n}\n",
    );
    write(dir.path(), "deploy/nginx/conf.d/app.conf", BROKEN);
    let run = gatelint(dir.path(), &["--format", "json", "deploy/nginx/nginx.conf"]);
    let findings = findings_of(&run);
    assert_eq!(findings[0]["rule"], "include-outside-roots");
    let help = findings[0]["help"].as_str().unwrap();
    assert!(help.contains("--map /etc/nginx=deploy/nginx"), "{help}");
    let run = gatelint(
        dir.path(),
        &[
            "--format",
            "json",
            "--map",
            "/etc/nginx=deploy/nginx",
            "deploy/nginx/nginx.conf",
        ],
    );
    let findings = findings_of(&run);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["file"], "deploy/nginx/conf.d/app.conf");
    assert_eq!(
        gatelint(dir.path(), &["--map", "nonsense", "deploy"]).code,
        2
    );
}

#[test]
fn includes_resolve_against_the_prefix() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "conf/nginx.conf",
        "http {\n    include sites/*.conf;\n    include missing.conf;\n}\n",
    );
    write(
        dir.path(),
        "conf/sites/a.conf",
        "server {\n    include snippets/common.conf;\n}\n",
    );
    write(dir.path(), "conf/snippets/common.conf", "listen 80;\n");
    let run = gatelint(dir.path(), &["--format", "json", "conf/nginx.conf"]);
    let findings = findings_of(&run);
    assert_eq!(
        findings.len(),
        1,
        "nested relative includes resolve against the prefix, not the includer: {findings:?}"
    );
    assert_eq!(findings[0]["rule"], "include-not-found");
    assert_eq!(
        findings[0]["message"],
        "included file `conf/missing.conf` does not exist"
    );
    assert_eq!(run.summary()["files"], 3);
    // Globs that match nothing are fine, as in nginx.
    write(
        dir.path(),
        "conf2/nginx.conf",
        "http { include none/*.conf; }\n",
    );
    assert_eq!(gatelint(dir.path(), &["conf2/nginx.conf"]).code, 0);
    // --prefix moves the base.
    write(
        dir.path(),
        "other/x.conf",
        "include snippets/common.conf;\n",
    );
    let run = gatelint(
        dir.path(),
        &["--format", "json", "--prefix", "conf", "other/x.conf"],
    );
    assert_eq!(findings_of(&run).len(), 0, "{}", run.stdout);
}

#[test]
fn a_directory_lints_each_top_level_config_once_with_its_includes() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "nginx.conf",
        "http {\n    include conf.d/*.conf;\n}\n",
    );
    write(
        dir.path(),
        "conf.d/a.conf",
        "server { include snippets/x.conf; }\n",
    );
    write(
        dir.path(),
        "conf.d/b.conf",
        "server { include snippets/x.conf; }\n",
    );
    write(dir.path(), "snippets/x.conf", "listen 80\n");
    write(
        dir.path(),
        "sites-available/orphan",
        "server {\n    listen 8080;\n}\n",
    );
    write(dir.path(), "README.md", "# not a config {");
    let run = gatelint(dir.path(), &["--format", "json", "."]);
    let findings = findings_of(&run);
    // The snippet is included twice but reported once.
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["file"], "snippets/x.conf");
    assert_eq!(run.summary()["files"], 5);
    let tree = gatelint(dir.path(), &["parse", "sites-available/orphan"]).json();
    assert_eq!(tree["configs"][0]["files"][0]["context"], "http");
}

#[test]
fn parse_prints_the_tree_with_includes_and_contexts() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "nginx.conf",
        "http {\n    server {\n        include loc.conf;\n    }\n}\n",
    );
    write(dir.path(), "loc.conf", "location / { return 204; }\n");
    let tree = gatelint(dir.path(), &["parse", "nginx.conf"]).json();
    let files = tree["configs"][0]["files"].as_array().unwrap();
    assert_eq!(files[1]["file"], "loc.conf");
    assert_eq!(files[1]["context"], "http > server");
    let include = &files[0]["directives"][0]["block"][0]["block"][0];
    assert_eq!(include["directive"], "include");
    assert_eq!(include["includes"][0], "loc.conf");
    assert_eq!(include["args"][0]["span"]["line"], 3);
}

#[test]
fn completions_man_and_init() {
    let dir = tempfile::tempdir().unwrap();
    let bash = gatelint(dir.path(), &["completions", "bash"]);
    assert_eq!(bash.code, 0);
    assert!(
        bash.stdout.contains("_gatelint()"),
        "{}",
        &bash.stdout[..200.min(bash.stdout.len())]
    );
    assert!(
        gatelint(dir.path(), &["completions", "zsh"])
            .stdout
            .contains("#compdef gatelint")
    );
    assert!(
        gatelint(dir.path(), &["completions", "fish"])
            .stdout
            .contains("complete -c gatelint")
    );
    let man = gatelint(dir.path(), &["man"]);
    assert!(
        man.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &man.stdout[..100.min(man.stdout.len())]
    );
    assert!(man.stdout.contains(".TH gatelint 1"));
    let init = gatelint(dir.path(), &["init"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    let written = std::fs::read_to_string(dir.path().join("gatelint.toml")).unwrap();
    assert!(written.contains("[rules.read-timeout-too-low]"));
    // It is a valid configuration, and init does not overwrite it.
    write(dir.path(), "app.conf", "events {}\n");
    assert_eq!(gatelint(dir.path(), &["app.conf"]).code, 0);
    let again = gatelint(dir.path(), &["init"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("exists; pass --force"));
    assert_eq!(gatelint(dir.path(), &["init", "--force"]).code, 0);
}

#[test]
fn the_shipped_examples_report_what_they_stage() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, top) in [
        ("example_nginx", "examples/nginx/nginx.conf"),
        ("example_apache", "examples/apache/apache2.conf"),
    ] {
        let run = gatelint(root, &["--format", "concise", top]);
        assert_eq!(run.code, 1, "{top}: {}", run.stderr);
        insta::assert_snapshot!(name, run.stdout);
    }
}

#[test]
fn files_of_one_glob_parsed_together_keep_their_own_findings() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "nginx.conf",
        "events {}\nhttp {\n    include conf.d/*.conf;\n}\n",
    );
    for i in 0..6 {
        let body = if i % 2 == 0 {
            format!("server {{ listen {}; }}\n", 8000 + i)
        } else {
            // A missing `;` on a line of its own, at a line that differs per file.
            format!("{}server {{\n    listen {}\n}}\n", "\n".repeat(i), 8000 + i)
        };
        write(dir.path(), &format!("conf.d/{i}.conf"), &body);
    }
    let run = gatelint(dir.path(), &["--format", "concise", "nginx.conf"]);
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains("syntax-error"))
        .map(|l| l.split(": ").next().unwrap_or(""))
        .collect();
    assert_eq!(
        errors,
        vec![
            "conf.d/1.conf:3:16",
            "conf.d/3.conf:5:16",
            "conf.d/5.conf:7:16"
        ],
        "{}",
        run.stdout
    );
}

#[test]
fn timings_go_to_stderr_and_leave_the_report_alone() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "nginx.conf",
        "events {}\nhttp { include conf.d/*.conf; }\n",
    );
    for n in 0..3 {
        write(
            dir.path(),
            &format!("conf.d/site{n}.conf"),
            "server { listen 80; location / { proxy_pass http://127.0.0.1:8080; } }\n",
        );
    }
    let plain = gatelint(dir.path(), &["--format", "json", "nginx.conf"]);
    let timed = gatelint(dir.path(), &["--format", "json", "--timings", "nginx.conf"]);
    assert_eq!(plain.stdout, timed.stdout);
    assert_eq!(plain.code, timed.code);
    assert!(plain.stderr.is_empty(), "{}", plain.stderr);
    for stage in [
        "load",
        "read",
        "parse",
        "model",
        "rules",
        "report",
        "total (wall)",
        "peak memory",
    ] {
        assert!(
            timed.stderr.contains(stage),
            "no {stage}:\n{}",
            timed.stderr
        );
    }
}
