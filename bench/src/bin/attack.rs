//! Cheap attacks on a trustnode, for `scripts/attack`, which measures legitimate traffic while one of them runs.
//! Every connection is made from the loopback address `127.0.0.2`, so the node sees the attacker as a client of its
//! own, apart from the legitimate load on `127.0.0.1`. Each mode runs until killed, keeping its pressure up: a
//! request the node answers (or refuses) is replaced [`RETRY_AFTER`] later, so the attacker holds as many requests
//! as it can while sending at most its concurrency per second — the cheap attacks of the security review, not a
//! flood (a flood is a matter of bandwidth and rate limits in front of the node). Prints a line of counts per
//! second to standard error.
//!
//! ```text
//! attack slow-bodies  NODE CONNECTIONS RATE      POST /authorization, Content-Length 1000, one body byte; RATE new
//!                                                connections per second, at most CONNECTIONS open
//! attack h2-silent    NODE CONNECTIONS STREAMS   HTTP/2 POSTs announcing a body and sending no DATA
//! attack tarpit       NODE ORIGIN_PORT COUNT CONCURRENCY
//!                                                GET /1.0/identifiers/did:web:issuer.test%3APORT:slow:<i> for
//!                                                i < COUNT, CONCURRENCY at a time (see `tarpit-origin`)
//! attack tarpit-origin PORT CA_FILE DELAY_MS     an HTTPS origin answering every did:web path after DELAY_MS
//! attack publish      NODE AUTHORITY BYTES CONCURRENCY
//!                                                unsigned PUTs of BYTES to the registry AUTHORITY (percent-encoded)
//! ```
//!
//! Loopback only: NODE is `127.0.0.1:PORT`.

#[path = "../../../tests/it/support/origin.rs"]
mod origin;
#[path = "../../../tests/it/support/silent.rs"]
mod silent;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use origin::{Origin, Reply, TestCa};
use silent::Silent;

/// How long a request slot of the attacker stays idle after the node answered it, before the next request.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Counts printed once a second.
#[derive(Default)]
struct Counts {
    opened: AtomicU64,
    answered: AtomicU64,
    failed: AtomicU64,
}

impl Counts {
    fn report(self: &Arc<Self>, mode: &'static str) {
        let counts = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let read = |counter: &AtomicU64| counter.swap(0, Ordering::Relaxed);
                eprintln!(
                    "{mode}: opened {} answered {} failed {}",
                    read(&counts.opened),
                    read(&counts.answered),
                    read(&counts.failed)
                );
            }
        });
    }
}

async fn connect(node: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 2], 0)))?;
    socket.connect(node).await
}

/// Waits for whatever the node sends on `stream` until it closes it; true if an answer came.
async fn drain(stream: &mut TcpStream) -> bool {
    let mut buffer = [0_u8; 1024];
    let mut answered = false;
    while let Ok(read) = stream.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        answered = true;
    }
    answered
}

async fn slow_bodies(node: SocketAddr, connections: usize, rate: u64) {
    let counts = Arc::new(Counts::default());
    counts.report("slow-bodies");
    let open = Arc::new(tokio::sync::Semaphore::new(connections));
    let head = "POST /authorization HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n\
                Content-Length: 1000\r\n\r\n{";
    let mut pace = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    loop {
        pace.tick().await;
        let Ok(slot) = open.clone().acquire_owned().await else { return };
        let counts = counts.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let Ok(mut stream) = connect(node).await else {
                counts.failed.fetch_add(1, Ordering::Relaxed);
                return;
            };
            counts.opened.fetch_add(1, Ordering::Relaxed);
            if stream.write_all(head.as_bytes()).await.is_ok() && drain(&mut stream).await {
                counts.answered.fetch_add(1, Ordering::Relaxed);
            }
            tokio::time::sleep(RETRY_AFTER).await;
        });
    }
}

async fn h2_silent(node: SocketAddr, connections: usize, streams: usize) {
    let counts = Arc::new(Counts::default());
    counts.report("h2-silent");
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let counts = counts.clone();
            tokio::spawn(async move {
                loop {
                    let Ok(stream) = connect(node).await else {
                        counts.failed.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    };
                    let Ok((sender, connection)) =
                        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await
                    else {
                        counts.failed.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    let connection = tokio::spawn(connection);
                    let open = Arc::new(tokio::sync::Semaphore::new(streams));
                    // Keep `streams` streams open on this connection until the node closes it.
                    while !connection.is_finished() {
                        let Ok(slot) = open.clone().acquire_owned().await else { break };
                        let (mut sender, counts) = (sender.clone(), counts.clone());
                        tokio::spawn(async move {
                            let _slot = slot;
                            let request = hyper::Request::post("http://node/authorization")
                                .header("content-type", "application/json")
                                .header("content-length", "1000")
                                .body(Silent)
                                .expect("request");
                            counts.opened.fetch_add(1, Ordering::Relaxed);
                            match sender.send_request(request).await {
                                Ok(_) => counts.answered.fetch_add(1, Ordering::Relaxed),
                                Err(_) => counts.failed.fetch_add(1, Ordering::Relaxed),
                            };
                            tokio::time::sleep(RETRY_AFTER).await;
                        });
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
}

/// Sends `request` on a fresh connection and waits for the node to answer and close; true if it answered.
async fn exchange(node: SocketAddr, request: &[u8]) -> bool {
    match connect(node).await {
        Ok(mut stream) => stream.write_all(request).await.is_ok() && drain(&mut stream).await,
        Err(_) => false,
    }
}

/// Runs `concurrency` loops of `one(i)` over ever new `i`, counting answers.
async fn repeat<F, Fut>(mode: &'static str, concurrency: usize, one: F)
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let counts = Arc::new(Counts::default());
    counts.report(mode);
    let (one, next) = (Arc::new(one), Arc::new(AtomicU64::new(0)));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (one, next, counts) = (one.clone(), next.clone(), counts.clone());
            tokio::spawn(async move {
                loop {
                    counts.opened.fetch_add(1, Ordering::Relaxed);
                    let counter =
                        if one(next.fetch_add(1, Ordering::Relaxed)).await { &counts.answered } else { &counts.failed };
                    counter.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(RETRY_AFTER).await;
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
}

async fn tarpit(node: SocketAddr, origin_port: u16, count: u64, concurrency: usize) {
    repeat("tarpit", concurrency, move |i| async move {
        let path = format!("/1.0/identifiers/did:web:issuer.test%3A{origin_port}:slow:{}", i % count.max(1));
        exchange(node, format!("GET {path} HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n").as_bytes()).await
    })
    .await;
}

async fn tarpit_origin(port: u16, ca_file: &str, delay: Duration) {
    let ca = TestCa::new();
    std::fs::write(ca_file, ca.pem()).expect("write CA file");
    let origin = Origin::start_on(&ca, port).await;
    // Every `/slow/<i>/did.json` path answers late; the documents are never needed, only the time they hold.
    for i in 0..100_000 {
        let did = format!("did:web:issuer.test%3A{port}:slow:{i}");
        let document = serde_json::json!({"@context": ["https://www.w3.org/ns/did/v1"], "id": did});
        origin.set_slow(&format!("/slow/{i}/did.json"), Reply::json(&document), delay);
    }
    eprintln!("tarpit origin https://127.0.0.1:{port} answering after {} ms", delay.as_millis());
    std::future::pending::<()>().await;
}

async fn publish(node: SocketAddr, authority: String, bytes: usize, concurrency: usize) {
    let authority = Arc::new(authority);
    let body = Arc::new(vec![b' '; bytes]);
    repeat("publish", concurrency, move |_| {
        let (authority, body) = (authority.clone(), body.clone());
        async move {
            let Ok(mut stream) = connect(node).await else { return false };
            let head = format!(
                "PUT /registries/{authority}/snapshots/2 HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            // The node may answer and close before the body is sent: that is the point.
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&body).await;
            drain(&mut stream).await
        }
    })
    .await;
}

fn argument<T: std::str::FromStr>(args: &[String], index: usize, usage: &str) -> T {
    args.get(index).and_then(|value| value.parse().ok()).unwrap_or_else(|| panic!("usage: {usage}"))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "see the header of bench/src/bin/attack.rs";
    let node = || argument::<SocketAddr>(&args, 1, usage);
    assert!(args.get(1).is_none_or(|_| args[0] == "tarpit-origin" || node().ip().is_loopback()), "loopback only");
    match args.first().map(String::as_str) {
        Some("slow-bodies") => slow_bodies(node(), argument(&args, 2, usage), argument(&args, 3, usage)).await,
        Some("h2-silent") => h2_silent(node(), argument(&args, 2, usage), argument(&args, 3, usage)).await,
        Some("tarpit") => {
            tarpit(node(), argument(&args, 2, usage), argument(&args, 3, usage), argument(&args, 4, usage)).await
        }
        Some("tarpit-origin") => {
            let delay = Duration::from_millis(argument(&args, 3, usage));
            tarpit_origin(argument(&args, 1, usage), &argument::<String>(&args, 2, usage), delay).await
        }
        Some("publish") => {
            publish(node(), argument(&args, 2, usage), argument(&args, 3, usage), argument(&args, 4, usage)).await
        }
        _ => panic!("usage: {usage}"),
    }
}
