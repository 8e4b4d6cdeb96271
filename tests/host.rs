//! `--host` against real listeners this test starts on loopback: TCP on
//! 127.0.0.1, an IPv6-only one on ::1, unix sockets with chosen modes, a
//! stale socket, php-fpm pool files; each finding, and its absence when the
//! listener is right. Nothing here touches an address beyond loopback.

mod common;

use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::Path;

use common::{findings_of, gatelint, write};

fn host_findings(dir: &Path, args: &[&str]) -> Vec<(String, String, u64)> {
    let mut all = vec!["--host", "--format", "json"];
    all.extend_from_slice(args);
    let run = gatelint(dir, &all);
    findings_of(&run)
        .into_iter()
        .filter(|f| f["rule"].as_str().unwrap_or("").starts_with("host-"))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn tcp_targets_on_this_machine_need_a_listener_of_their_family() {
    let dir = tempfile::tempdir().unwrap();
    let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let v4_port = v4.local_addr().unwrap().port();
    // A port nobody listens on: bound, read, released.
    let dead_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let v6 = match TcpListener::bind("[::1]:0") {
        Ok(listener) => Some(listener),
        Err(e) => {
            common::skipped(&format!(
                "IPv6 loopback unavailable ({e}): the ::1 case is not run"
            ));
            None
        }
    };
    let v6_port = v6.as_ref().map(|l| l.local_addr().unwrap().port());
    let mut config = format!(
        "events {{}}\nhttp {{\n    server {{\n        listen 80;\n        location /live/ {{ proxy_pass http://127.0.0.1:{v4_port}; }}\n        location /dead/ {{ proxy_pass http://127.0.0.1:{dead_port}; }}\n        location /remote/ {{ proxy_pass http://192.0.2.10:{dead_port}; }}\n"
    );
    if let Some(port) = v6_port {
        config.push_str(&format!(
            "        location /v6/ {{ proxy_pass http://127.0.0.1:{port}; }}\n        location /v6ok/ {{ proxy_pass http://[::1]:{port}; }}\n"
        ));
    }
    config.push_str("    }\n}\n");
    write(dir.path(), "nginx.conf", &config);
    let found = host_findings(dir.path(), &["nginx.conf"]);
    let mut expected = vec![(
        "host-nothing-listens".to_string(),
        format!("nothing listens on 127.0.0.1:{dead_port}"),
        6,
    )];
    if let Some(port) = v6_port {
        expected.push((
            "host-nothing-listens".to_string(),
            format!("nothing listens on 127.0.0.1:{port}, but [::1]:{port} does"),
            8,
        ));
    }
    assert_eq!(found, expected);
    // The live listener is really there.
    assert!(TcpStream::connect(("127.0.0.1", v4_port)).is_ok());
    drop(v4);
    drop(v6);
}

#[test]
fn unix_sockets_must_exist_accept_and_admit_the_worker_user() {
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o755);
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    chmod(&run, 0o755);
    let open = run.join("php8.1-fpm.sock");
    let _open = UnixListener::bind(&open).unwrap();
    chmod(&open, 0o666);
    let locked = run.join("locked.sock");
    let _locked = UnixListener::bind(&locked).unwrap();
    chmod(&locked, 0o600);
    let stale = run.join("stale.sock");
    drop(UnixListener::bind(&stale).unwrap());
    chmod(&stale, 0o666);
    let plain = run.join("plain.sock");
    std::fs::write(&plain, "").unwrap();
    let r = run.display();
    write(
        dir.path(),
        "nginx.conf",
        &format!(
            "user nobody;\nevents {{}}\nhttp {{\n    server {{\n        listen 80;\n        location /a/ {{ fastcgi_pass unix:{r}/php8.1-fpm.sock; }}\n        location /b/ {{ fastcgi_pass unix:{r}/php8.2-fpm.sock; }}\n        location /c/ {{ proxy_pass http://unix:{r}/locked.sock:; }}\n        location /d/ {{ proxy_pass http://unix:{r}/stale.sock:; }}\n        location /e/ {{ proxy_pass http://unix:{r}/plain.sock:; }}\n    }}\n}}\n"
        ),
    );
    let found = host_findings(dir.path(), &["nginx.conf"]);
    let messages: Vec<(u64, &str)> = found.iter().map(|(_, m, l)| (*l, m.as_str())).collect();
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(found.iter().all(|(rule, _, _)| rule == "host-unix-socket"));
    assert_eq!(
        messages[0],
        (
            7,
            format!("`{r}/php8.2-fpm.sock` does not exist, but `{r}/php8.1-fpm.sock` does")
                .as_str()
        )
    );
    assert!(
        messages[1].0 == 8 && messages[1].1.starts_with("user `nobody` may not write to"),
        "{messages:?}"
    );
    assert!(
        messages[2].0 == 9 && messages[2].1.contains("does not accept connections"),
        "{messages:?}"
    );
    assert!(
        messages[3].0 == 10 && messages[3].1.ends_with("is not a socket"),
        "{messages:?}"
    );

    // A directory the worker user cannot search hides the socket.
    chmod(&run, 0o700);
    let found = host_findings(dir.path(), &["nginx.conf"]);
    assert!(
        found
            .iter()
            .any(|(_, m, l)| *l == 6 && m.contains("is not searchable")),
        "{found:#?}"
    );
    chmod(&run, 0o755);
}

#[test]
fn php_fpm_pools_must_listen_where_fastcgi_goes_and_let_the_user_in() {
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o755);
    let d = dir.path().display();
    write(
        dir.path(),
        "pool.d/www.conf",
        &format!(
            "[global]\npid = /run/php/php-fpm.pid\n\n[www]\nuser = www-data\nlisten = {d}/$pool.sock\nlisten.owner = www-data\nlisten.group = www-data\npm.max_children = 5\n\n[app]\nlisten = {d}/app.sock\nlisten.owner = nobody\npm.max_children = 40\n\n[tcp]\nlisten = 127.0.0.1:9000\npm.max_children = 20\n"
        ),
    );
    write(
        dir.path(),
        "nginx.conf",
        &format!(
            "user nobody;\nevents {{}}\nhttp {{\n    server {{\n        listen 80;\n        location /www/ {{ fastcgi_pass unix:{d}/www.sock; }}\n        location /app/ {{ fastcgi_pass unix:{d}/app.sock; }}\n        location /old/ {{ fastcgi_pass unix:{d}/php7.4-fpm.sock; }}\n    }}\n}}\n"
        ),
    );
    let found: Vec<(String, String, u64)> =
        host_findings(dir.path(), &["--php-fpm", "pool.d", "nginx.conf"])
            .into_iter()
            .filter(|(rule, _, _)| rule == "host-php-fpm-pool")
            .collect();
    let pool_file = "pool.d/www.conf";
    assert_eq!(
        found,
        vec![
            (
                "host-php-fpm-pool".to_string(),
                format!("pool `www` ({pool_file}:6) does not let `nobody` use its socket"),
                6
            ),
            (
                "host-php-fpm-pool".to_string(),
                format!("pool `www` ({pool_file}:6) has `pm.max_children` at 5"),
                6
            ),
            (
                "host-php-fpm-pool".to_string(),
                format!("no php-fpm pool listens on `unix:{d}/php7.4-fpm.sock`"),
                8
            ),
        ]
    );
}

#[test]
fn a_worker_user_that_does_not_exist_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "nginx.conf",
        "user no-such-user-gatelint;\nevents {}\nhttp { server { listen 80; } }\n",
    );
    let found = host_findings(dir.path(), &["nginx.conf"]);
    assert_eq!(
        found,
        vec![(
            "host-worker-user".to_string(),
            "user `no-such-user-gatelint` does not exist on this machine".to_string(),
            1
        )]
    );
    // Without --host nothing of the machine is checked.
    let run = gatelint(dir.path(), &["--format", "json", "nginx.conf"]);
    assert!(
        findings_of(&run)
            .iter()
            .all(|f| !f["rule"].as_str().unwrap().starts_with("host-"))
    );
}

#[test]
fn compose_hosts_must_be_services_on_ports_they_listen_on() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "docker-compose.yml",
        "services:\n  api:\n    image: example/api:1.4\n    expose: [\"8000\"]\n    networks:\n      back:\n        aliases: [api-internal]\n  db:\n    image: postgres:16\n  php:\n    image: php:8.3-fpm\n",
    );
    write(
        dir.path(),
        "nginx.conf",
        "events {}\nhttp {\n  upstream pool { server ap:8000; }\n  server {\n    listen 80;\n    location /a/ { proxy_pass http://api:3000; }\n    location /b/ { proxy_pass http://pool; }\n    location /c/ { proxy_pass http://api-internal:8000; }\n    location ~ \\.php$ { fastcgi_pass php:9000; }\n    location /d/ { proxy_pass http://db:5433; }\n    location /e/ { proxy_pass https://api.example.com; }\n  }\n}\n",
    );
    let run = gatelint(
        dir.path(),
        &[
            "--compose",
            "docker-compose.yml",
            "--format",
            "json",
            "nginx.conf",
        ],
    );
    let found: Vec<(String, u64, String)> = findings_of(&run)
        .into_iter()
        .filter(|f| f["rule"] == "host-compose-service")
        .map(|f| {
            (
                f["message"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["help"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "`ap` is not a service of docker-compose.yml".to_string(),
                3,
                "did you mean `api`?".to_string()
            ),
            (
                "service `api` of docker-compose.yml listens on 8000, not 3000".to_string(),
                6,
                "use the port inside the container (`api:8000`), not one published on the host"
                    .to_string()
            ),
            (
                "service `db` of docker-compose.yml listens on 5432, not 5433".to_string(),
                10,
                "use the port inside the container (`db:5432`), not one published on the host"
                    .to_string()
            ),
        ]
    );
    let broken = write(dir.path(), "broken.yml", "version: '3'\n");
    let run = gatelint(
        dir.path(),
        &["--compose", &broken.display().to_string(), "nginx.conf"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("is not a compose file: it has no `services:`"),
        "{}",
        run.stderr
    );
}
