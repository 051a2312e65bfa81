//! A trustnode running in-process on `127.0.0.1:<ephemeral>` with a temporary data directory, and a minimal
//! HTTP/1.1 client to talk to it.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{HeaderMap, Method, Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use trustnode::config::Config;
use trustnode::http::ConnectionLimits;

/// A running node. Dropping it stops the server.
pub struct TestNode {
    /// Where it listens (a loopback address for a node bound to every interface).
    pub addr: SocketAddr,
    /// The configuration it runs with.
    pub config: Config,
    /// Its state, for registering metrics and readiness conditions as other parts of the node do.
    pub state: Arc<trustnode::node::NodeState>,
    data_dir: Arc<tempfile::TempDir>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
}

impl Reply {
    /// The body parsed as JSON (panics with the body text when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestNode {
    /// Starts a node with the default configuration, changed by `adjust`, on a fresh data directory.
    pub async fn start(adjust: impl FnOnce(&mut Config)) -> TestNode {
        Self::start_in(Arc::new(tempfile::tempdir().expect("temp dir")), adjust).await
    }

    /// Starts a node on `data_dir` (e.g. the one of a node stopped with [`TestNode::stop`]).
    pub async fn start_in(data_dir: Arc<tempfile::TempDir>, adjust: impl FnOnce(&mut Config)) -> TestNode {
        let mut config = Config::load(None, Vec::<(String, String)>::new()).expect("default config");
        config.server.data_dir = data_dir.path().to_owned();
        config.server.listen = "127.0.0.1:0".parse().unwrap();
        adjust(&mut config);
        let state = Arc::new(trustnode::node::open(config.clone()).await.expect("node opens"));
        trustnode::node::start_background(&state);
        let listener = tokio::net::TcpListener::bind(config.server.listen).await.expect("bind");
        let mut addr = listener.local_addr().unwrap();
        // A node bound to every interface is still talked to over the loopback only.
        if addr.ip().is_unspecified() {
            addr.set_ip(if addr.is_ipv4() { Ipv4Addr::LOCALHOST.into() } else { Ipv6Addr::LOCALHOST.into() });
        }
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = trustnode::http::router(state.clone());
        let limits = ConnectionLimits {
            shutdown_grace: Duration::from_secs(5),
            ..ConnectionLimits::from_config(&config.server)
        };
        let node_state = state.clone();
        let server = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            trustnode::http::serve(listener, router, shutdown, limits).await.expect("serve");
            trustnode::node::close(&state);
        });
        let client = Client::builder(TokioExecutor::new()).build_http();
        TestNode { addr, config, state: node_state, data_dir, stop: Some(stop), server: Some(server), client }
    }

    /// Stops the node as SIGTERM would (in-flight requests finish, state is flushed) and returns its data
    /// directory for a restart.
    pub async fn stop(mut self) -> Arc<tempfile::TempDir> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
        // The client's pooled connections keep the router (and its state) alive until they close.
        drop(std::mem::replace(&mut self.client, Client::builder(TokioExecutor::new()).build_http()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.data_dir.clone()
    }

    /// `GET path` with extra headers.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.request(Method::GET, path, headers, Bytes::new()).await
    }

    /// Any request.
    pub async fn request(&self, method: Method, path: &str, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Reply {
        let mut builder = Request::builder().method(method).uri(format!("http://{}{}", self.addr, path));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        send(&self.client, builder.body(Full::new(body.into())).unwrap()).await
    }
}

/// `GET path` on the node at `addr` over a connection of its own (for requests that outlive a `TestNode`).
pub async fn get_at(addr: SocketAddr, path: &str) -> Reply {
    let client = Client::builder(TokioExecutor::new()).build_http();
    send(&client, Request::get(format!("http://{addr}{path}")).body(Full::new(Bytes::new())).unwrap()).await
}

async fn send(client: &Client<HttpConnector, Full<Bytes>>, request: Request<Full<Bytes>>) -> Reply {
    let response = client.request(request).await.expect("request");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    Reply { status: parts.status, headers: parts.headers, body }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
