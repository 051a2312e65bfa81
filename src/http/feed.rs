//! `GET /registries/{authority_id}/changes`: a registry's change feed, one event per snapshot after `since`, as a
//! JSON page (optionally held open with `wait=` until a publish) or, with `Accept: text/event-stream`, as
//! Server-Sent Events that continue live. Events are made once per snapshot by `crate::feed`; this module reads
//! the request, picks the events and writes them out. It keeps no state of its own.
//!
//! Where a stream starts: `Last-Event-ID` wins over `since`. The SSE specification has the client send that header
//! when it reconnects, carrying the `id:` of the last event it received, while the URL keeps the `since` of the
//! first connection; so the header is the newer, truer position, and resuming from it loses and repeats nothing.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{QueryRejection, RawPathParamsRejection};
use axum::extract::{Query, RawPathParams, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use hyper::body::Frame;
use serde_json::json;
use tokio::sync::mpsc;

use super::path_params::parse_sequence;
use super::problem::{Problem, Refusal};
use super::registries::hosted;
use super::HttpState;
use crate::feed::{Feed, Feeds, Place};
use trustnode_registry::feed::ChangeFilter;

/// The media type of Server-Sent Events.
const EVENT_STREAM: &str = "text/event-stream";
/// Frames a stream may hold ready before its client reads them; with the one being made, all it holds.
const READY_FRAMES: usize = 3;

/// The query of `GET /registries/{authority_id}/changes`; numbers are read by hand so that each bad spelling gets
/// its own precise refusal.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangesQuery {
    since: Option<String>,
    limit: Option<String>,
    wait: Option<String>,
    entity: Option<String>,
    action: Option<String>,
    resource: Option<String>,
}

impl ChangesQuery {
    /// The filter, refusing an empty one (it would match nothing, and is most likely a client's mistake).
    fn checked_filter(&self) -> Result<ChangeFilter<'_>, Problem> {
        for (name, value) in [("entity", &self.entity), ("action", &self.action), ("resource", &self.resource)] {
            if value.as_deref().is_some_and(str::is_empty) {
                return Err(Refusal::EmptyFilter(name).into());
            }
        }
        Ok(self.filter())
    }

    fn filter(&self) -> ChangeFilter<'_> {
        ChangeFilter {
            entity: self.entity.as_deref(),
            action: self.action.as_deref(),
            resource: self.resource.as_deref(),
        }
    }
}

/// A count in canonical decimal, `0` included: a sequence a client holds (0: nothing yet), or seconds to wait.
fn canonical_count(text: &str) -> Option<u64> {
    if text == "0" {
        Some(0)
    } else {
        parse_sequence(text)
    }
}

/// `GET /registries/{authority_id}/changes?since&limit&wait&entity&action&resource`.
pub(crate) async fn changes(
    State(state): State<Arc<HttpState>>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    query: Result<Query<ChangesQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let params = params?;
    let Query(query) = query?;
    let registry = hosted(&state, &params)?;
    let feeds = &state.node.feeds;
    let feed = feeds
        .get(registry.authority_id())
        .ok_or_else(|| Problem::from(Refusal::RegistryNotHosted(registry.authority_id().to_owned())))?;
    let config = &state.node.config.feed;
    let filter = query.checked_filter()?;
    let last_event_id = headers.get("last-event-id").map(|value| value.to_str().unwrap_or("\u{fffd}").trim());
    let since = match (last_event_id.filter(|id| !id.is_empty()), query.since.as_deref()) {
        (Some(id), _) => {
            canonical_count(id).ok_or_else(|| Problem::from(Refusal::InvalidLastEventId(id.to_owned())))?
        }
        (None, Some(text)) => {
            canonical_count(text).ok_or_else(|| Problem::from(Refusal::InvalidSince(text.to_owned())))?
        }
        (None, None) => 0,
    };
    let current = feed.current_sequence();
    if since > current {
        return Err(Refusal::SinceAhead { since, current }.into());
    }
    if wants_event_stream(&headers) {
        let place =
            feeds.stream().map_err(|full| Problem::from(Refusal::FeedFull { max: full.max, what: "streams" }))?;
        let heartbeat = Duration::from_secs(config.heartbeat_s);
        let (frames, body) = mpsc::channel(READY_FRAMES);
        tokio::spawn(stream(state.clone(), feed.clone(), since, query, heartbeat, frames, place));
        let headers = [
            (header::CONTENT_TYPE, HeaderValue::from_static(EVENT_STREAM)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ];
        return Ok((headers, Body::new(Frames(body))).into_response());
    }
    let limit = match query.limit.as_deref() {
        None => config.max_page,
        Some(text) => parse_sequence(text)
            .and_then(|limit| usize::try_from(limit).ok())
            .filter(|limit| *limit <= config.max_page)
            .ok_or_else(|| Problem::from(Refusal::InvalidLimit { max: config.max_page }))?,
    };
    let wait = match query.wait.as_deref() {
        None => 0,
        Some(text) => canonical_count(text)
            .filter(|seconds| *seconds <= config.max_wait_s)
            .ok_or_else(|| Problem::from(Refusal::InvalidWait { text: text.to_owned(), max: config.max_wait_s }))?,
    };
    let mut current = current;
    if current == since && wait > 0 {
        let _waiting = feeds
            .wait()
            .map_err(|full| Problem::from(Refusal::FeedFull { max: full.max, what: "waiting long-polls" }))?;
        if let Ok(newer) = tokio::time::timeout(Duration::from_secs(wait), feed.newer_than(since)).await {
            current = newer;
        }
    }
    page(feed, since, current, limit, &filter).await
}

/// The JSON page of the events after `since`, up to `limit` of them and to `current`.
async fn page(
    feed: &Feed,
    since: u64,
    current: u64,
    limit: usize,
    filter: &ChangeFilter<'_>,
) -> Result<Response, Problem> {
    let last = current.min(since.saturating_add(limit as u64));
    let mut events = Vec::new();
    for sequence in since + 1..=last {
        let json = feed.event(sequence).await.and_then(|rendered| rendered.json_for(filter))?;
        if !events.is_empty() {
            events.push(b',');
        }
        events.extend_from_slice(&json);
    }
    let head = json!({
        "authority_id": feed.registry().authority_id(),
        "since": since,
        "current_sequence": current,
        "next_since": last,
    });
    let mut body = head.to_string().into_bytes();
    body.pop();
    body.extend_from_slice(b",\"events\":[");
    body.extend_from_slice(&events);
    body.extend_from_slice(b"]}");
    let headers = [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")];
    Ok((headers, body).into_response())
}

/// True when `Accept` lists `text/event-stream`.
fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|range| range.split(';').next().is_some_and(|media| media.trim().eq_ignore_ascii_case(EVENT_STREAM)))
}

/// Writes one stream: every event after `since`, then each new one as it is published, with a heartbeat comment
/// when nothing was sent for `heartbeat`. It waits for its client before making the next frame, so a slow client
/// costs at most [`READY_FRAMES`] frames; events it missed meanwhile are read back from the feed (memory or stored
/// files). Ends when the client goes away, or after an `error` event when an event cannot be made.
async fn stream(
    state: Arc<HttpState>,
    feed: Arc<Feed>,
    since: u64,
    query: ChangesQuery,
    heartbeat: Duration,
    frames: mpsc::Sender<Bytes>,
    place: Place,
) {
    let _place = place;
    let feeds: &Feeds = &state.node.feeds;
    let filter = query.filter();
    let mut next = since + 1;
    loop {
        if next <= feed.current_sequence() {
            let data = match feed.event(next).await.and_then(|rendered| rendered.json_for(&filter)) {
                Ok(data) => data,
                Err(error) => {
                    let problem = Problem::from(error);
                    let data = json!({"status": problem.status.as_u16(), "detail": problem.detail});
                    let _ = frames.send(Bytes::from(format!("event: error\ndata: {data}\n\n"))).await;
                    return;
                }
            };
            // The rendered event is shared: each stream sends the same bytes between its own framing.
            for frame in [Bytes::from(format!("id: {next}\ndata: ")), data, Bytes::from_static(b"\n\n")] {
                if frames.send(frame).await.is_err() {
                    return;
                }
            }
            feeds.sent();
            next += 1;
            continue;
        }
        tokio::select! {
            _ = feed.newer_than(next - 1) => {}
            () = tokio::time::sleep(heartbeat) => {
                if frames.send(Bytes::from_static(b": heartbeat\n\n")).await.is_err() {
                    return;
                }
            }
            () = frames.closed() => return,
        }
    }
}

/// A response body made of the frames a stream's task sends.
struct Frames(mpsc::Receiver<Bytes>);

impl hyper::body::Body for Frames {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|frame| frame.map(|bytes| Ok(Frame::data(bytes))))
    }
}
