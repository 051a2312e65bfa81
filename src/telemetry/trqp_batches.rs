//! The counters of TRQP batches (`POST /authorization/batch`, `/recognition/batch`): recorded by their handler,
//! kept with the node's other metrics. No I/O.

use std::sync::Arc;

use super::metrics::{Family, Metrics};
use trustnode_registry::model::StatementKind;

/// The metrics of TRQP batches: batches answered, and their queries by the status each was answered with.
pub struct TrqpBatchMetrics {
    batches: Arc<Family<1>>,
    queries: Arc<Family<2>>,
}

impl std::fmt::Debug for TrqpBatchMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrqpBatchMetrics").finish_non_exhaustive()
    }
}

impl TrqpBatchMetrics {
    /// Registers the families with `metrics`.
    pub fn register(metrics: &Metrics) -> TrqpBatchMetrics {
        TrqpBatchMetrics {
            batches: metrics.counter(
                "trustnode_trqp_batches_total",
                "TRQP batches answered (200), by endpoint (authorization, recognition).",
                ["endpoint"],
            ),
            queries: metrics.counter(
                "trustnode_trqp_batch_queries_total",
                "Queries of answered TRQP batches, by endpoint and the status the item was answered with.",
                ["endpoint", "status"],
            ),
        }
    }

    /// Counts one batch of `kind`'s endpoint whose items had these `(status, count)`s.
    pub(crate) fn record(&self, kind: StatementKind, statuses: &[(u16, u64)]) {
        let endpoint = kind.as_str();
        self.batches.add([endpoint], 1.0);
        for (status, count) in statuses {
            self.queries.add([endpoint, &status.to_string()], *count as f64);
        }
    }
}
