//! A raw HTTPS origin that misbehaves on purpose, for did:web fault tests: it hangs, trickles, resets connections
//! or floods headers, or serves a document normally until told to turn faulty. It writes HTTP/1.1 by hand (ALPN
//! offers only `http/1.1`) so that every byte and its timing is under the test's control, closes each connection
//! after one exchange, and listens on 127.0.0.1 only. Test code: setup failures panic.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::origin::TestCa;

/// How the origin answers every connection.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// 200 with this body and `Content-Type`, `Cache-Control: max-age=0` (every use revalidates).
    Serve {
        /// The body.
        body: String,
        /// The `Content-Type` header.
        content_type: &'static str,
    },
    /// Completes the TLS handshake and reads the request, then never answers.
    Hang,
    /// Sends the response head one byte every `pace`.
    TrickleHead(Duration),
    /// Sends a complete head announcing a 1000-byte body, then one body byte every `pace`.
    TrickleBody(Duration),
    /// Reads the client's first TLS handshake bytes, then resets the TCP connection.
    ResetInHandshake,
    /// Completes TLS and reads the request, then resets the TCP connection.
    ResetAfterRequest,
    /// A 200 head with one header of this many bytes.
    HugeHeaders(usize),
}

/// A running faulty origin; stops accepting when dropped.
pub struct FaultyOrigin {
    addr: SocketAddr,
    behaviour: Arc<Mutex<Behaviour>>,
    connections: Arc<AtomicUsize>,
    stop: watch::Sender<bool>,
}

impl FaultyOrigin {
    /// Starts on a free loopback port with a certificate from `ca`.
    pub async fn start(ca: &TestCa, behaviour: Behaviour) -> FaultyOrigin {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind faulty origin");
        let addr = listener.local_addr().expect("faulty origin address");
        let mut config = ca.server_config();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let behaviour = Arc::new(Mutex::new(behaviour));
        let connections = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(accept_loop(listener, acceptor, Arc::clone(&behaviour), Arc::clone(&connections), stopped));
        FaultyOrigin { addr, behaviour, connections, stop }
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Changes how the next connections are answered.
    pub fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = behaviour;
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for FaultyOrigin {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    behaviour: Arc<Mutex<Behaviour>>,
    connections: Arc<AtomicUsize>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => match accepted { Ok(pair) => pair, Err(_) => continue },
            _ = stopped.changed() => return,
        };
        connections.fetch_add(1, Ordering::SeqCst);
        let current = behaviour.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        let (acceptor, mut stopped) = (acceptor.clone(), stopped.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = misbehave(tcp, acceptor, current) => {}
                _ = stopped.changed() => {}
            }
        });
    }
}

async fn misbehave(mut tcp: TcpStream, acceptor: TlsAcceptor, behaviour: Behaviour) {
    if let Behaviour::ResetInHandshake = behaviour {
        let _ = tcp.read(&mut [0u8; 512]).await;
        let _ = tcp.set_zero_linger();
        return;
    }
    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
    read_request_head(&mut tls).await;
    let head = |extra: &str| format!("HTTP/1.1 200 OK\r\nConnection: close\r\n{extra}\r\n");
    match behaviour {
        Behaviour::Serve { body, content_type } => {
            let response = head(&format!(
                "Content-Type: {content_type}\r\nCache-Control: max-age=0\r\nContent-Length: {}\r\n",
                body.len()
            ));
            let _ = tls.write_all(format!("{response}{body}").as_bytes()).await;
            let _ = tls.shutdown().await;
        }
        Behaviour::Hang => std::future::pending().await,
        Behaviour::TrickleHead(pace) => {
            for byte in head("Content-Length: 2\r\n").bytes() {
                if tls.write_all(&[byte]).await.is_err() || tls.flush().await.is_err() {
                    return;
                }
                tokio::time::sleep(pace).await;
            }
        }
        Behaviour::TrickleBody(pace) => {
            let _ = tls.write_all(head("Content-Length: 1000\r\n").as_bytes()).await;
            while tls.write_all(b" ").await.is_ok() && tls.flush().await.is_ok() {
                tokio::time::sleep(pace).await;
            }
        }
        Behaviour::ResetAfterRequest => {
            let _ = tls.get_ref().0.set_zero_linger();
        }
        Behaviour::HugeHeaders(bytes) => {
            let response = head(&format!("X-Flood: {}\r\nContent-Length: 2\r\n", "f".repeat(bytes)));
            let _ = tls.write_all(format!("{response}{{}}").as_bytes()).await;
            let _ = tls.shutdown().await;
        }
        Behaviour::ResetInHandshake => {}
    }
}

/// Reads until the blank line that ends a request head (or the client gives up).
async fn read_request_head(stream: &mut (impl AsyncRead + Unpin)) {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 1024];
    while !seen.windows(4).any(|window| window == b"\r\n\r\n") && seen.len() < 64 * 1024 {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => seen.extend_from_slice(buffer.get(..read).unwrap_or_default()),
        }
    }
}
