//! Idle connections: a connection with no request in progress for longer than `server.idle_timeout_s` is closed.
//!
//! Each connection gets an [`IdleWatch`]. Its [`IdleWatch::track`] wraps the connection's service to count the
//! requests in progress and note when the last one ended; the serve loop waits on [`IdleWatch::expired`] beside the
//! connection and then shuts it down gracefully (HTTP/2: GOAWAY; HTTP/1.1: close between requests). Only requests
//! count as activity: bytes without one (HTTP/2 pings, window updates) do not keep a connection open. Nothing here
//! does I/O; the only wait is a timer.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Instant;
use tower::Service;

/// The request activity of one connection and its idle limit.
#[derive(Debug, Clone)]
pub struct IdleWatch {
    activity: Arc<Activity>,
    limit: Duration,
}

#[derive(Debug)]
struct Activity {
    opened: Instant,
    in_progress: AtomicUsize,
    /// When the last request ended (or the connection opened), in milliseconds after `opened`.
    last_end_ms: AtomicU64,
}

impl Activity {
    fn mark_end(&self) {
        let since_open = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_end_ms.fetch_max(since_open, Ordering::Relaxed);
    }
}

impl IdleWatch {
    /// A watch for a connection opened now, closed once idle for `limit`.
    pub fn new(limit: Duration) -> IdleWatch {
        let activity =
            Activity { opened: Instant::now(), in_progress: AtomicUsize::new(0), last_end_ms: AtomicU64::new(0) };
        IdleWatch { activity: Arc::new(activity), limit }
    }

    /// `service` with its requests counted as this connection's activity.
    pub fn track<S>(&self, service: S) -> Tracked<S> {
        Tracked { service, activity: self.activity.clone() }
    }

    /// Completes once the connection has had no request in progress for the limit.
    pub async fn expired(&self) {
        loop {
            if self.activity.in_progress.load(Ordering::Relaxed) > 0 {
                tokio::time::sleep(self.limit).await;
                continue;
            }
            let last_end = Duration::from_millis(self.activity.last_end_ms.load(Ordering::Relaxed));
            let deadline = self.activity.opened + last_end + self.limit;
            if deadline <= Instant::now() {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A service whose calls are counted as requests in progress until their response is ready (or they are dropped).
#[derive(Debug, Clone)]
pub struct Tracked<S> {
    service: S,
    activity: Arc<Activity>,
}

/// One request in progress; dropping it ends the request.
struct InProgress(Arc<Activity>);

impl InProgress {
    fn start(activity: &Arc<Activity>) -> InProgress {
        activity.in_progress.fetch_add(1, Ordering::Relaxed);
        InProgress(activity.clone())
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        // The end is marked before the count drops, so a watcher that sees no request in progress also sees it.
        self.0.mark_end();
        self.0.in_progress.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<S, R> Service<R> for Tracked<S>
where
    S: Service<R>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = TrackedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.service.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> TrackedFuture<S::Future> {
        let in_progress = InProgress::start(&self.activity);
        TrackedFuture { response: self.service.call(request), in_progress: Some(in_progress) }
    }
}

pin_project! {
    /// The response of a [`Tracked`] service: the request stays in progress until it is ready or dropped.
    pub struct TrackedFuture<F> {
        #[pin]
        response: F,
        in_progress: Option<InProgress>,
    }
}

impl<F: Future> Future for TrackedFuture<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let response = ready!(this.response.poll(cx));
        this.in_progress.take();
        Poll::Ready(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn expires_only_after_the_limit_without_a_request_in_progress() {
        let watch = IdleWatch::new(Duration::from_millis(200));
        let mut service = watch.track(tower::service_fn(|wait: Duration| async move {
            tokio::time::sleep(wait).await;
            Ok::<_, std::convert::Infallible>(())
        }));
        let started = Instant::now();
        // A request of 500 ms from 100 ms on: busy until 600 ms, then idle until 800 ms.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let request = tokio::spawn(service.call(Duration::from_millis(500)));
        watch.expired().await;
        let expired_after = started.elapsed();
        assert!(request.is_finished());
        assert!(
            expired_after >= Duration::from_millis(800) && expired_after < Duration::from_millis(1500),
            "expired after {expired_after:?}"
        );
    }
}
