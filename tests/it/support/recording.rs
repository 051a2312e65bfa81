//! A stand-in HTTP server on `127.0.0.1:<ephemeral>` for checking the conformance kit against wrong
//! implementations: fixed routes plus a fallback that answers from the request, recording every path asked for.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::Uri;
use axum::response::Response;
use axum::Router;

/// The paths the server was asked for, in arrival order.
pub type Seen = Arc<Mutex<Vec<String>>>;

/// Serves `routes`, and `fallback(uri, body)` for every other request, recording each fallback request's path.
pub async fn serve(
    routes: Router,
    fallback: impl Fn(&Uri, &Bytes) -> Response + Clone + Send + Sync + 'static,
) -> (SocketAddr, Seen) {
    let seen = Seen::default();
    let recorder = Arc::clone(&seen);
    let router = routes.fallback(move |uri: Uri, body: Bytes| {
        recorder.lock().unwrap().push(uri.path().to_owned());
        let answer = fallback(&uri, &body);
        async move { answer }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (addr, seen)
}
