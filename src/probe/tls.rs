//! The TLS handshake a proxy makes with a backend, made the same way: SNI
//! sent or not as the configuration says, the certificate verified (against
//! the configured CA file and name) or not, with rustls.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// How the server would open TLS to a backend.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TlsPlan {
    /// The name sent as SNI; `None`: none is sent.
    pub sni: Option<String>,
    /// The name the certificate is checked against, with the CA file; `None`:
    /// not verified.
    pub verify: Option<(String, std::path::PathBuf)>,
}

/// Verifies as OpenSSL does for nginx: a chain to the trusted file, or the
/// end-entity certificate itself in that file (a self-signed backend whose
/// certificate was put there, which webpki alone refuses as a CA used as an
/// end entity), and the name either way.
#[derive(Debug)]
struct TrustedFile {
    chain: Arc<rustls::client::WebPkiServerVerifier>,
    trusted: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for TrustedFile {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .chain
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Ok(verified) => Ok(verified),
            Err(e)
                if self
                    .trusted
                    .iter()
                    .any(|t| t.as_ref() == end_entity.as_ref()) =>
            {
                let parsed =
                    rustls::server::ParsedCertificate::try_from(end_entity).map_err(|_| e)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
    }

    // Signatures are checked as the chain verifier checks them.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chain.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chain.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.chain.supported_verify_schemes()
    }
}

/// Accepts any certificate: what `proxy_ssl_verify off` (nginx's default)
/// and `SSLProxyVerify none` do.
#[derive(Debug)]
struct AcceptAnything(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn config(plan: &TlsPlan) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let mut config = match &plan.verify {
        Some((_, ca_file)) => {
            let pem = std::fs::read(ca_file)
                .map_err(|e| format!("cannot read {}: {e}", ca_file.display()))?;
            let mut roots = RootCertStore::empty();
            let mut trusted = Vec::new();
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| format!("{}: {e}", ca_file.display()))?;
                // A certificate webpki will not take as an anchor is still
                // trusted as itself.
                let _ = roots.add(cert.clone());
                trusted.push(cert);
            }
            let chain = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider.clone(),
            )
            .build()
            .map_err(|e| format!("{}: {e}", ca_file.display()))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(TrustedFile { chain, trusted }))
                .with_no_client_auth()
        }
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider)))
            .with_no_client_auth(),
    };
    config.enable_sni = plan.sni.is_some();
    Ok(config)
}

/// Performs the handshake on a connected stream (its timeouts already
/// set). `Err` says why it failed, in rustls's words.
pub fn handshake(
    stream: &mut TcpStream,
    plan: &TlsPlan,
    fallback_name: &str,
) -> Result<(), String> {
    let config = config(plan)?;
    let name = plan
        .verify
        .as_ref()
        .map(|(n, _)| n.as_str())
        .or(plan.sni.as_deref())
        .unwrap_or(fallback_name);
    let server_name = ServerName::try_from(name.to_string())
        .or_else(|_| ServerName::try_from("localhost".to_string()))
        .map_err(|e| e.to_string())?;
    let mut connection =
        ClientConnection::new(Arc::new(config), server_name).map_err(|e| e.to_string())?;
    while connection.is_handshaking() {
        if connection.wants_write() {
            connection.write_tls(stream).map_err(describe_io)?;
        }
        if connection.is_handshaking() && connection.wants_read() {
            let read = connection.read_tls(stream).map_err(describe_io)?;
            if read == 0 {
                return Err("the backend closed the connection during the handshake".into());
            }
            if let Err(e) = connection.process_new_packets() {
                // Tell the backend why, as a TLS client does.
                let _ = connection.write_tls(stream);
                return Err(describe_tls(&e));
            }
        }
    }
    // Flush the last flight, so the backend sees a finished handshake.
    while connection.wants_write() {
        connection.write_tls(stream).map_err(describe_io)?;
    }
    let _ = stream.flush();
    let _ = stream.read(&mut [0u8; 0]);
    Ok(())
}

fn describe_io(e: std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            "the backend did not answer the handshake in time".into()
        }
        _ => e.to_string(),
    }
}

fn describe_tls(e: &rustls::Error) -> String {
    match e {
        rustls::Error::AlertReceived(alert) => format!("the backend refused it ({alert:?})"),
        rustls::Error::InvalidCertificate(why) => {
            use rustls::CertificateError as C;
            let said = match why {
                C::UnknownIssuer => "it is not issued by a CA in the trusted file".to_string(),
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    "it does not carry the name checked".to_string()
                }
                C::Expired | C::ExpiredContext { .. } => "it has expired".to_string(),
                C::NotValidYet | C::NotValidYetContext { .. } => "it is not valid yet".to_string(),
                C::Other(other) if format!("{other:?}").contains("CaUsedAsEndEntity") => {
                    "it is self-signed and not in the trusted file".to_string()
                }
                other => format!("{other:?}"),
            };
            format!("the certificate was rejected: {said}")
        }
        rustls::Error::InvalidMessage(_) => {
            "the backend did not answer with TLS (a plain HTTP port?)".into()
        }
        other => other.to_string(),
    }
}
