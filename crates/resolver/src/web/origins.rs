//! Turns per origin: at most `web.max_fetches_per_origin` fetches to one origin (host and port) are in progress at
//! once, so one slow or hostile origin with many DIDs cannot hold every fetch the node can make, and the node never
//! hammers an origin. Later fetches wait for a turn (within the fetch's own timeout), at most [`QUEUE_FACTOR`] times
//! as many as may run; beyond that a fetch is refused at once, so requests for one origin's DIDs cannot fill every
//! slot of the node's fetch pool by waiting. No I/O here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many fetches, running and waiting, an origin may have per fetch it may run.
pub(crate) const QUEUE_FACTOR: usize = 4;

type Gates = Mutex<HashMap<(String, u16), Arc<Semaphore>>>;

/// The per-origin limit and the origins with fetches in progress or waiting.
#[derive(Debug)]
pub(crate) struct Origins {
    max: usize,
    gates: Arc<Gates>,
}

/// A fetch's turn at its origin; the next waiting fetch goes when it is dropped.
#[derive(Debug)]
pub(crate) struct Turn {
    permit: Option<OwnedSemaphorePermit>,
    gates: Arc<Gates>,
    key: (String, u16),
}

fn lock(gates: &Gates) -> std::sync::MutexGuard<'_, HashMap<(String, u16), Arc<Semaphore>>> {
    // Every critical section is one map operation; a panicking holder cannot leave it half-changed.
    gates.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Origins {
    /// At most `max` fetches per origin (at least one).
    pub(crate) fn new(max: usize) -> Origins {
        Origins { max: max.max(1), gates: Arc::default() }
    }

    /// The most fetches in progress to one origin.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Waits for a turn at `host:port`; `None` at once when as many fetches as the origin may queue are already
    /// running or waiting.
    pub(crate) async fn turn(&self, host: &str, port: u16) -> Option<Turn> {
        let key = (host.to_owned(), port);
        let gate = {
            let mut gates = lock(&self.gates);
            let gate = gates.entry(key.clone()).or_insert_with(|| Arc::new(Semaphore::new(self.max)));
            // Each running or waiting fetch holds one clone of the gate, the map one more.
            if Arc::strong_count(gate) > self.max.saturating_mul(QUEUE_FACTOR) {
                return None;
            }
            gate.clone()
        };
        // Declared before the wait, so that a fetch given up while waiting (its timeout) drops the wait's clone of
        // the gate first and then its turn, which forgets the origin if nobody else is there.
        let mut turn = Turn { permit: None, gates: self.gates.clone(), key };
        let waiting = gate.acquire_owned();
        // The semaphore is never closed, so acquiring only ends with a permit.
        turn.permit = waiting.await.ok();
        Some(turn)
    }

    /// Origins with fetches in progress or waiting.
    #[cfg(test)]
    fn busy(&self) -> usize {
        lock(&self.gates).len()
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.permit.take();
        let mut gates = lock(&self.gates);
        // Only the map holds the gate: nobody is fetching from or waiting for this origin any more.
        if gates.get(&self.key).is_some_and(|gate| Arc::strong_count(gate) == 1) {
            gates.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn an_origin_gets_its_turns_and_others_are_not_held_up() {
        let origins = Origins::new(2);
        let first = origins.turn("slow.example", 443).await;
        let _second = origins.turn("slow.example", 443).await;
        assert!(first.is_some());
        let third = tokio::time::timeout(Duration::from_millis(50), origins.turn("slow.example", 443)).await;
        assert!(third.is_err(), "a third fetch to the same origin waits");
        let other = tokio::time::timeout(Duration::from_millis(50), origins.turn("other.example", 443)).await;
        assert!(other.is_ok(), "another origin is not held up");
        let also_other_port = tokio::time::timeout(Duration::from_millis(50), origins.turn("slow.example", 8443)).await;
        assert!(also_other_port.is_ok(), "a port is an origin of its own");
        drop(first);
        let third = tokio::time::timeout(Duration::from_millis(50), origins.turn("slow.example", 443)).await;
        assert!(third.is_ok(), "a finished fetch hands its turn on");
    }

    #[tokio::test]
    async fn idle_origins_are_forgotten() {
        let origins = Origins::new(1);
        let turns = [origins.turn("a.example", 443).await, origins.turn("b.example", 443).await];
        assert_eq!(origins.busy(), 2);
        let given_up = tokio::time::timeout(Duration::from_millis(20), origins.turn("a.example", 443)).await;
        assert!(given_up.is_err());
        drop(turns);
        assert_eq!(origins.busy(), 0, "neither a finished nor an abandoned fetch leaves its origin behind");
    }

    #[tokio::test]
    async fn an_origin_queues_a_bounded_number_of_fetches() {
        let origins = Arc::new(Origins::new(2));
        let running = [origins.turn("slow.example", 443).await, origins.turn("slow.example", 443).await];
        let waiting: Vec<_> = (0..2 * QUEUE_FACTOR - 2)
            .map(|_| {
                let origins = origins.clone();
                tokio::spawn(async move { origins.turn("slow.example", 443).await.is_some() })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(origins.turn("slow.example", 443).await.is_none(), "the queue is full: refused at once");
        assert!(origins.turn("other.example", 443).await.is_some());
        drop(running);
        for waiter in waiting {
            assert!(waiter.await.unwrap(), "a queued fetch gets its turn");
        }
    }
}
