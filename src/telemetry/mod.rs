//! What the node tells its operators about itself: metrics (Prometheus text) and readiness conditions.
//!
//! Every part of the node records here; the HTTP layer only exposes what is kept (`/metrics`, `/readyz`). Nothing
//! here does I/O or depends on the HTTP layer.

pub mod metrics;
pub mod readiness;
pub mod trqp_batches;
