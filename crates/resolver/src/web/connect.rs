//! The did:web connector: host name → guarded addresses → TCP → TLS, plugged into the pooled hyper client.
//!
//! Names come from `host_overrides` or hickory DNS, never from the system resolver; IP-literal hosts are refused
//! here too (the mapping already refuses them). Every address DNS returns must pass [`super::ssrf`], and the
//! connected peer is checked again so a rebinding between lookup and connect cannot slip through. TCP connect plus
//! TLS handshake share one timeout. This module does not send requests or read bodies. The node's mirrors use the
//! same connector for `https://` upstreams.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hickory_resolver::config::ResolverConfig;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::NetError;
use hickory_resolver::TokioResolver;
use hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::ssrf::forbidden_reason;

/// Why no connection was made. Carried through hyper's error chain and recovered by the fetcher.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The target is not a public address (SSRF guard) or is an IP literal.
    #[error("{host} is refused: {reason}")]
    Refused {
        /// The host name being fetched.
        host: String,
        /// What made it refused, naming the address.
        reason: String,
    },
    /// DNS says the name does not exist or has no addresses.
    #[error("{host} has no DNS address records")]
    NoSuchHost {
        /// The host name.
        host: String,
    },
    /// The name could not be looked up (no answer, server failure).
    #[error("DNS lookup of {host} failed: {message}")]
    Dns {
        /// The host name.
        host: String,
        /// What the resolver said.
        message: String,
    },
    /// No address accepted a TCP connection.
    #[error("cannot connect to {host}: {message}")]
    Unreachable {
        /// The host name.
        host: String,
        /// The last socket error.
        message: String,
    },
    /// TCP connect plus TLS handshake took longer than the connect timeout.
    #[error("connecting to {host} timed out after {millis} ms")]
    Timeout {
        /// The host name.
        host: String,
        /// The configured connect timeout.
        millis: u128,
    },
    /// The TLS handshake failed (certificate, protocol version, …).
    #[error("TLS handshake with {host} failed: {message}")]
    Tls {
        /// The host name.
        host: String,
        /// What rustls said.
        message: String,
    },
    /// The URI has no host or is not https.
    #[error("not an https URL with a host: {0}")]
    BadUri(String),
}

impl ConnectError {
    /// The connector's verdict inside a client error's chain of causes, if a connection attempt made one: hyper wraps
    /// it, and callers tell guard refusals, TLS failures and unreachable hosts apart by it.
    pub fn find_in<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e ConnectError> {
        let mut source = error.source();
        while let Some(cause) = source {
            if let Some(connect) = cause.downcast_ref::<ConnectError>() {
                return Some(connect);
            }
            source = cause.source();
        }
        None
    }
}

/// A TLS connection whose peer passed the guard; tells hyper whether ALPN chose HTTP/2.
pub struct GuardedStream {
    tls: TlsStream<TcpStream>,
}

impl Connection for GuardedStream {
    fn connected(&self) -> Connected {
        let connected = Connected::new();
        if self.tls.get_ref().1.alpn_protocol() == Some(b"h2") {
            connected.negotiated_h2()
        } else {
            connected
        }
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_read(cx, buf)
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tls).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_shutdown(cx)
    }
}

/// The connector handed to hyper's pooled client. Cheap to clone.
#[derive(Clone)]
pub struct GuardedConnector {
    inner: Arc<ConnectorState>,
}

struct ConnectorState {
    dns: TokioResolver,
    host_overrides: BTreeMap<String, IpAddr>,
    allow_private_addresses: bool,
    tls: TlsConnector,
    connect_timeout: Duration,
}

impl GuardedConnector {
    /// A connector using the system's DNS servers (or none, with a warning, when the system configuration cannot
    /// be read: pinned names still work), the given TLS client configuration and guard settings. Fails only if
    /// hickory cannot build even a resolver without servers.
    pub fn new(
        tls: rustls::ClientConfig,
        host_overrides: BTreeMap<String, IpAddr>,
        allow_private_addresses: bool,
        connect_timeout: Duration,
    ) -> Result<GuardedConnector, NetError> {
        let builder = TokioResolver::builder_tokio().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read the system DNS configuration; only host_overrides will resolve");
            let no_servers = ResolverConfig::from_parts(None, Vec::new(), Vec::new());
            TokioResolver::builder_with_config(no_servers, TokioRuntimeProvider::default())
        });
        let host_overrides = host_overrides.into_iter().map(|(name, ip)| (name.to_ascii_lowercase(), ip)).collect();
        Ok(GuardedConnector {
            inner: Arc::new(ConnectorState {
                dns: builder.build()?,
                host_overrides,
                allow_private_addresses,
                tls: TlsConnector::from(Arc::new(tls)),
                connect_timeout,
            }),
        })
    }
}

impl tower::Service<Uri> for GuardedConnector {
    type Response = TokioIo<GuardedStream>;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, ConnectError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ConnectError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let state = Arc::clone(&self.inner);
        Box::pin(async move { state.connect(&uri).await.map(TokioIo::new) })
    }
}

impl ConnectorState {
    async fn connect(&self, uri: &Uri) -> Result<GuardedStream, ConnectError> {
        let (Some(host), Some("https")) = (uri.host(), uri.scheme_str()) else {
            return Err(ConnectError::BadUri(uri.to_string()));
        };
        let host = host.to_ascii_lowercase();
        let port = uri.port_u16().unwrap_or(443);
        let addresses = self.addresses(&host).await?;
        let timeout = self.connect_timeout;
        tokio::time::timeout(timeout, self.connect_guarded(&host, port, &addresses))
            .await
            .map_err(|_| ConnectError::Timeout { host: host.clone(), millis: timeout.as_millis() })?
    }

    /// The addresses to try: the override, or every DNS answer, each of which must pass the guard.
    async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, ConnectError> {
        let trimmed = host.trim_start_matches('[').trim_end_matches(']');
        if trimmed.parse::<IpAddr>().is_ok() {
            return Err(ConnectError::Refused {
                host: host.to_owned(),
                reason: "IP-literal hosts are never fetched".into(),
            });
        }
        let addresses = match self.host_overrides.get(host) {
            Some(ip) => vec![*ip],
            None => {
                let lookup = self.dns.lookup_ip(host).await;
                let answer = lookup.map_err(|e| match e.is_nx_domain() || e.is_no_records_found() {
                    true => ConnectError::NoSuchHost { host: host.to_owned() },
                    false => ConnectError::Dns { host: host.to_owned(), message: e.to_string() },
                })?;
                answer.iter().collect()
            }
        };
        if addresses.is_empty() {
            return Err(ConnectError::NoSuchHost { host: host.to_owned() });
        }
        for ip in &addresses {
            self.check(host, *ip)?;
        }
        Ok(addresses)
    }

    fn check(&self, host: &str, ip: IpAddr) -> Result<(), ConnectError> {
        match forbidden_reason(ip) {
            Some(why) if !self.allow_private_addresses => {
                Err(ConnectError::Refused { host: host.to_owned(), reason: format!("{ip} is {why}") })
            }
            _ => Ok(()),
        }
    }

    async fn connect_guarded(
        &self,
        host: &str,
        port: u16,
        addresses: &[IpAddr],
    ) -> Result<GuardedStream, ConnectError> {
        let mut last_error = String::from("no address to try");
        for ip in addresses {
            match TcpStream::connect(SocketAddr::new(*ip, port)).await {
                Ok(tcp) => return self.handshake(host, tcp).await,
                Err(e) => last_error = format!("{ip}:{port}: {e}"),
            }
        }
        Err(ConnectError::Unreachable { host: host.to_owned(), message: last_error })
    }

    async fn handshake(&self, host: &str, tcp: TcpStream) -> Result<GuardedStream, ConnectError> {
        let peer =
            tcp.peer_addr().map_err(|e| ConnectError::Unreachable { host: host.to_owned(), message: e.to_string() })?;
        self.check(host, peer.ip())?;
        // Small request/response exchanges: waiting for Nagle only adds latency.
        let _ = tcp.set_nodelay(true);
        let tls_error = |message: String| ConnectError::Tls { host: host.to_owned(), message };
        let name = ServerName::try_from(host.to_owned()).map_err(|e| tls_error(e.to_string()))?;
        let tls = self.tls.connect(name, tcp).await.map_err(|error| match error.kind() {
            // rustls reports certificate and protocol failures as invalid data; any other error is the connection
            // failing under the handshake (reset, closed), which is the origin being unavailable, not a TLS verdict.
            std::io::ErrorKind::InvalidData => tls_error(error.to_string()),
            _ => ConnectError::Unreachable {
                host: host.to_owned(),
                message: format!("the connection failed during the TLS handshake: {error}"),
            },
        })?;
        Ok(GuardedStream { tls })
    }
}

/// The TLS client configuration for did:web: ring, TLS 1.2 and 1.3 only, the Mozilla roots plus every certificate
/// in `extra_ca_file` (when not empty), ALPN offering HTTP/2 then HTTP/1.1.
pub fn tls_config(extra_ca_file: &str) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if !extra_ca_file.is_empty() {
        let pem = std::fs::read(extra_ca_file).map_err(|e| format!("cannot read {extra_ca_file}: {e}"))?;
        let mut added = 0;
        for certificate in CertificateDer::pem_slice_iter(&pem) {
            let certificate = certificate.map_err(|e| format!("{extra_ca_file}: {e}"))?;
            roots.add(certificate).map_err(|e| format!("{extra_ca_file}: {e}"))?;
            added += 1;
        }
        if added == 0 {
            return Err(format!("{extra_ca_file} contains no PEM certificate"));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The peer check is what stops DNS rebinding: even a connection that was already made is refused when the
    /// socket's peer turns out to be a forbidden address.
    #[tokio::test]
    async fn connected_peer_is_checked_again() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tcp = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let connector = GuardedConnector::new(tls_config("").unwrap(), BTreeMap::new(), false, Duration::from_secs(1));
        let error = connector.unwrap().inner.handshake("issuer.test", tcp).await.err().unwrap();
        assert!(matches!(&error, ConnectError::Refused { reason, .. } if reason.contains("127.0.0.1")), "{error}");
    }

    #[test]
    fn extra_ca_file_must_hold_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificates here").unwrap();
        assert!(tls_config(&empty.display().to_string()).unwrap_err().contains("no PEM certificate"));
        assert!(tls_config("/nonexistent/ca.pem").unwrap_err().contains("/nonexistent/ca.pem"));
    }
}
