//! The causes of a 502, 503, 504 or refused start that an error log can
//! name, what each means, how to fix it, and which static rules catch it
//! before it happens.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    ConnectRefused,
    ConnectTimeout,
    ReadTimeout,
    FastCgiTimeout,
    ConnectionReset,
    PrematureClose,
    NoLiveUpstreams,
    WorkerInRetry,
    HeaderTooBig,
    FastCgiVersion,
    InvalidHeader,
    NoResolver,
    NameNotResolved,
    TlsHandshake,
    TlsSniRequired,
    TlsVerify,
    TlsPeerName,
    TlsEngineOff,
    WorkersExhausted,
    SocketMissing,
    SocketPermission,
    SocketBusy,
    ModuleMissing,
    RefusedToStart,
}

/// What a cause means to the person on call.
pub struct About {
    /// A few words, for the summary table.
    pub title: &'static str,
    /// The status clients got (`0`: the server did not start).
    pub status: u16,
    pub why: &'static str,
    pub fix: &'static str,
    /// The static rules that report configurations which fail this way.
    pub rules: &'static [&'static str],
}

impl Cause {
    /// Every cause, in the order of the enum.
    pub const ALL: &'static [Cause] = &[
        Cause::ConnectRefused,
        Cause::ConnectTimeout,
        Cause::ReadTimeout,
        Cause::FastCgiTimeout,
        Cause::ConnectionReset,
        Cause::PrematureClose,
        Cause::NoLiveUpstreams,
        Cause::WorkerInRetry,
        Cause::HeaderTooBig,
        Cause::FastCgiVersion,
        Cause::InvalidHeader,
        Cause::NoResolver,
        Cause::NameNotResolved,
        Cause::TlsHandshake,
        Cause::TlsSniRequired,
        Cause::TlsVerify,
        Cause::TlsPeerName,
        Cause::TlsEngineOff,
        Cause::WorkersExhausted,
        Cause::SocketMissing,
        Cause::SocketPermission,
        Cause::SocketBusy,
        Cause::ModuleMissing,
        Cause::RefusedToStart,
    ];

    /// The cause `gatelint diagnose` names so (`connect-refused`).
    pub fn from_name(name: &str) -> Option<Cause> {
        Cause::ALL.iter().copied().find(|c| c.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Cause::ConnectRefused => "connect-refused",
            Cause::ConnectTimeout => "connect-timeout",
            Cause::ReadTimeout => "read-timeout",
            Cause::FastCgiTimeout => "fastcgi-timeout",
            Cause::ConnectionReset => "connection-reset",
            Cause::PrematureClose => "premature-close",
            Cause::NoLiveUpstreams => "no-live-upstreams",
            Cause::WorkerInRetry => "worker-in-retry",
            Cause::HeaderTooBig => "header-too-big",
            Cause::FastCgiVersion => "fastcgi-version",
            Cause::InvalidHeader => "invalid-header",
            Cause::NoResolver => "no-resolver",
            Cause::NameNotResolved => "name-not-resolved",
            Cause::TlsHandshake => "tls-handshake",
            Cause::TlsSniRequired => "tls-sni-required",
            Cause::TlsVerify => "tls-verify",
            Cause::TlsPeerName => "tls-peer-name",
            Cause::TlsEngineOff => "tls-engine-off",
            Cause::WorkersExhausted => "workers-exhausted",
            Cause::SocketMissing => "socket-missing",
            Cause::SocketPermission => "socket-permission",
            Cause::SocketBusy => "socket-busy",
            Cause::ModuleMissing => "module-missing",
            Cause::RefusedToStart => "refused-to-start",
        }
    }

    pub fn about(self, apache: bool) -> About {
        let (title, nginx_status, apache_status, why, fix, rules): (
            &str,
            u16,
            u16,
            &str,
            &str,
            &'static [&'static str],
        ) = match self {
            Cause::ConnectRefused => (
                "connection refused",
                502,
                503,
                "nothing accepts connections at the backend's address: the backend is down, listens on another port or address family, or the address is wrong",
                "start the backend, or point the route at the address it listens on",
                &["localhost-target", "proxy-loop"],
            ),
            Cause::ConnectTimeout => (
                "connect timed out",
                504,
                503,
                "the backend did not accept the connection in time: it is overloaded, firewalled, or across a lossy network with a short connect timeout",
                "check that the backend is reachable from this host; keep connect timeouts at a few seconds",
                &["connect-timeout-out-of-range"],
            ),
            Cause::ReadTimeout => (
                "backend too slow",
                504,
                502,
                "the backend accepted the request but did not answer within the read timeout",
                "raise the read timeout above the slowest legitimate response, or make the backend faster",
                &["read-timeout-too-low"],
            ),
            Cause::FastCgiTimeout => (
                "FastCGI backend too slow",
                504,
                504,
                "the FastCGI backend (php-fpm) accepted the request but did not answer within the timeout",
                "raise the timeout (`fastcgi_read_timeout`, `timeout=` on the `fcgi://` route) above the slowest script, or make the script faster",
                &["read-timeout-too-low"],
            ),
            Cause::ConnectionReset => (
                "connection reset",
                502,
                502,
                "the backend reset the connection: it does not speak the protocol sent (plain HTTP to a TLS port, HTTP to php-fpm), or it closed a reused keep-alive connection",
                "match the scheme and protocol to the backend's port; keep idle keep-alive shorter than the backend's",
                &[
                    "scheme-port-mismatch",
                    "protocol-port-mismatch",
                    "keepalive-outlives-backend",
                    "backend-reuse-race",
                ],
            ),
            Cause::PrematureClose => (
                "closed before answering",
                502,
                502,
                "the backend closed the connection before sending a complete response header: it crashed on the request, or closed a reused keep-alive connection",
                "read the backend's own log for this request; keep idle keep-alive shorter than the backend's",
                &["keepalive-outlives-backend", "protocol-port-mismatch"],
            ),
            Cause::NoLiveUpstreams => (
                "no live upstreams",
                502,
                503,
                "every server of the upstream (or member of the balancer) is marked down or failed recently, so the request was not even tried",
                "bring a server back, or enable one; look for the first failure that marked them down",
                &["upstream-no-live-servers", "balancer-no-live-members"],
            ),
            Cause::WorkerInRetry => (
                "backend in retry window",
                502,
                503,
                "an earlier failure put the backend in error state, and httpd refuses requests to it until `retry` seconds pass",
                "fix the first failure; a shorter `retry=` recovers sooner",
                &["balancer-no-live-members"],
            ),
            Cause::HeaderTooBig => (
                "response header too big",
                502,
                502,
                "the backend's response header does not fit the proxy's header buffer",
                "raise the header buffer (`proxy_buffer_size 16k`, `responsefieldsize=16384`), or send smaller cookies",
                &["header-buffer-too-small", "response-field-size-too-small"],
            ),
            Cause::FastCgiVersion => (
                "not a FastCGI reply",
                502,
                503,
                "a FastCGI request went to a backend that answers HTTP (version 72 is the `H` of `HTTP/1.1`)",
                "use HTTP for an HTTP backend, or point FastCGI at php-fpm's port or socket",
                &["protocol-port-mismatch"],
            ),
            Cause::InvalidHeader => (
                "not an HTTP reply",
                502,
                502,
                "the backend answered something that is not HTTP: another protocol on that port",
                "point the route at the application's HTTP port",
                &["protocol-port-mismatch"],
            ),
            Cause::NoResolver => (
                "no resolver",
                502,
                502,
                "the backend's name is in a variable, so it is resolved per request, and no `resolver` is configured",
                "add `resolver` (e.g. `resolver 127.0.0.53 valid=30s;`), or write the backend without variables",
                &["variable-pass-without-resolver"],
            ),
            Cause::NameNotResolved => (
                "name not resolved",
                502,
                503,
                "the backend's host name does not resolve (typo, removed record, wrong resolver)",
                "check the name and the resolver",
                &["hostname-resolved-once", "variable-pass-without-resolver"],
            ),
            Cause::TlsHandshake => (
                "TLS handshake failed",
                502,
                500,
                "the TLS handshake with the backend failed: TLS sent to a plain HTTP port, no common protocol, or the certificate was refused",
                "use `https://` only for a TLS port; check SNI and certificate settings",
                &[
                    "scheme-port-mismatch",
                    "https-upstream-without-sni",
                    "tls-peer-name-mismatch",
                ],
            ),
            Cause::TlsSniRequired => (
                "backend wants SNI",
                502,
                500,
                "the backend's TLS front end needs the server name (SNI) to choose a certificate, and none was sent",
                "`proxy_ssl_server_name on;` (and `proxy_ssl_name` when the URL names an upstream)",
                &["https-upstream-without-sni"],
            ),
            Cause::TlsVerify => (
                "certificate not trusted",
                502,
                500,
                "the backend's certificate could not be verified against the trusted CAs, or does not carry the expected name",
                "trust the backend's CA (`proxy_ssl_trusted_certificate`), and check `proxy_ssl_name`",
                &["ssl-verify-without-trusted-certificate"],
            ),
            Cause::TlsPeerName => (
                "certificate name mismatch",
                502,
                500,
                "httpd checked the backend's certificate against a name it does not carry (the client's Host with `ProxyPreserveHost On`, or an IP address)",
                "name the backend as its certificate does, drop `ProxyPreserveHost On` for it, or turn `SSLProxyCheckPeerName` off where it is trusted",
                &["tls-peer-name-mismatch"],
            ),
            Cause::TlsEngineOff => (
                "TLS to backend not enabled",
                502,
                500,
                "an `https://` backend is used where `SSLProxyEngine` is not on",
                "`SSLProxyEngine on` in the virtual host",
                &["ssl-proxy-engine-off"],
            ),
            Cause::WorkersExhausted => (
                "out of connections",
                502,
                502,
                "the server ran out of connections or workers: usually a proxy loop (a route back to the server itself), or more load than it is sized for",
                "point the route at the application, not at the server's own listener; else raise the limit",
                &["proxy-loop"],
            ),
            Cause::SocketMissing => (
                "socket missing",
                502,
                503,
                "the unix socket does not exist: the backend (php-fpm) is not running, or listens on another path (another PHP version)",
                "start the backend, or point the route at the socket it creates",
                &["unix-socket-handler-incomplete"],
            ),
            Cause::SocketPermission => (
                "socket permission denied",
                502,
                503,
                "the web server's user may not write to the backend's unix socket",
                "set the pool's `listen.owner`/`listen.group`/`listen.mode` to the web server's user",
                &[],
            ),
            Cause::SocketBusy => (
                "socket backlog full",
                502,
                503,
                "the backend's listen queue is full: every worker is busy (php-fpm's `pm.max_children` reached)",
                "raise the pool's workers, or find the slow requests holding them",
                &[],
            ),
            Cause::ModuleMissing => (
                "proxy module not loaded",
                500,
                500,
                "no loaded module handles the backend's scheme",
                "load the module (`a2enmod proxy_http`, `proxy_fcgi`, `proxy_balancer`, …)",
                &["proxy-module-missing"],
            ),
            Cause::RefusedToStart => (
                "refused to start",
                0,
                0,
                "the server rejected its configuration and did not start (or did not reload)",
                "fix the directive the line names; `nginx -t` / `apachectl configtest` before every reload",
                &[
                    "invalid-pass-target",
                    "proxy-buffers-rejected",
                    "ssl-verify-without-trusted-certificate",
                    "upstream-no-live-servers",
                    "proxy-pass-path-in-location",
                    "connect-timeout-out-of-range",
                    "proxy-module-missing",
                ],
            ),
        };
        About {
            title,
            status: if apache { apache_status } else { nginx_status },
            why,
            fix,
            rules,
        }
    }
}
