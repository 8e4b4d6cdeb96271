//! What well-known ports speak. Only ports whose protocol is near certain
//! are listed, so that a rule built on them does not guess.

/// Ports that speak TLS (HTTPS and friends).
pub const TLS_PORTS: &[u16] = &[443, 4443, 6443, 8443, 9443];

/// Ports that speak plain HTTP in practice: the defaults of web frameworks
/// and app servers.
pub const PLAIN_HTTP_PORTS: &[u16] = &[80, 3000, 4000, 5000, 8000, 8008, 8080, 8081, 8888];

/// Ports of services that do not speak HTTP at all, and what they are.
pub const NON_HTTP_SERVICES: &[(u16, &str)] = &[
    (22, "SSH"),
    (25, "SMTP"),
    (3306, "MySQL"),
    (5432, "PostgreSQL"),
    (6379, "Redis"),
    (11211, "memcached"),
    (27017, "MongoDB"),
];

/// php-fpm's default TCP port, which speaks FastCGI.
pub const PHP_FPM_PORT: u16 = 9000;

pub fn speaks_tls(port: u16) -> bool {
    TLS_PORTS.contains(&port)
}

pub fn speaks_plain_http(port: u16) -> bool {
    PLAIN_HTTP_PORTS.contains(&port)
}

pub fn non_http_service(port: u16) -> Option<&'static str> {
    NON_HTTP_SERVICES
        .iter()
        .find(|(p, _)| *p == port)
        .map(|(_, name)| *name)
}
