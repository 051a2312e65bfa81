//! A webhook receiver for the delivery tests: an HTTPS server on 127.0.0.1 (certificate from a [`TestCa`], for the
//! names of [`super::origin::ORIGIN_NAMES`]) that records every request it reads in full (path, headers, body) in
//! arrival order, and answers each as a script says: a status, or never. When the script runs out it answers as
//! [`Receiver::then`] says. Test code: setup failures panic.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::origin::TestCa;

/// How one request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// This status, with an empty body.
    Status(u16),
    /// Never: the request is read and left hanging.
    Hang,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request path.
    pub path: String,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Bytes,
    /// How it was answered.
    pub answer: Answer,
}

impl Received {
    /// A header as text.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_else(|| panic!("no {name} header"))
    }
}

#[derive(Default)]
struct State {
    script: Mutex<VecDeque<Answer>>,
    then: Mutex<Option<Answer>>,
    received: Mutex<Vec<Received>>,
}

/// A running receiver; stops when dropped.
pub struct Receiver {
    port: u16,
    state: Arc<State>,
    stop: watch::Sender<bool>,
}

impl Receiver {
    /// Starts on a free loopback port, answering the first requests as `script` says and the rest with `then`.
    pub async fn start(ca: &TestCa, script: &[Answer], then: Answer) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
        let port = listener.local_addr().expect("receiver address").port();
        let state = Arc::new(State::default());
        *lock(&state.script) = script.iter().copied().collect();
        *lock(&state.then) = Some(then);
        let acceptor = TlsAcceptor::from(Arc::new(ca.server_config()));
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(accept_loop(listener, acceptor, state.clone(), stopped));
        Receiver { port, state, stop }
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How requests are answered once the script has run out.
    pub fn then(&self, answer: Answer) {
        *lock(&self.state.then) = Some(answer);
    }

    /// Every request read so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.state.received).clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn accept_loop(listener: TcpListener, acceptor: TlsAcceptor, state: Arc<State>, stopped: watch::Receiver<bool>) {
    let mut stop = stopped.clone();
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted { Ok((tcp, _)) => tcp, Err(_) => continue },
            _ = stop.changed() => return,
        };
        let (acceptor, state, mut stopped) = (acceptor.clone(), state.clone(), stopped.clone());
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else { return };
            let service = hyper::service::service_fn(move |request| answer(state.clone(), request));
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            tokio::select! {
                _ = builder.serve_connection(TokioIo::new(tls), service) => {}
                _ = stopped.changed() => {}
            }
        });
    }
}

async fn answer(state: Arc<State>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|collected| collected.to_bytes()).unwrap_or_default();
    let answer = lock(&state.script).pop_front().or(*lock(&state.then)).unwrap_or(Answer::Status(200));
    let path = parts.uri.path().to_owned();
    lock(&state.received).push(Received { path, headers: parts.headers, body, answer });
    match answer {
        Answer::Status(code) => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::from_u16(code).expect("status code");
            Ok(response)
        }
        Answer::Hang => std::future::pending().await,
    }
}
