//! TLS termination in the node, for operators without a proxy in front: the server configuration (rustls with the
//! ring provider, HTTP/2 and HTTP/1.1 offered by ALPN) and a [`TlsListener`] that `serve` accepts like a plain
//! TCP listener.
//!
//! Handshakes run in their own tasks with a deadline, so a slow or silent client never holds up accepting others.
//! Reading the PEM files is the only I/O outside the accept loop; it happens once, at start.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A client that has not finished its handshake after this long is dropped.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections that finished their handshake but were not yet taken by the server.
const ACCEPTED_BACKLOG: usize = 256;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// A PEM file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The configured file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The certificate file holds no certificate, or the key file no private key.
    #[error("{path} holds no {what}")]
    Missing {
        /// The configured file.
        path: PathBuf,
        /// "certificate" or "private key".
        what: &'static str,
    },
    /// rustls refused the certificate and key (e.g. they do not match, or the key type is unsupported).
    #[error("TLS configuration refused: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A server configuration from PEM files: the certificate chain (leaf first) and its private key.
pub fn server_config(cert_file: &Path, key_file: &Path) -> Result<ServerConfig, TlsSetupError> {
    let read_error = |path: &Path, source| TlsSetupError::Read { path: path.to_owned(), source };
    let cert_pem = std::fs::read(cert_file).map_err(|e| read_error(cert_file, e))?;
    let key_pem = std::fs::read(key_file).map_err(|e| read_error(key_file, e))?;
    let malformed =
        |path: &Path, error: pem::Error| read_error(path, io::Error::new(io::ErrorKind::InvalidData, error));
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(&cert_pem).collect::<Result<_, _>>().map_err(|e| malformed(cert_file, e))?;
    if certs.is_empty() {
        return Err(TlsSetupError::Missing { path: cert_file.to_owned(), what: "certificate" });
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|error| match error {
        pem::Error::NoItemsFound => TlsSetupError::Missing { path: key_file.to_owned(), what: "private key" },
        other => malformed(key_file, other),
    })?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A listener that yields connections whose TLS handshake has completed.
#[derive(Debug)]
pub struct TlsListener {
    accepted: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local_addr: SocketAddr,
}

impl TlsListener {
    /// Starts accepting on `listener` with `config`. The accept loop ends when the `TlsListener` is dropped.
    pub fn new(listener: TcpListener, config: ServerConfig) -> io::Result<TlsListener> {
        let local_addr = listener.local_addr()?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let (sender, accepted) = mpsc::channel(ACCEPTED_BACKLOG);
        tokio::spawn(accept_loop(listener, acceptor, sender));
        Ok(TlsListener { accepted, local_addr })
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    sender: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(connection) => connection,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accepting a TCP connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = sender.closed() => return,
        };
        // Answers are written whole; waiting to coalesce them with later writes (Nagle) only adds latency.
        let _ = stream.set_nodelay(true);
        let (acceptor, sender) = (acceptor.clone(), sender.clone());
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = sender.send((tls, peer)).await;
                }
                Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.accepted.recv().await {
            Some(connection) => connection,
            // The accept loop only stops when this listener is dropped, so this is not reached while serving;
            // waiting forever is what a listener without connections does.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let err = server_config(&dir.path().join("absent.pem"), &empty).unwrap_err();
        assert!(matches!(err, TlsSetupError::Read { .. }) && err.to_string().contains("absent.pem"), "{err}");
        let err = server_config(&empty, &empty).unwrap_err();
        assert!(matches!(err, TlsSetupError::Missing { what: "certificate", .. }), "{err}");
    }

    #[test]
    fn a_key_that_does_not_match_is_refused() {
        let one = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let other = rcgen::KeyPair::generate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert, one.cert.pem()).unwrap();
        std::fs::write(&key, other.serialize_pem()).unwrap();
        assert!(matches!(server_config(&cert, &key), Err(TlsSetupError::Rustls(_))));
        std::fs::write(&key, one.key_pair.serialize_pem()).unwrap();
        let config = server_config(&cert, &key).unwrap();
        assert_eq!(config.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
    }
}
