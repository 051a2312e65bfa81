//! `POST /1.0/identifiers`: batch resolution. The body names DIDs and DID URLs (`trustnode_resolver::batch`); each
//! distinct one is resolved once, through exactly the code of the single request (`super::identifiers`), and its
//! answer goes to every position that named it, as an envelope `{"index", "status", "contentType", "location"?,
//! "body"}` carrying what the single request would have answered. The envelopes come as one JSON array in request
//! order, or (`Accept: application/x-ndjson`) one line each as the resolutions finish.
//!
//! Bounds: at most `resolver.max_batch` identifiers (413 beyond); at most `resolver.batch_concurrency` resolving at
//! once, and as many admission slots held for as long as the batch runs (of the fetch pool when an identifier's
//! method fetches, else of the ordinary pool), so a batch weighs what that many single requests would; did:web
//! fetches go through the resolver's single flight and per-origin turns like any other. The work runs in tasks owned
//! by the answer: a client that goes away (its connection, or the stream's body, is dropped) aborts what is left.
//! Identifiers not resolved when the batch's time is up are answered as their single request would have been at its
//! timeout (503 `request-timeout`). Nothing else here: no parsing of bodies, no rendering of documents.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::body::Frame;
use serde_json::Value;
use tokio::task::{Id, JoinSet};

use super::admission::{Pool, Slot};
use super::guard::did_method;
use super::identifiers::{options, resolve_and_render, split_decoded, too_long};
use super::microcache::unix_second;
use super::problem::{Problem, Refusal, PROBLEM_JSON};
use super::resolution_response::ResolutionResponse;
use super::HttpState;
use trustnode_resolver::accept::choose;
use trustnode_resolver::batch::{distinct, parse_batch, Distinct};

/// The batch answered as one JSON array, in request order.
const JSON: &str = "application/json";
/// The batch answered as newline-delimited JSON, one envelope per line as each finishes.
const NDJSON: &str = "application/x-ndjson";

/// `POST /1.0/identifiers`; see the module documentation.
pub async fn resolve(State(state): State<Arc<HttpState>>, headers: HeaderMap, body: Bytes) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|value| value.to_str().ok());
    let Some(format) = choose(accept, &[JSON, NDJSON]) else {
        return Problem::from(Refusal::BatchNotAcceptable).into_response();
    };
    let resolver = &state.node.config.resolver;
    let items = match parse_batch(&body, resolver.max_batch) {
        Ok(items) => items,
        Err(error) => return Problem::from(error).into_response(),
    };
    let count = items.len();
    let unique = distinct(items);
    let streamed = format == NDJSON;
    state.node.metrics.record_batch(streamed, count, unique.len());
    let fetches = unique.iter().any(|distinct| {
        did_method(&distinct.item.identifier).is_some_and(|method| state.node.resolver.fetches(method))
    });
    let pool = if fetches { Pool::Fetch } else { Pool::Ordinary };
    let width = resolver.batch_concurrency.min(unique.len());
    let slot = match state.pools.enter_weighted(pool, None, width) {
        Ok(slot) => slot,
        Err(refusal) => return Problem::from(refusal).into_response(),
    };
    // Leaves a tenth of the request timeout to write the answer before the guard's own timeout would replace it.
    let time = Duration::from_millis(state.node.config.server.request_timeout_ms.saturating_mul(9) / 10);
    let mut run = Run::start(state.clone(), unique, width, time, slot);
    let mut response = if streamed {
        Response::new(Body::new(Lines(run)))
    } else {
        let mut answers: Vec<Option<Arc<ItemAnswer>>> = vec![None; count];
        while let Some((positions, answer)) = std::future::poll_fn(|cx| run.poll_next(cx)).await {
            for position in positions {
                answers[position] = Some(answer.clone());
            }
        }
        let mut array = Vec::with_capacity(count * 1024 + 2);
        array.push(b'[');
        for (index, answer) in answers.iter().enumerate() {
            if index > 0 {
                array.push(b',');
            }
            let answer = answer.clone().unwrap_or_else(|| Arc::new(Refusal::ItemFailed.into()));
            answer.write_envelope(index, &mut array);
        }
        array.push(b']');
        Response::new(Body::from(array))
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// What the single request for one identifier would have answered.
#[derive(Debug)]
struct ItemAnswer {
    status: StatusCode,
    content_type: &'static str,
    location: Option<String>,
    body: Bytes,
}

impl From<&ResolutionResponse> for ItemAnswer {
    fn from(answer: &ResolutionResponse) -> ItemAnswer {
        let (status, content_type, location, body) = answer.parts();
        let location = location.and_then(|location| location.to_str().ok()).map(str::to_owned);
        ItemAnswer { status, content_type, location, body: body.clone() }
    }
}

impl From<Refusal> for ItemAnswer {
    fn from(refusal: Refusal) -> ItemAnswer {
        let problem = Problem::from(refusal);
        ItemAnswer {
            status: problem.status,
            content_type: PROBLEM_JSON,
            location: None,
            body: problem.document().into(),
        }
    }
}

impl ItemAnswer {
    /// Appends this answer's envelope for position `index`. JSON bodies (every representation but `text/uri-list`)
    /// are embedded as they are, others as a JSON string, and an empty body (a redirect) as `null`.
    fn write_envelope(&self, index: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(
            format!("{{\"index\":{index},\"status\":{},\"contentType\":", self.status.as_u16()).as_bytes(),
        );
        write_string(out, self.content_type);
        if let Some(location) = &self.location {
            out.extend_from_slice(b",\"location\":");
            write_string(out, location);
        }
        out.extend_from_slice(b",\"body\":");
        if self.body.is_empty() {
            out.extend_from_slice(b"null");
        } else if self.content_type.starts_with("text/") {
            write_string(out, &String::from_utf8_lossy(&self.body));
        } else {
            out.extend_from_slice(&self.body);
        }
        out.push(b'}');
    }
}

fn write_string(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(Value::from(text).to_string().as_bytes());
}

/// Marks the microcache keys of batch items (third part; a request's is its proof header, which holds no NUL), so
/// they never meet the keys of single requests.
const ITEM_KEY_MARK: &[u8] = b"\0batch";

/// The microcache key of a batch item: its identifier and options, which are all its answer depends on.
fn item_key(item: &Distinct) -> [&[u8]; 4] {
    [item.item.identifier.as_bytes(), item.options_text.as_bytes(), ITEM_KEY_MARK, b""]
}

/// Resolves one batch item as its single request would: as `GET /1.0/identifiers/{item, percent-encoded}` when it
/// has no options, else as `POST` of that path with its options as the body. A repeatable answer is kept in the
/// microcache for the rest of its second, as single answers are.
async fn answer_item(state: Arc<HttpState>, distinct: Distinct) -> ItemAnswer {
    if let Some(refusal) = too_long(&state, distinct.item.identifier.len()) {
        return refusal.into();
    }
    let body = (!distinct.item.options.is_empty()).then(|| Value::Object(distinct.item.options.clone()));
    let parsed = split_decoded(distinct.item.identifier.clone())
        .and_then(|(identifier, pairs)| Ok((identifier, options(&pairs, body.as_ref())?)));
    let (resolution, answer) = resolve_and_render(&state, parsed, None).await;
    let item = ItemAnswer::from(&answer);
    if answer.keepable(&resolution) {
        state.answers.put(item_key(&distinct), resolution.retrieved.unix_timestamp(), 0, Arc::new(answer));
    }
    item
}

/// The resolutions of one batch: at most `width` tasks at a time, and at most `per_origin` of them for one origin
/// (`web.max_fetches_per_origin`, so a batch never queues at an origin's turns, where a full queue would refuse its
/// own items), each answering one distinct item; all aborted when the run is dropped. Items answered from memory
/// (the microcache, computed documents, fresh did:web cache entries) are answered at once, without a task.
struct Run {
    state: Arc<HttpState>,
    /// Items not started yet, with their origin.
    waiting: VecDeque<(Distinct, Option<String>)>,
    /// Answered items not handed out yet.
    ready: Vec<(Vec<usize>, Arc<ItemAnswer>)>,
    running: JoinSet<ItemAnswer>,
    /// The positions and origin of each running task.
    started: HashMap<Id, (Vec<usize>, Option<String>)>,
    /// Running tasks by origin.
    busy: HashMap<String, usize>,
    width: usize,
    per_origin: usize,
    deadline: Pin<Box<tokio::time::Sleep>>,
    /// Set when time ran out: the answer of every position not answered yet, which are in `unanswered`.
    expired: Option<Arc<ItemAnswer>>,
    unanswered: Vec<Vec<usize>>,
    /// The batch's weight in its admission pool, given back when the run ends or is dropped.
    _slot: Slot,
}

impl Run {
    fn start(state: Arc<HttpState>, unique: Vec<Distinct>, width: usize, time: Duration, slot: Slot) -> Run {
        let waiting = unique
            .into_iter()
            .map(|distinct| {
                let origin = state.node.resolver.origin(&distinct.item.identifier);
                (distinct, origin)
            })
            .collect();
        Run {
            per_origin: state.node.config.web.max_fetches_per_origin.max(1),
            state,
            waiting,
            ready: Vec::new(),
            running: JoinSet::new(),
            started: HashMap::new(),
            busy: HashMap::new(),
            width: width.max(1),
            deadline: Box::pin(tokio::time::sleep(time)),
            expired: None,
            unanswered: Vec::new(),
            _slot: slot,
        }
    }

    /// Starts waiting items while there is room, overall and at their origins.
    fn fill(&mut self) {
        while self.running.len() < self.width {
            let room = |origin: &Option<String>| {
                origin.as_ref().is_none_or(|origin| self.busy.get(origin).copied().unwrap_or(0) < self.per_origin)
            };
            let Some(next) = self.waiting.iter().position(|(_, origin)| room(origin)) else { break };
            let Some((distinct, origin)) = self.waiting.remove(next) else { break };
            if let Some(kept) = self.state.answers.get(item_key(&distinct), unix_second(), 0) {
                self.state.node.metrics.record_resolution_outcome(kept.method(), kept.error());
                self.ready.push((distinct.positions, Arc::new(ItemAnswer::from(&*kept))));
                continue;
            }
            let positions = distinct.positions.clone();
            // One look without waiting: what is answered from memory needs no task.
            let mut answering = Box::pin(answer_item(self.state.clone(), distinct));
            if let Poll::Ready(answer) = answering.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                self.ready.push((positions, Arc::new(answer)));
                continue;
            }
            if let Some(origin) = &origin {
                *self.busy.entry(origin.clone()).or_insert(0) += 1;
            }
            let handle = self.running.spawn(answering);
            self.started.insert(handle.id(), (positions, origin));
        }
    }

    /// The positions a finished task answered; makes room at its origin.
    fn finished(&mut self, id: Id) -> Vec<usize> {
        let (positions, origin) = self.started.remove(&id).unwrap_or_default();
        if let Some(count) = origin.and_then(|origin| self.busy.get_mut(&origin)) {
            *count = count.saturating_sub(1);
        }
        positions
    }

    /// The next finished item: its positions and answer; `None` when every item has been answered.
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(Vec<usize>, Arc<ItemAnswer>)>> {
        if let Some(expired) = &self.expired {
            return Poll::Ready(self.unanswered.pop().map(|positions| (positions, expired.clone())));
        }
        self.fill();
        if let Some(answered) = self.ready.pop() {
            return Poll::Ready(Some(answered));
        }
        match self.running.poll_join_next_with_id(cx) {
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Ready(Some(finished)) => {
                let (id, answer) = match finished {
                    Ok((id, answer)) => (id, answer),
                    // A resolution that panicked answers 500; the others go on.
                    Err(error) => (error.id(), Refusal::ItemFailed.into()),
                };
                return Poll::Ready(Some((self.finished(id), Arc::new(answer))));
            }
            Poll::Pending => {}
        }
        if self.deadline.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.running.abort_all();
        self.unanswered = self.started.drain().map(|(_, (positions, _))| positions).collect();
        self.unanswered.extend(self.waiting.drain(..).map(|(distinct, _)| distinct.positions));
        self.expired = Some(Arc::new(Refusal::RequestTimeout.into()));
        self.poll_next(cx)
    }
}

/// The NDJSON body: one envelope per line, written as each item finishes.
struct Lines(Run);

impl hyper::body::Body for Lines {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_next(cx).map(|finished| {
            finished.map(|(positions, answer)| {
                let mut lines = Vec::with_capacity(positions.len() * (answer.body.len() + 96));
                for position in positions {
                    answer.write_envelope(position, &mut lines);
                    lines.push(b'\n');
                }
                Ok(Frame::data(Bytes::from(lines)))
            })
        })
    }
}
