//! Readiness: named conditions that must all hold before the node should get traffic (`GET /readyz` reports them).
//!
//! Each part of the node that needs time or can fail after start (the registries while they load, the server while
//! it drains at shutdown) registers a [`ReadyFlag`] and sets it. Warnings (a risky configuration, see
//! `crate::exposure`) are kept beside them for `/readyz` to list: they do not make the node unready, because a node
//! that serves correctly should keep its traffic while an operator fixes its configuration. Nothing here does I/O or
//! knows about HTTP.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The conditions of readiness. Checking takes a lock (only `/readyz` does, never a resolution).
#[derive(Debug, Default)]
pub struct Readiness {
    conditions: Mutex<Vec<(Cow<'static, str>, Arc<AtomicBool>)>>,
    warnings: Mutex<Vec<String>>,
    draining: AtomicBool,
}

/// How `/readyz` names the shutdown condition.
pub(crate) const DRAINING: &str = "shutting down";

/// One condition; the node is ready when every flag is set.
#[derive(Debug, Clone)]
pub struct ReadyFlag(Arc<AtomicBool>);

impl ReadyFlag {
    /// Marks the condition as met (`true`) or not.
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Relaxed);
    }
}

impl Readiness {
    /// Adds a condition named `name` (shown to operators when it is not met), initially `ready`.
    pub fn condition(&self, name: impl Into<Cow<'static, str>>, ready: bool) -> ReadyFlag {
        let flag = Arc::new(AtomicBool::new(ready));
        self.conditions.lock().unwrap_or_else(PoisonError::into_inner).push((name.into(), flag.clone()));
        ReadyFlag(flag)
    }

    /// Records a warning for operators; it does not affect readiness.
    pub(crate) fn warn(&self, warning: String) {
        self.warnings.lock().unwrap_or_else(PoisonError::into_inner).push(warning);
    }

    /// The warnings recorded, in order.
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.warnings.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Shutdown has begun: from now on the node is not ready, so load balancers stop sending new requests while
    /// in-flight ones finish.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// The names of the conditions not met, in registration order ([`DRAINING`] first); empty when ready.
    pub(crate) fn unmet(&self) -> Vec<Cow<'static, str>> {
        let draining = self.draining.load(Ordering::Relaxed).then_some(Cow::Borrowed(DRAINING));
        let conditions = self.conditions.lock().unwrap_or_else(PoisonError::into_inner);
        let unmet = conditions.iter().filter(|(_, flag)| !flag.load(Ordering::Relaxed)).map(|(name, _)| name.clone());
        draining.into_iter().chain(unmet).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_when_every_condition_holds() {
        let readiness = Readiness::default();
        assert!(readiness.unmet().is_empty());
        let cache = readiness.condition("cache", true);
        let registries = readiness.condition("registries", false);
        assert_eq!(readiness.unmet(), ["registries"]);
        registries.set(true);
        cache.set(false);
        assert_eq!(readiness.unmet(), ["cache"]);
        cache.set(true);
        assert!(readiness.unmet().is_empty());
        readiness.warn("risky".into());
        assert!(readiness.unmet().is_empty(), "a warning is not a condition");
        assert_eq!(readiness.warnings(), ["risky"]);
        readiness.drain();
        assert_eq!(readiness.unmet(), [DRAINING]);
    }
}
