//! Bad input never stops a run: each case gives a clear finding and the
//! other files are still linted.

mod common;

use common::{findings_of, gatelint, write};

#[test]
fn binary_file_is_reported_and_others_are_linted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("blob.conf"), b"\x7fELF\x02\x01\x01\0\0\0\0").unwrap();
    write(dir.path(), "site.conf", "server {\n    listen 80\n}\n");
    let run = gatelint(dir.path(), &["lint", "--format", "json", "."]);
    assert_eq!(run.code, 1);
    let findings = findings_of(&run);
    let rules: Vec<&str> = findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"file-not-text"), "{rules:?}");
    assert!(
        rules.contains(&"syntax-error"),
        "site.conf must still be linted: {rules:?}"
    );
    let binary = findings
        .iter()
        .find(|f| f["rule"] == "file-not-text")
        .unwrap();
    assert_eq!(binary["file"], "blob.conf");
    assert!(binary["message"].as_str().unwrap().contains("binary file"));
}

#[test]
fn non_utf8_bytes_are_pointed_at_and_the_file_is_still_parsed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("latin1.conf"),
        b"# caf\xe9\nserver {\n    listen 80\n}\n",
    )
    .unwrap();
    let run = gatelint(dir.path(), &["lint", "--format", "json", "latin1.conf"]);
    let findings = findings_of(&run);
    let utf8 = findings
        .iter()
        .find(|f| f["rule"] == "invalid-utf8")
        .expect("invalid-utf8 finding");
    assert_eq!(
        (utf8["line"].as_u64(), utf8["column"].as_u64()),
        (Some(1), Some(6))
    );
    assert_eq!(
        (utf8["offset"].as_u64(), utf8["length"].as_u64()),
        (Some(5), Some(1))
    );
    let syntax = findings
        .iter()
        .find(|f| f["rule"] == "syntax-error")
        .expect("the rest is parsed");
    assert_eq!(syntax["line"].as_u64(), Some(3));
}

#[test]
fn a_50_mb_file_is_refused_by_default_and_read_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let entry = "    10.20.30.40/32 1;\n";
    let mut text = String::from("geo $blocked {\n    default 0;\n");
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(entry);
    }
    text.push_str("}\n");
    write(dir.path(), "huge.conf", &text);
    write(dir.path(), "small.conf", "events {}\n");
    let run = gatelint(
        dir.path(),
        &["lint", "--format", "json", "huge.conf", "small.conf"],
    );
    assert_eq!(run.code, 1);
    let findings = findings_of(&run);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule"], "file-too-large");
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .contains("50.0 MiB")
    );
    let run = gatelint(
        dir.path(),
        &[
            "lint",
            "--format",
            "json",
            "--max-file-size",
            "64M",
            "huge.conf",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn a_hundred_thousand_nested_blocks_do_not_overflow_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    write(
        dir.path(),
        "deep.conf",
        &("location / {\n".repeat(depth) + &"}\n".repeat(depth)),
    );
    write(dir.path(), "fine.conf", "events {}\n");
    let run = gatelint(
        dir.path(),
        &["lint", "--format", "json", "deep.conf", "fine.conf"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = findings_of(&run);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .contains("nested more than 200 levels")
    );
    assert_eq!(findings[0]["line"].as_u64(), Some(201));
    assert_eq!(run.summary()["files"], 2);
}

#[test]
fn a_directory_symlink_loop_is_reported_not_followed_forever() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "conf.d/app.conf",
        "server {\n    listen 80;\n}\n",
    );
    std::os::unix::fs::symlink("..", dir.path().join("conf.d/loop")).unwrap();
    let run = gatelint(dir.path(), &["lint", "--format", "json", "."]);
    let findings = findings_of(&run);
    let looped = findings
        .iter()
        .find(|f| f["rule"] == "directory-loop")
        .expect("directory-loop finding");
    assert!(
        looped["message"]
            .as_str()
            .unwrap()
            .contains("links back to"),
        "{looped}"
    );
    assert_eq!(run.summary()["files"], 1);
}

#[test]
fn a_broken_link_matched_by_an_include_glob_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "apache2.conf",
        "Include conf-enabled/*.conf\nIncludeOptional sites-enabled/*.conf\n",
    );
    write(dir.path(), "conf-enabled/ok.conf", "ServerTokens Prod\n");
    write(dir.path(), "sites-enabled/ok.conf", "ServerName a\n");
    for sub in ["conf-enabled", "sites-enabled"] {
        std::os::unix::fs::symlink("../gone/x.conf", dir.path().join(sub).join("broken.conf"))
            .unwrap();
    }
    let run = gatelint(dir.path(), &["lint", "--format", "json", "apache2.conf"]);
    let broken: Vec<_> = findings_of(&run)
        .into_iter()
        .filter(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .contains("is a broken symbolic link to `../gone/x.conf`")
        })
        .collect();
    assert_eq!(broken.len(), 2, "{broken:?}");
    // httpd refuses a broken file matched by `Include`; `IncludeOptional`
    // skips it.
    assert_eq!(broken[0]["severity"], "error");
    assert_eq!(broken[0]["line"], 1);
    assert_eq!(broken[1]["severity"], "warning");
    assert_eq!(broken[1]["line"], 2);
    assert!(
        findings_of(&run)
            .iter()
            .all(|f| f["rule"] != "include-outside-roots"),
        "a broken link is not outside the roots"
    );
    assert_eq!(run.summary()["files"], 3);
}

#[test]
fn an_unreadable_file_is_reported_and_others_are_linted() {
    let dir = tempfile::tempdir().unwrap();
    let locked = write(dir.path(), "locked.conf", "events {}\n");
    write(dir.path(), "open.conf", "server {\n    listen 80\n}\n");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // root reads anything, so as root the check runs as `nobody`.
    let run = common::gatelint_unprivileged(
        dir.path(),
        &["lint", "--format", "json", "locked.conf", "open.conf"],
    );
    let findings = findings_of(&run);
    let unreadable = findings
        .iter()
        .find(|f| f["rule"] == "file-unreadable")
        .expect("file-unreadable finding");
    assert!(
        unreadable["message"]
            .as_str()
            .unwrap()
            .contains("permission denied"),
        "{unreadable}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "syntax-error" && f["file"] == "open.conf")
    );
}

#[test]
fn an_include_cycle_is_reported_not_followed_forever() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "nginx.conf", "http {\n    include a.conf;\n}\n");
    write(dir.path(), "a.conf", "include b.conf;\n");
    write(dir.path(), "b.conf", "include a.conf;\n");
    let run = gatelint(dir.path(), &["lint", "--format", "json", "nginx.conf"]);
    assert_eq!(run.code, 1);
    let findings = findings_of(&run);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule"], "include-cycle");
    assert_eq!(findings[0]["file"], "b.conf");
    assert_eq!(
        findings[0]["message"],
        "include cycle: a.conf → b.conf → a.conf"
    );
}

#[test]
fn an_include_of_proc_self_environ_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "nginx.conf",
        "http {\n    include /proc/self/environ;\n}\n",
    );
    let run = common::gatelint_with_env(
        dir.path(),
        &["lint", "nginx.conf", "--color", "never"],
        &[("GATELINT_TEST_SECRET", "hunter2-do-not-print")],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("include-outside-roots"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("`/proc/self/environ` is outside the linted paths and was not read")
    );
    assert!(
        !run.stdout.contains("hunter2"),
        "the environment leaked:\n{}",
        run.stdout
    );
    // With the explicit opt-in it is read (and is not an nginx config).
    let run = common::gatelint_with_env(
        dir.path(),
        &[
            "lint",
            "nginx.conf",
            "--allow-outside-roots",
            "--format",
            "json",
        ],
        &[("GATELINT_TEST_SECRET", "hunter2-do-not-print")],
    );
    assert!(
        !findings_of(&run)
            .iter()
            .any(|f| f["rule"] == "include-outside-roots")
    );
}
