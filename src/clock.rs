//! The one place the node reads the wall clock as a registry [`Timestamp`]: the registry core is pure and takes
//! the time from its caller, and every caller (handlers, mirrors, metrics, the CLI) asks here.

use trustnode_registry::model::Timestamp;

/// The system clock is outside what a registry timestamp can hold (before 1970 or after the year 9999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system clock is out of range")]
pub struct ClockError;

/// Now, as a registry timestamp (whole seconds, UTC).
pub fn now() -> Result<Timestamp, ClockError> {
    Timestamp::from_unix_seconds(time::OffsetDateTime::now_utc().unix_timestamp()).ok_or(ClockError)
}
