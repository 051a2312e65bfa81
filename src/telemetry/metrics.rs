//! The node's metrics and their Prometheus text exposition (format 0.0.4), written by hand.
//!
//! The per-request path only touches atomics: requests by route template and status, latency histograms per route,
//! resolutions by method and outcome. Everything else is read when `/metrics` is scraped: whatever parts of the node
//! register as labelled [`Family`] gauges or counters (the node registers the did:web cache counters and the hosted
//! registries' served snapshots), kept current by [`Metrics::on_scrape`] hooks when a value is cheaper to compute on
//! demand (an age, a size).
//!
//! Labels are bounded by construction: routes are templates (never raw paths, so DIDs cannot explode the series
//! count), statuses are HTTP codes, methods and outcomes come from fixed enums. Each route gets its own
//! [`RouteMetrics`] when the router is built, so recording a request is a few relaxed atomic increments without
//! any lookup. Nothing here does I/O or knows about HTTP handlers.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use trustnode_did::error::ErrorCode;
use trustnode_resolver::Resolution;

/// `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency histogram buckets, in seconds (`+Inf` is implicit).
const LATENCY_BUCKETS_S: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// The same bounds in microseconds, for comparing without floating point on the request path.
const LATENCY_BUCKETS_US: [u64; 12] =
    [500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 5_000_000];

/// Route label of requests no route matched (answered by the fallback).
pub const UNMATCHED_ROUTE: &str = "(unmatched)";

/// Lowest and highest status code counted; others are counted as the closest bound.
const STATUS_MIN: u16 = 100;
const STATUS_MAX: u16 = 599;

/// Method label of resolutions that failed before a method was chosen (syntax errors, unsupported methods).
const NO_METHOD: &str = "none";

/// Outcomes of a resolution: `ok` and one per error code, indexed like `ErrorCode::ALL` shifted by one.
const OUTCOMES: usize = ErrorCode::ALL.len() + 1;

/// A hook run before each scrape.
type ScrapeHook = Box<dyn Fn() + Send + Sync>;

/// All the node's metrics. One per node, in its state.
pub struct Metrics {
    routes: Mutex<Vec<(&'static str, Arc<RouteStats>)>>,
    /// The method names resolutions are counted by, in the resolver's order.
    methods: Vec<&'static str>,
    /// `[method or none][outcome]`: methods indexed like `methods`, then one row for "none".
    resolutions: Box<[[AtomicU64; OUTCOMES]]>,
    /// Batch resolution requests, `[json, ndjson]`, and their items (all, then distinct ones).
    batches: [AtomicU64; 2],
    batch_items: AtomicU64,
    batch_distinct: AtomicU64,
    families: Mutex<Vec<Arc<dyn Collector>>>,
    hooks: Mutex<Vec<ScrapeHook>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Counters of one route.
#[derive(Debug)]
struct RouteStats {
    /// Indexed by `status - STATUS_MIN`.
    by_status: Box<[AtomicU64]>,
    latency: Histogram,
}

impl RouteStats {
    fn new() -> RouteStats {
        RouteStats {
            by_status: (STATUS_MIN..=STATUS_MAX).map(|_| AtomicU64::new(0)).collect(),
            latency: Histogram::default(),
        }
    }
}

/// A latency histogram: one counter per bucket (not cumulative; summed when rendered), the count and the sum.
#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS_US.len() + 1],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BUCKETS_US.iter().position(|bound| micros <= *bound).unwrap_or(LATENCY_BUCKETS_US.len());
        if let Some(counter) = self.buckets.get(bucket) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(micros, Ordering::Relaxed);
    }
}

/// The request counters of one route, handed to the code that serves it so that recording needs no lookup.
#[derive(Debug, Clone)]
pub struct RouteMetrics(Arc<RouteStats>);

impl RouteMetrics {
    /// Counts one answered request.
    pub fn record(&self, status: u16, elapsed: Duration) {
        let index = usize::from(status.clamp(STATUS_MIN, STATUS_MAX) - STATUS_MIN);
        if let Some(counter) = self.0.by_status.get(index) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        self.0.latency.observe(elapsed);
    }
}

impl Default for Metrics {
    /// Metrics that count resolutions of no method (only failures before a method was chosen).
    fn default() -> Self {
        Metrics::new(Vec::new())
    }
}

impl Metrics {
    /// Empty metrics (no routes, families or hooks yet) counting resolutions of the DID methods `methods`.
    pub fn new(methods: Vec<&'static str>) -> Metrics {
        Metrics {
            routes: Mutex::new(Vec::new()),
            resolutions: (0..=methods.len()).map(|_| Default::default()).collect(),
            methods,
            batches: Default::default(),
            batch_items: AtomicU64::new(0),
            batch_distinct: AtomicU64::new(0),
            families: Mutex::new(Vec::new()),
            hooks: Mutex::new(Vec::new()),
        }
    }

    /// The counters of the route with path template `template` (the label; [`UNMATCHED_ROUTE`] for the
    /// fallback), created on first use. Called while the router is built, not per request.
    pub fn route(&self, template: &'static str) -> RouteMetrics {
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, stats)) = routes.iter().find(|(known, _)| *known == template) {
            return RouteMetrics(stats.clone());
        }
        let stats = Arc::new(RouteStats::new());
        routes.push((template, stats.clone()));
        RouteMetrics(stats)
    }

    /// Counts one resolution by its method and outcome.
    pub(crate) fn record_resolution(&self, resolution: &Resolution) {
        self.record_resolution_outcome(resolution.method, resolution.result.as_ref().err().map(|error| error.code));
    }

    /// Counts one resolution by its method name (`None`: failed before a method was chosen) and error (`None`:
    /// ok). A method the metrics were not made for counts as none.
    pub(crate) fn record_resolution_outcome(&self, method: Option<&'static str>, error: Option<ErrorCode>) {
        let method =
            method.and_then(|name| self.methods.iter().position(|known| *known == name)).unwrap_or(self.methods.len());
        let outcome = match error {
            None => 0,
            Some(code) => ErrorCode::ALL.iter().position(|known| *known == code).map_or(0, |index| index + 1),
        };
        if let Some(counter) = self.resolutions.get(method).and_then(|row| row.get(outcome)) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts one accepted batch resolution request (`streamed`: answered as NDJSON) of `items` identifiers, of
    /// which `distinct` were resolved (the others were duplicates). Each resolution is also counted as a resolution.
    pub(crate) fn record_batch(&self, streamed: bool, items: usize, distinct: usize) {
        self.batches[usize::from(streamed)].fetch_add(1, Ordering::Relaxed);
        self.batch_items.fetch_add(items as u64, Ordering::Relaxed);
        self.batch_distinct.fetch_add(distinct as u64, Ordering::Relaxed);
    }

    /// A labelled gauge family, rendered on every scrape. `name` must be a valid Prometheus metric name (by
    /// convention `trustnode_<area>_<what>_<unit>`).
    pub fn gauge<const N: usize>(
        &self,
        name: &'static str,
        help: &'static str,
        labels: [&'static str; N],
    ) -> Arc<Family<N>> {
        self.family(name, help, labels, "gauge")
    }

    /// A labelled counter family; `name` should end in `_total`.
    pub fn counter<const N: usize>(
        &self,
        name: &'static str,
        help: &'static str,
        labels: [&'static str; N],
    ) -> Arc<Family<N>> {
        self.family(name, help, labels, "counter")
    }

    fn family<const N: usize>(
        &self,
        name: &'static str,
        help: &'static str,
        labels: [&'static str; N],
        kind: &'static str,
    ) -> Arc<Family<N>> {
        let family = Arc::new(Family { name, help, kind, labels, series: Mutex::new(BTreeMap::new()) });
        self.families.lock().unwrap_or_else(PoisonError::into_inner).push(family.clone());
        family
    }

    /// Runs `hook` before each scrape: the place to set gauges that are computed on demand (ages, sizes, readings
    /// of counters kept elsewhere). A hook holds what it reads (weakly, when that owns the metrics).
    pub fn on_scrape(&self, hook: impl Fn() + Send + Sync + 'static) {
        self.hooks.lock().unwrap_or_else(PoisonError::into_inner).push(Box::new(hook));
    }

    /// Runs the scrape hooks and writes every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        for hook in self.hooks.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            hook();
        }
        let mut out = String::with_capacity(8192);
        self.render_requests(&mut out);
        self.render_resolutions(&mut out);
        self.render_batches(&mut out);
        for family in self.families.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            family.render(&mut out);
        }
        out
    }

    fn render_requests(&self, out: &mut String) {
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner).clone();
        routes.sort_unstable_by_key(|(route, _)| *route);
        header(
            out,
            "trustnode_http_requests_total",
            "HTTP requests answered, by route template and status.",
            "counter",
        );
        for (route, stats) in &routes {
            for (status, counter) in (STATUS_MIN..).zip(stats.by_status.iter()) {
                let count = counter.load(Ordering::Relaxed);
                if count > 0 {
                    let _ = writeln!(
                        out,
                        "trustnode_http_requests_total{{route=\"{}\",status=\"{status}\"}} {count}",
                        escape(route)
                    );
                }
            }
        }
        let name = "trustnode_http_request_duration_seconds";
        header(out, name, "Time from receiving a request to its response headers, by route template.", "histogram");
        for (route, stats) in &routes {
            let histogram = &stats.latency;
            let count = histogram.count.load(Ordering::Relaxed);
            if count == 0 {
                continue;
            }
            let route = escape(route);
            let mut cumulative = 0;
            for (bound, counter) in LATENCY_BUCKETS_S.iter().zip(&histogram.buckets) {
                cumulative += counter.load(Ordering::Relaxed);
                let _ = writeln!(out, "{name}_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}");
            }
            // Counters are read one by one while requests continue: +Inf must still be the largest bucket.
            let total = cumulative + histogram.buckets.last().map_or(0, |c| c.load(Ordering::Relaxed));
            let _ = writeln!(out, "{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", total.max(count));
            let sum_s = histogram.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "{name}_sum{{route=\"{route}\"}} {sum_s}");
            let _ = writeln!(out, "{name}_count{{route=\"{route}\"}} {}", total.max(count));
        }
    }

    fn render_batches(&self, out: &mut String) {
        let name = "trustnode_batch_requests_total";
        header(out, name, "Batch resolution requests accepted, by answer format (json or ndjson).", "counter");
        for (format, counter) in ["json", "ndjson"].into_iter().zip(&self.batches) {
            let _ = writeln!(out, "{name}{{format=\"{format}\"}} {}", counter.load(Ordering::Relaxed));
        }
        let name = "trustnode_batch_items_total";
        header(out, name, "Identifiers in accepted batch resolution requests.", "counter");
        let _ = writeln!(out, "{name} {}", self.batch_items.load(Ordering::Relaxed));
        let name = "trustnode_batch_distinct_items_total";
        header(out, name, "Identifiers of batches resolved: duplicates within a batch are resolved once.", "counter");
        let _ = writeln!(out, "{name} {}", self.batch_distinct.load(Ordering::Relaxed));
    }

    fn render_resolutions(&self, out: &mut String) {
        let name = "trustnode_resolutions_total";
        header(out, name, "DID resolutions over HTTP, by method and outcome (ok, or the error code).", "counter");
        let methods = self.methods.iter().copied().chain([NO_METHOD]);
        for (method, row) in methods.zip(self.resolutions.iter()) {
            let outcomes = ["ok"].into_iter().chain(ErrorCode::ALL.iter().map(|code| code.legacy()));
            for (outcome, counter) in outcomes.zip(row) {
                let count = counter.load(Ordering::Relaxed);
                if count > 0 {
                    let _ = writeln!(out, "{name}{{method=\"{method}\",outcome=\"{outcome}\"}} {count}");
                }
            }
        }
    }
}

/// A family of gauges or counters with the same `N` label names, one value per label set. Values are kept under a
/// lock: families are for values that change at the pace of registry updates or scrapes, not per request.
pub struct Family<const N: usize> {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    labels: [&'static str; N],
    series: Mutex<BTreeMap<[String; N], f64>>,
}

impl<const N: usize> Family<N> {
    /// Sets the value of the series with these label values.
    pub fn set(&self, labels: [&str; N], value: f64) {
        self.series().insert(labels.map(str::to_owned), value);
    }

    /// Adds `delta` to the series with these label values (starting from 0).
    pub fn add(&self, labels: [&str; N], delta: f64) {
        *self.series().entry(labels.map(str::to_owned)).or_insert(0.0) += delta;
    }

    /// Removes the series with these label values (e.g. of an authority no longer hosted).
    pub fn remove(&self, labels: [&str; N]) {
        self.series().remove(&labels.map(str::to_owned));
    }

    fn series(&self) -> std::sync::MutexGuard<'_, BTreeMap<[String; N], f64>> {
        self.series.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Something that writes its own metric family.
trait Collector: Send + Sync {
    fn render(&self, out: &mut String);
}

impl<const N: usize> Collector for Family<N> {
    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, self.kind);
        for (values, value) in self.series().iter() {
            let labels: Vec<String> =
                self.labels.iter().zip(values).map(|(name, value)| format!("{name}=\"{}\"", escape(value))).collect();
            if labels.is_empty() {
                let _ = writeln!(out, "{} {value}", self.name);
            } else {
                let _ = writeln!(out, "{}{{{}}} {value}", self.name, labels.join(","));
            }
        }
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Escapes a label value: backslash, double quote and line feed.
fn escape(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains(['\\', '"', '\n']) {
        value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n").into()
    } else {
        value.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_value(text: &str, series: &str) -> Option<f64> {
        text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn latency_buckets_in_seconds_and_microseconds_agree() {
        for (seconds, micros) in LATENCY_BUCKETS_S.iter().zip(LATENCY_BUCKETS_US) {
            assert_eq!((seconds * 1e6).round() as u64, micros);
        }
    }

    #[test]
    fn requests_are_counted_by_template_and_status_with_cumulative_buckets() {
        let metrics = Metrics::default();
        let route = metrics.route("/a/{*id}");
        route.record(200, Duration::from_micros(300));
        metrics.route("/a/{*id}").record(200, Duration::from_millis(20));
        route.record(404, Duration::from_secs(9));
        let unmatched = metrics.route(UNMATCHED_ROUTE);
        unmatched.record(404, Duration::from_micros(1));
        unmatched.record(999, Duration::from_micros(1));
        let mut out = String::new();
        metrics.render_requests(&mut out);
        let series = |s: &str| line_value(&out, s);
        assert_eq!(series(r#"trustnode_http_requests_total{route="/a/{*id}",status="200"}"#), Some(2.0));
        assert_eq!(series(r#"trustnode_http_requests_total{route="/a/{*id}",status="404"}"#), Some(1.0));
        assert_eq!(series(r#"trustnode_http_requests_total{route="(unmatched)",status="404"}"#), Some(1.0));
        assert_eq!(series(r#"trustnode_http_requests_total{route="(unmatched)",status="599"}"#), Some(1.0));
        let bucket = |le: &str| {
            series(&format!(r#"trustnode_http_request_duration_seconds_bucket{{route="/a/{{*id}}",le="{le}"}}"#))
        };
        assert_eq!(bucket("0.0005"), Some(1.0));
        assert_eq!(bucket("0.025"), Some(2.0));
        assert_eq!(bucket("5"), Some(2.0));
        assert_eq!(bucket("+Inf"), Some(3.0));
        assert_eq!(series(r#"trustnode_http_request_duration_seconds_count{route="/a/{*id}"}"#), Some(3.0));
        let sum = series(r#"trustnode_http_request_duration_seconds_sum{route="/a/{*id}"}"#).unwrap();
        assert!((sum - 9.0203).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn families_render_escaped_labels_and_accumulate() {
        let metrics = Metrics::default();
        let sequence = metrics.gauge("trustnode_test_sequence", "A test gauge.", ["authority"]);
        let failures = metrics.counter("trustnode_test_failures_total", "A test counter.", []);
        sequence.set(["did:web:a\"b\\c"], 7.0);
        sequence.set(["did:key:z6Mk"], 1.0);
        sequence.remove(["did:key:z6Mk"]);
        failures.add([], 1.0);
        failures.add([], 2.0);
        let mut out = String::new();
        for family in metrics.families.lock().unwrap().iter() {
            family.render(&mut out);
        }
        assert!(out.contains("# TYPE trustnode_test_sequence gauge\n"), "{out}");
        assert_eq!(line_value(&out, r#"trustnode_test_sequence{authority="did:web:a\"b\\c"}"#), Some(7.0));
        assert!(!out.contains("z6Mk"), "{out}");
        assert_eq!(line_value(&out, "trustnode_test_failures_total"), Some(3.0));
    }
}
