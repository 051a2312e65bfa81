//! `trustnode registry watch URL`: follows a node's change feed (Server-Sent Events) and checks every event before
//! printing it: the authority's signature on the snapshot header, the chain from the previous event's digest, and
//! each changed statement's inclusion path (the checks are `trustnode_registry::feed`'s). A dropped connection is
//! resumed with `Last-Event-ID`, so no event is skipped or shown twice. An event that fails a check stops the
//! command: the node is not trusted.
//!
//! The first event's chain link is taken as the node gives it (only its signature is checked), unless
//! `--since-digest` names the digest of the snapshot the watcher already holds.

use std::process::ExitCode;
use std::time::Duration;

use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use super::{CliError, ConfigArg};
use crate::hosting::verify;
use trustnode_registry::feed::{ChangeEvent, FeedCursor};
use trustnode_registry::model::Statement;
use trustnode_registry::snapshot::Digest;

/// How the events are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WatchFormat {
    /// One line per snapshot and one per changed statement.
    Text,
    /// Each verified event as one line of JSON, as the node sent it.
    Json,
}

/// Arguments of `registry watch`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// The feed, e.g. http://127.0.0.1:8080/registries/did:key:z…/changes
    url: String,
    /// The sequence already held: start with the event after it (0: from the first snapshot).
    #[arg(long, value_name = "SEQ", default_value_t = 0)]
    since: u64,
    /// The digest of snapshot `--since`, so the first event's chain link is checked too.
    #[arg(long, value_name = "DIGEST")]
    since_digest: Option<Digest>,
    /// Only changes of statements about this entity.
    #[arg(long, value_name = "DID")]
    entity: Option<String>,
    /// Only changes of statements with this action.
    #[arg(long)]
    action: Option<String>,
    /// Only changes of statements with this resource.
    #[arg(long)]
    resource: Option<String>,
    /// Stop after the event of this sequence (default: watch until interrupted).
    #[arg(long, value_name = "SEQ")]
    until: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = WatchFormat::Text)]
    format: WatchFormat,
    #[command(flatten)]
    config: ConfigArg,
}

/// Longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Runs `registry watch`.
pub fn run(args: WatchArgs) -> Result<ExitCode, CliError> {
    let mut config = args.config.load()?;
    config.registries.clear();
    if !args.url.starts_with("http://") {
        return Err(format!("{}: only http:// node URLs are supported", args.url).into());
    }
    let authority_id = authority_of(&args.url)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let resolver = crate::node::open_resolver(&config)?;
        let document = verify::authority_document(&resolver, &authority_id).await?;
        let mut watcher = Watcher {
            args: &args,
            authority_id: &authority_id,
            document: document.value().clone(),
            cursor: FeedCursor { sequence: args.since, digest: args.since_digest },
        };
        let outcome = watcher.watch().await;
        crate::node::close_resolver(&resolver);
        outcome
    })
}

/// The authority DID in a feed URL's path (`…/registries/{authority}/changes`), percent-decoded.
fn authority_of(url: &str) -> Result<String, CliError> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let encoded = path
        .split_once("/registries/")
        .and_then(|(_, rest)| rest.strip_suffix("/changes"))
        .ok_or_else(|| format!("{url}: expected a feed URL ending in /registries/{{authority}}/changes"))?;
    Ok(percent_encoding::percent_decode_str(encoded).decode_utf8_lossy().into_owned())
}

struct Watcher<'a> {
    args: &'a WatchArgs,
    authority_id: &'a str,
    document: Value,
    cursor: FeedCursor,
}

/// How one connection ended.
enum Ended {
    /// The last wanted event was shown.
    Done,
    /// The connection dropped or could not be made: try again.
    Dropped(String),
}

impl Watcher<'_> {
    async fn watch(&mut self) -> Result<ExitCode, CliError> {
        let mut backoff = Duration::from_millis(250);
        loop {
            let before = self.cursor.sequence;
            match self.connection().await? {
                Ended::Done => return Ok(ExitCode::SUCCESS),
                Ended::Dropped(why) => {
                    if self.cursor.sequence > before {
                        backoff = Duration::from_millis(250);
                    }
                    eprintln!("connection lost ({why}); resuming after sequence {}", self.cursor.sequence);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// One connection: reads events until it drops. Refusals by the node and events that fail a check are errors.
    async fn connection(&mut self) -> Result<Ended, CliError> {
        let mut url = format!("{}?since={}", self.args.url.split('?').next().unwrap_or_default(), self.args.since);
        for (name, value) in
            [("entity", &self.args.entity), ("action", &self.args.action), ("resource", &self.args.resource)]
        {
            if let Some(value) = value {
                let encoded = percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC);
                url.push_str(&format!("&{name}={encoded}"));
            }
        }
        let request = Request::get(&url)
            .header("accept", "text/event-stream")
            .header("last-event-id", self.cursor.sequence.to_string())
            .body(Empty::<Bytes>::new())
            .map_err(|e| format!("{url}: {e}"))?;
        let client = Client::builder(TokioExecutor::new()).build_http();
        let response = match client.request(request).await {
            Ok(response) => response,
            Err(error) => return Ok(Ended::Dropped(error.to_string())),
        };
        if response.status() != StatusCode::OK {
            let status = response.status();
            let body = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            let detail = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|problem| problem.get("detail").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
            if status == StatusCode::SERVICE_UNAVAILABLE {
                return Ok(Ended::Dropped(format!("{status}: {detail}")));
            }
            return Err(format!("{url} answered {status}: {detail}").into());
        }
        let mut body = response.into_body();
        let mut pending = Vec::new();
        loop {
            let frame = match body.frame().await {
                Some(Ok(frame)) => frame,
                Some(Err(error)) => return Ok(Ended::Dropped(error.to_string())),
                None => return Ok(Ended::Dropped("the node closed the stream".into())),
            };
            let Ok(data) = frame.into_data() else { continue };
            pending.extend_from_slice(&data);
            while let Some(end) = find_blank_line(&pending) {
                let block: Vec<u8> = pending.drain(..end.end).collect();
                let text = String::from_utf8_lossy(block.get(..end.start).unwrap_or_default()).into_owned();
                if let Some(ended) = self.sse_event(&text)? {
                    return Ok(ended);
                }
            }
        }
    }

    /// Handles one SSE event block (comments and heartbeats are ignored).
    fn sse_event(&mut self, block: &str) -> Result<Option<Ended>, CliError> {
        let (mut kind, mut data) = ("message", String::new());
        for line in block.lines() {
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => kind = if value == "error" { "error" } else { "message" },
                "data" => {
                    if !data.is_empty() {
                        data.push('\n');
                    }
                    data.push_str(value);
                }
                _ => {}
            }
        }
        if data.is_empty() {
            return Ok(None);
        }
        if kind == "error" {
            return Err(format!("the node ended the stream: {data}").into());
        }
        let event: ChangeEvent = serde_json::from_str(&data).map_err(|e| format!("an event is not readable: {e}"))?;
        if event.header.authority_id != self.authority_id {
            let named = &event.header.authority_id;
            return Err(format!("event {} is signed for {named}, not {}", event.sequence, self.authority_id).into());
        }
        let verified = event.verify(self.cursor, &self.document).map_err(|e| format!("REFUSED: {e}"))?;
        self.cursor = verified.cursor;
        self.print(&event, &verified.signature.kid, &data);
        Ok(self.args.until.filter(|until| event.sequence >= *until).map(|_| Ended::Done))
    }

    fn print(&self, event: &ChangeEvent, kid: &str, data: &str) {
        if self.args.format == WatchFormat::Json {
            println!("{data}");
            return;
        }
        println!(
            "snapshot {} {} issued {}: verified (signed by {kid}), {} change(s)",
            event.sequence,
            event.digest,
            event.header.issued,
            event.changes.len()
        );
        for change in &event.changes {
            println!("  {} {} {}", event.sequence, change.change.as_str(), describe(&change.statement));
        }
    }
}

/// `s3 authorization did:web:… issue Badge (suspended since …)`.
fn describe(statement: &Statement) -> String {
    let status = statement
        .history
        .last()
        .map(|latest| format!(" ({} since {})", latest.status.as_str(), latest.since))
        .unwrap_or_default();
    format!(
        "{} {} {} {} {}{status}",
        statement.id,
        statement.kind.as_str(),
        statement.entity_id,
        statement.action,
        statement.resource
    )
}

/// Where the first blank line (the end of an SSE event) is: the event's end and the offset after the blank line.
fn find_blank_line(bytes: &[u8]) -> Option<std::ops::Range<usize>> {
    let position = bytes.windows(2).position(|pair| pair == b"\n\n")?;
    Some(position..position + 2)
}
