//! Single flight: concurrent callers asking for the same key share one execution of the work and all receive (a
//! clone of) its result. No I/O of its own; the work is whatever future the first caller brings.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// In-flight work by key.
pub(crate) struct SingleFlight<T> {
    inflight: Mutex<HashMap<String, Arc<OnceCell<T>>>>,
}

impl<T> Default for SingleFlight<T> {
    fn default() -> Self {
        SingleFlight { inflight: Mutex::new(HashMap::new()) }
    }
}

impl<T> SingleFlight<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<OnceCell<T>>>> {
        // The map stays consistent even if a holder panicked: every operation on it is a single insert or remove.
        self.inflight.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<T: Clone> SingleFlight<T> {
    /// Runs `work` unless work for `key` is already running, in which case its result is awaited instead. If the
    /// running caller is cancelled, one of the waiters runs its own `work`.
    pub async fn run<F, Fut>(&self, key: &str, work: F) -> T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let cell = Arc::clone(self.lock().entry(key.to_owned()).or_default());
        let entry = Entry { flight: self, key, cell };
        entry.cell.get_or_init(work).await.clone()
    }

    /// Keys with work running now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no work is running.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

/// One caller's hold on the work for a key. Dropped when the caller finishes *or is cancelled* (a client that
/// disconnects, a batch aborted): the last holder removes the key, so abandoned work leaves nothing behind (a map
/// growing with every cancelled DID would be memory an attacker could take by disconnecting).
struct Entry<'a, T> {
    flight: &'a SingleFlight<T>,
    key: &'a str,
    cell: Arc<OnceCell<T>>,
}

impl<T> Drop for Entry<'_, T> {
    fn drop(&mut self) {
        let mut inflight = self.flight.lock();
        let Some(current) = inflight.get(self.key).filter(|current| Arc::ptr_eq(current, &self.cell)) else {
            return;
        };
        // Finished work is forgotten at once (later callers run it again); unfinished work only when no other
        // caller still waits on it (the map's reference and this one are the only two; new callers clone under
        // the same lock).
        if current.initialized() || Arc::strong_count(&self.cell) <= 2 {
            inflight.remove(self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_one_execution() {
        let flight = Arc::new(SingleFlight::<usize>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (flight, runs) = (Arc::clone(&flight), Arc::clone(&runs));
                tokio::spawn(async move {
                    flight
                        .run("did:web:a.example", || async {
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            runs.fetch_add(1, Ordering::SeqCst) + 100
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), 100);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(flight.is_empty(), "finished work is forgotten");
        assert_eq!(flight.run("did:web:a.example", || async { 7 }).await, 7, "later calls run again");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancelled_work_leaves_no_key_behind() {
        let flight = Arc::new(SingleFlight::<usize>::default());
        let never = || std::future::pending::<usize>();
        // One caller, cancelled.
        let alone = tokio::spawn({
            let flight = Arc::clone(&flight);
            async move { flight.run("did:web:gone.example", never).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(flight.len(), 1);
        alone.abort();
        let _ = alone.await;
        assert!(flight.is_empty(), "a cancelled lone caller's key is removed");
        // A leader cancelled while another caller waits: the waiter takes over, and its result is shared.
        let leader = tokio::spawn({
            let flight = Arc::clone(&flight);
            async move { flight.run("did:web:b.example", never).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let waiter = tokio::spawn({
            let flight = Arc::clone(&flight);
            async move { flight.run("did:web:b.example", || async { 5 }).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        leader.abort();
        let _ = leader.await;
        assert_eq!(waiter.await.unwrap(), 5);
        assert!(flight.is_empty(), "finished work is forgotten");
    }
}
