//! TLS termination in the node over loopback with an rcgen certificate: HTTP/2 and HTTP/1.1 chosen by ALPN, the
//! same answers as over plain HTTP, and a client that does not speak TLS does not get an answer.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;
use trustnode::config::Config;
use trustnode::http::tls::{server_config, TlsListener};
use trustnode::http::ConnectionLimits;

const ED25519: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

struct TlsNode {
    addr: std::net::SocketAddr,
    roots: rustls::RootCertStore,
    _dir: tempfile::TempDir,
}

/// A node serving HTTPS with a fresh self-signed certificate for `localhost`, configured through the
/// `server.tls_*` settings.
async fn start() -> TlsNode {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, certified.cert.pem()).unwrap();
    std::fs::write(&key_file, certified.key_pair.serialize_pem()).unwrap();
    let mut config = Config::load(
        None,
        [
            ("TRUSTNODE_SERVER__TLS_CERT_FILE".to_owned(), cert_file.display().to_string()),
            ("TRUSTNODE_SERVER__TLS_KEY_FILE".to_owned(), key_file.display().to_string()),
        ],
    )
    .unwrap();
    config.server.data_dir = dir.path().join("data");
    let tls = server_config(config.server.tls_cert_file.as_ref(), config.server.tls_key_file.as_ref()).unwrap();
    let state = Arc::new(trustnode::node::open(config).await.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = TlsListener::new(listener, tls).unwrap();
    let limits = ConnectionLimits::from_config(&state.config.server);
    let router = trustnode::http::router(state);
    tokio::spawn(trustnode::http::serve(listener, router, std::future::pending(), limits));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    TlsNode { addr, roots, _dir: dir }
}

impl TlsNode {
    async fn connect(&self, alpn: &[&[u8]]) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
        let mut config =
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(self.roots.clone())
                .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let tcp = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        TlsConnector::from(Arc::new(config)).connect(name, tcp).await.expect("TLS handshake")
    }
}

fn get(path: &str) -> Request<Empty<Bytes>> {
    Request::get(format!("https://localhost{path}")).body(Empty::new()).unwrap()
}

async fn body_text(response: hyper::Response<hyper::body::Incoming>) -> String {
    String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

#[tokio::test]
async fn http2_is_negotiated_by_alpn() {
    let node = start().await;
    let stream = node.connect(&[b"h2", b"http/1.1"]).await;
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let response = sender.send_request(get("/healthz")).await.unwrap();
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(body_text(response).await, "ok");
    let response = sender.send_request(get(&format!("/1.0/identifiers/{ED25519}"))).await.unwrap();
    assert_eq!(response.status(), 200);
    let result: serde_json::Value = serde_json::from_str(&body_text(response).await).unwrap();
    assert_eq!(result["didDocument"]["id"], ED25519);
}

#[tokio::test]
async fn http1_is_served_to_clients_that_offer_only_http1_or_nothing() {
    let node = start().await;
    for alpn in [&[&b"http/1.1"[..]][..], &[]] {
        let stream = node.connect(alpn).await;
        let negotiated = stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
        assert_eq!(negotiated, alpn.first().map(|p| p.to_vec()));
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        let response = sender.send_request(get(&format!("/1.0/identifiers/{ED25519}"))).await.unwrap();
        assert_eq!(response.version(), hyper::Version::HTTP_11);
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "public, max-age=31536000, immutable");
    }
}

#[tokio::test]
async fn plain_http_and_silent_clients_do_not_block_the_listener() {
    let node = start().await;
    // A client that connects and says nothing must not keep others from completing their handshake.
    let _silent = tokio::net::TcpStream::connect(node.addr).await.unwrap();
    let mut plain = tokio::net::TcpStream::connect(node.addr).await.unwrap();
    plain.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut reply)).await;
    assert!(!reply.starts_with(b"HTTP/1.1 200"), "plain HTTP must not be answered on the TLS port");
    let stream = tokio::time::timeout(Duration::from_secs(5), node.connect(&[b"h2"])).await.expect("not blocked");
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
}
