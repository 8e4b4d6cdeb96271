//! `--probe` against listeners this test starts on loopback only: plain
//! HTTP, TLS with a certificate made at test time (and one that refuses a
//! handshake without SNI), FastCGI on TCP and on a unix socket, an
//! IPv6-only listener on ::1, a port nobody listens on, and one that
//! accepts but never answers. No name is looked up beyond `localhost`.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::e2e::{Running, self_signed, start_backend};
use common::{findings_of, gatelint, write};

/// An HTTP server on 127.0.0.1 that answers every request and counts the
/// connections it gets.
fn http_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            let mut buffer = [0u8; 1024];
            let _ = stream.read(&mut buffer);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (port, count)
}

/// A FastCGI responder on a unix socket: answers FCGI_GET_VALUES.
fn fastcgi_socket(path: &Path) {
    let listener = UnixListener::bind(path).unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut header = [0u8; 8];
            if stream.read_exact(&mut header).is_ok() && header[0] == 1 {
                let _ = stream.write_all(&[1, 10, 0, 0, 0, 0, 0, 0]);
            }
        }
    });
}

fn probe_findings(dir: &Path, args: &[&str]) -> Vec<(String, String, u64)> {
    let mut all = vec!["--format", "json", "--select", "localhost-target"];
    all.extend_from_slice(args);
    let run = gatelint(dir, &all);
    let mut found: Vec<(String, String, u64)> = findings_of(&run)
        .into_iter()
        .filter(|f| f["rule"].as_str().unwrap_or("").starts_with("probe-"))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    found.sort_by_key(|f| f.2);
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn plain_tcp_fastcgi_and_ipv6_targets() {
    let dir = tempfile::tempdir().unwrap();
    let (http, connections) = http_server();
    let dead = free_port();
    let socket = dir.path().join("php-fpm.sock");
    fastcgi_socket(&socket);
    let v6 = TcpListener::bind("[::1]:0").ok();
    let mut config = format!(
        "events {{}}\nhttp {{\n  server {{\n    listen 80;\n    location /a/ {{ proxy_pass http://127.0.0.1:{http}; }}\n    location /b/ {{ proxy_pass http://127.0.0.1:{http}/b/; }}\n    location /c/ {{ proxy_pass http://127.0.0.1:{dead}; }}\n    location /d/ {{ fastcgi_pass 127.0.0.1:{http}; }}\n    location /e/ {{ fastcgi_pass unix:{}; }}\n",
        socket.display()
    );
    match &v6 {
        Some(listener) => {
            let port = listener.local_addr().unwrap().port();
            // Accepting in the kernel is enough for a connect probe.
            config.push_str(&format!(
                "    location /f/ {{ proxy_pass http://[::1]:{port}; }}\n    location /g/ {{ proxy_pass http://127.0.0.1:{port}; }}\n"
            ));
        }
        None => common::skipped("IPv6 loopback unavailable: the ::1 cases are not run"),
    }
    config.push_str("  }\n}\n");
    write(dir.path(), "nginx.conf", &config);
    let found = probe_findings(dir.path(), &["--probe", "nginx.conf"]);
    let mut expected = vec![
        (
            "probe-connect".to_string(),
            format!("connect to 127.0.0.1:{dead} refused"),
            7,
        ),
        (
            "probe-protocol".to_string(),
            format!("127.0.0.1:{http} answers HTTP, not FastCGI"),
            8,
        ),
    ];
    if let Some(listener) = &v6 {
        let port = listener.local_addr().unwrap().port();
        expected.push((
            "probe-connect".to_string(),
            format!("connect to 127.0.0.1:{port} refused"),
            11,
        ));
    }
    assert_eq!(found, expected);
    // Two routes to one address: one connection for the connect probe, one
    // for the FastCGI probe of the third route.
    assert_eq!(connections.load(Ordering::SeqCst), 2);

    // --probe-http asks the HTTP ones for a reply too: the ::1 listener
    // accepts in the kernel but never answers.
    let found = probe_findings(
        dir.path(),
        &["--probe-http", "--probe-timeout", "500ms", "nginx.conf"],
    );
    assert!(
        found
            .iter()
            .all(|(_, _, line)| [7, 8, 10, 11].contains(line)),
        "{found:#?}"
    );
    if v6.is_some() {
        assert!(
            found
                .iter()
                .any(|(_, m, l)| *l == 10 && m.ends_with("gave no HTTP answer (no reply in time)")),
            "{found:#?}"
        );
    }
    // Without --probe nothing is contacted.
    let before = connections.load(Ordering::SeqCst);
    let run = gatelint(dir.path(), &["--format", "json", "nginx.conf"]);
    assert!(
        findings_of(&run)
            .iter()
            .all(|f| !f["rule"].as_str().unwrap().starts_with("probe-"))
    );
    assert_eq!(connections.load(Ordering::SeqCst), before);
}

fn have(tool: &str) -> bool {
    std::process::Command::new(tool)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

#[test]
fn tls_is_opened_as_nginx_would_with_its_sni_and_verification() {
    if !have("python3") || !have("openssl") {
        common::skipped("tls probe: python3 and openssl are needed for the TLS backends");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let certs = self_signed(dir.path());
    let (sni_port, plain_port) = (free_port(), free_port());
    let _needs_sni: Running = start_backend("tlssni", sni_port, &certs);
    let _tls: Running = start_backend("tls", plain_port, &certs);
    let (http, _) = http_server();
    let ca = certs.0.display();
    write(
        dir.path(),
        "nginx.conf",
        &format!(
            "events {{}}\nhttp {{\n  server {{\n    listen 80;\n    location /a/ {{ proxy_pass https://localhost:{sni_port}; }}\n    location /b/ {{ proxy_ssl_server_name on; proxy_pass https://localhost:{sni_port}; }}\n    location /c/ {{ proxy_ssl_verify on; proxy_ssl_trusted_certificate {ca}; proxy_pass https://localhost:{plain_port}; }}\n    location /d/ {{ proxy_ssl_verify on; proxy_ssl_trusted_certificate {ca}; proxy_ssl_name api.example.com; proxy_pass https://localhost:{plain_port}/d/; }}\n    location /e/ {{ proxy_pass https://127.0.0.1:{http}; }}\n    location /f/ {{ proxy_pass http://127.0.0.1:{plain_port}/f/; }}\n  }}\n}}\n"
        ),
    );
    let found = probe_findings(dir.path(), &["--probe-http", "nginx.conf"]);
    assert_eq!(
        found,
        vec![
            (
                "probe-tls".to_string(),
                format!(
                    "TLS handshake to localhost:{sni_port} failed without SNI; it succeeds with SNI"
                ),
                5
            ),
            (
                "probe-tls".to_string(),
                format!(
                    "TLS handshake to localhost:{plain_port} failed: the certificate was rejected: it does not carry the name checked"
                ),
                8
            ),
            (
                "probe-tls".to_string(),
                format!(
                    "TLS handshake to 127.0.0.1:{http} failed: the backend did not answer with TLS (a plain HTTP port?)"
                ),
                9
            ),
            (
                "probe-protocol".to_string(),
                format!("127.0.0.1:{plain_port} gave no HTTP answer (it reset the connection)"),
                10
            ),
        ]
    );
}

#[test]
fn the_run_ends_at_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    // Accepted by the kernel, never answered: each FastCGI probe waits.
    let silent: Vec<TcpListener> = (0..3)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let mut config = String::from("events {}\nhttp {\n  server {\n    listen 80;\n");
    for (i, listener) in silent.iter().enumerate() {
        config.push_str(&format!(
            "    location /{i}/ {{ fastcgi_pass 127.0.0.1:{}; }}\n",
            listener.local_addr().unwrap().port()
        ));
    }
    config.push_str("  }\n}\n");
    write(dir.path(), "nginx.conf", &config);
    let started = std::time::Instant::now();
    let found = probe_findings(
        dir.path(),
        &[
            "--probe",
            "--probe-timeout",
            "20s",
            "--probe-deadline",
            "1s",
            "nginx.conf",
        ],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found
            .iter()
            .all(|(rule, message, _)| rule == "probe-deadline"
                && message.ends_with("was not probed before the deadline"))
    );
}

/// A DNS server on 127.0.0.1 that knows one name (`app.test` → 127.0.0.1)
/// and says NXDOMAIN for every other.
fn dns_server() -> u16 {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut query = [0u8; 512];
        while let Ok((len, from)) = socket.recv_from(&mut query) {
            let question = &query[12..len];
            let known = question.starts_with(b"\x03app\x04test\x00");
            let is_a = question.get(question.len() - 3) == Some(&1);
            let mut reply = query[..len].to_vec();
            reply[2] = 0x81;
            reply[3] = if known { 0x80 } else { 0x83 };
            if known && is_a {
                reply[7] = 1;
                reply.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 127, 0, 0, 1]);
            }
            let _ = socket.send_to(&reply, from);
        }
    });
    port
}

#[test]
fn names_resolved_per_request_ask_the_configured_resolver() {
    let dir = tempfile::tempdir().unwrap();
    let (http, connections) = http_server();
    let dns = dns_server();
    write(
        dir.path(),
        "nginx.conf",
        &format!(
            "events {{}}\nhttp {{\n  resolver 127.0.0.1:{dns} valid=10s;\n  server {{\n    listen 80;\n    location /a/ {{ set $a app.test; proxy_pass http://$a:{http}; }}\n    location /b/ {{ set $b missing.test; proxy_pass http://$b:{http}; }}\n  }}\n}}\n"
        ),
    );
    let found = probe_findings(dir.path(), &["--probe", "nginx.conf"]);
    assert_eq!(
        found,
        vec![(
            "probe-dns".to_string(),
            format!(
                "`missing.test` does not resolve at the configured resolver: 127.0.0.1:{dns} says it does not exist (NXDOMAIN)"
            ),
            7
        )]
    );
    // `app.test` was reached at the address the resolver gave.
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[test]
fn the_http_probe_sends_the_host_the_server_would() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buffer = [0u8; 2048];
            let n = stream.read(&mut buffer).unwrap_or(0);
            let text = String::from_utf8_lossy(&buffer[..n]).to_string();
            let host = text
                .lines()
                .find_map(|l| l.strip_prefix("Host: "))
                .unwrap_or("")
                .to_string();
            record.lock().unwrap().push(host);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        }
    });
    write(
        dir.path(),
        "nginx.conf",
        &format!(
            "events {{}}\nhttp {{\n  server {{\n    listen 80;\n    server_name shop.example.com;\n    location /a/ {{ proxy_pass http://127.0.0.1:{port}; }}\n    location /b/ {{ proxy_set_header Host $host; proxy_pass http://127.0.0.1:{port}/b/; }}\n    location /c/ {{ proxy_set_header Host api.internal; proxy_pass http://127.0.0.1:{port}/c/; }}\n  }}\n}}\n"
        ),
    );
    assert_eq!(
        probe_findings(dir.path(), &["--probe-http", "nginx.conf"]),
        vec![]
    );
    let mut hosts = seen.lock().unwrap().clone();
    hosts.sort();
    assert_eq!(
        hosts,
        vec![
            format!("127.0.0.1:{port}"),
            "api.internal".to_string(),
            "shop.example.com".to_string()
        ]
    );
}
