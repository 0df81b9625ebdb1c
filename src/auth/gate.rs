//! The verification gate: how many argon2 verifications run at once, and with what memory.
//!
//! An argon2id verification needs its hash's whole memory cost (19 MiB at the shipped cost)
//! for tens of milliseconds. Run one per request and a flood of logins holds hundreds of those
//! buffers at once; worse, glibc's allocator keeps freed buffers of that size in per-thread
//! arenas, so the memory is not given back afterwards. The gate bounds both: a semaphore with
//! one permit per core (by default) lets at most that many verifications run, each on the
//! blocking pool and each in a memory buffer the gate keeps and reuses, so resident memory for
//! verification is permits × the largest hash's cost, allocated once. Callers beyond the
//! permits wait in a short, bounded queue (32 callers, 1 s by default); past that they are
//! refused at once with [`GateError::Busy`], which the server answers with 503 and
//! `Retry-After`. Password logins and first-time token verifications share the gate.
//!
//! The gate neither knows whose secret it checks nor counts failures (rate limits are in
//! `limit`), and it knows nothing about HTTP.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::Block;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::users::StoredHash;

/// How the gate is sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateSettings {
    /// Verifications running at once; 0 means one per available core.
    pub concurrency: usize,
    /// Callers waiting for a turn at most; more are refused at once.
    pub queue: usize,
    /// How long a caller waits for a turn before it is refused.
    pub wait: Duration,
}

impl Default for GateSettings {
    fn default() -> Self {
        GateSettings {
            concurrency: 0,
            queue: 32,
            wait: Duration::from_secs(1),
        }
    }
}

impl GateSettings {
    /// The number of permits: `concurrency`, or the available cores when it is 0.
    pub fn permits(&self) -> usize {
        match self.concurrency {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

/// Why the gate did not run a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GateError {
    /// Every permit is taken and the queue is full, or the wait ran out.
    #[error("too many password and token checks at once; try again in {} s", retry_after.as_secs())]
    Busy {
        /// When trying again is likely to succeed.
        retry_after: Duration,
    },
    /// The verification task panicked.
    #[error("a password or token check stopped unexpectedly")]
    Failed,
}

/// What the gate has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GateStats {
    /// Permits: verifications that may run at once.
    pub permits: usize,
    /// argon2 verifications computed (decoys included).
    pub verifications: u64,
    /// Callers refused as busy.
    pub refused: u64,
    /// The most verifications seen running at once.
    pub peak_running: usize,
}

/// At most N argon2 verifications at once, each in memory the gate keeps.
#[derive(Debug)]
pub struct Gate {
    permits: Arc<Semaphore>,
    size: usize,
    queue: usize,
    wait: Duration,
    waiting: AtomicUsize,
    running: AtomicUsize,
    peak_running: AtomicUsize,
    verifications: AtomicU64,
    refused: AtomicU64,
    /// One buffer per permit once warm. A Vec rather than a buffer per thread: the blocking
    /// pool's threads come and go, the permits stay.
    memory: Mutex<Vec<Vec<Block>>>,
}

/// Decrements a counter when dropped, so a cancelled or panicking caller is still counted out.
struct CountedIn<'a>(&'a AtomicUsize);

impl Drop for CountedIn<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Gate {
    /// A gate sized by `settings`.
    pub fn new(settings: &GateSettings) -> Gate {
        let size = settings.permits().max(1);
        Gate {
            permits: Arc::new(Semaphore::new(size)),
            size,
            queue: settings.queue,
            wait: settings.wait,
            waiting: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            peak_running: AtomicUsize::new(0),
            verifications: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            memory: Mutex::new(Vec::new()),
        }
    }

    /// What the gate has done so far.
    pub fn stats(&self) -> GateStats {
        GateStats {
            permits: self.size,
            verifications: self.verifications.load(Ordering::SeqCst),
            refused: self.refused.load(Ordering::SeqCst),
            peak_running: self.peak_running.load(Ordering::SeqCst),
        }
    }

    fn busy(&self) -> GateError {
        self.refused.fetch_add(1, Ordering::SeqCst);
        // One queue's worth of waiting, rounded up to whole seconds: the queue drains in about
        // that time, and a client told 0 would come straight back.
        GateError::Busy {
            retry_after: Duration::from_secs(self.wait.as_secs().max(1)),
        }
    }

    async fn acquire(&self) -> Result<OwnedSemaphorePermit, GateError> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(self.busy());
        }
        let _waiting = CountedIn(&self.waiting);
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // A timeout, or the semaphore closed (it never is).
            _ => Err(self.busy()),
        }
    }

    /// Run `check` on the blocking pool once a permit is free, holding it throughout; `check`
    /// verifies with the [`Verifier`] it is given. Busy when no permit comes in time.
    pub async fn run<T, F>(self: &Arc<Self>, check: F) -> Result<T, GateError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Verifier) -> T + Send + 'static,
    {
        let permit = self.acquire().await?;
        let gate = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let running = gate.running.fetch_add(1, Ordering::SeqCst) + 1;
            let _running = CountedIn(&gate.running);
            gate.peak_running.fetch_max(running, Ordering::SeqCst);
            let memory = gate.lock_memory().pop().unwrap_or_default();
            let mut verifier = Verifier { memory, runs: 0 };
            let out = check(&mut verifier);
            gate.verifications
                .fetch_add(verifier.runs, Ordering::SeqCst);
            gate.lock_memory().push(verifier.memory);
            out
        })
        .await
        .map_err(|_| GateError::Failed)
    }

    fn lock_memory(&self) -> std::sync::MutexGuard<'_, Vec<Vec<Block>>> {
        // A panic while holding the lock leaves a list of buffers, still usable.
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Verifies secrets in the memory of one permit; given to the closure of [`Gate::run`].
pub struct Verifier {
    memory: Vec<Block>,
    runs: u64,
}

impl Verifier {
    /// Whether `secret` matches `hash`.
    pub fn verify(&mut self, secret: &[u8], hash: &StoredHash) -> bool {
        self.runs += 1;
        hash.verify_in(secret, &mut self.memory)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::users::{HashParams, StoredHash, hash_secret};

    fn gate(concurrency: usize, queue: usize) -> Arc<Gate> {
        Arc::new(Gate::new(&GateSettings {
            concurrency,
            queue,
            wait: Duration::from_millis(50),
        }))
    }

    /// Occupy the one permit of `gate` until the returned sender is dropped; the handle ends
    /// when the permit is back.
    async fn occupy(
        gate: &Arc<Gate>,
    ) -> (
        std::sync::mpsc::Sender<()>,
        tokio::task::JoinHandle<Result<(), GateError>>,
    ) {
        let (hold, held) = std::sync::mpsc::channel::<()>();
        let (started, mut running) = tokio::sync::mpsc::channel(1);
        let gate2 = gate.clone();
        let handle = tokio::spawn(async move {
            gate2
                .run(move |_| {
                    let _ = started.blocking_send(());
                    let _ = held.recv();
                })
                .await
        });
        running.recv().await.unwrap();
        (hold, handle)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn callers_beyond_the_permits_and_the_queue_are_refused_as_busy() {
        let gate = gate(1, 0);
        let (hold, occupier) = occupy(&gate).await;
        let refused = gate.run(|_| ()).await;
        assert!(
            matches!(refused, Err(GateError::Busy { retry_after }) if retry_after.as_secs() >= 1),
            "{refused:?}"
        );
        drop(hold);
        occupier.await.unwrap().unwrap();
        // The permit is back: the next caller runs.
        assert_eq!(gate.run(|_| 7).await, Ok(7));
        let stats = gate.stats();
        assert_eq!((stats.permits, stats.peak_running), (1, 1));
        assert!(stats.refused >= 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_queued_caller_gives_up_when_its_wait_runs_out() {
        let gate = gate(1, 1);
        let (hold, occupier) = occupy(&gate).await;
        assert!(matches!(
            gate.run(|_| ()).await,
            Err(GateError::Busy { .. })
        ));
        drop(hold);
        occupier.await.unwrap().unwrap();
        assert_eq!(gate.stats().refused, 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn verifications_reuse_one_buffer_per_permit_and_are_counted() {
        let params = HashParams {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        };
        let hash = StoredHash::parse(&hash_secret("rahasia", &params).unwrap()).unwrap();
        let gate = gate(2, 8);
        let mut checks = Vec::new();
        for i in 0..8 {
            let (gate, hash) = (gate.clone(), hash.clone());
            let secret = if i % 2 == 0 { "rahasia" } else { "salah" };
            let check =
                tokio::spawn(
                    async move { gate.run(move |v| v.verify(secret.as_bytes(), &hash)).await },
                );
            checks.push((i % 2 == 0, check));
        }
        let mut ran = 0;
        for (right, check) in checks {
            // Queued callers may be refused when the machine is slow; the rest must be right.
            if let Ok(ok) = check.await.unwrap() {
                assert_eq!(ok, right);
                ran += 1;
            }
        }
        let stats = gate.stats();
        assert_eq!(stats.verifications, ran);
        assert!(stats.peak_running <= 2, "{stats:?}");
        let buffers = gate.lock_memory();
        assert!(
            (1..=2).contains(&buffers.len()),
            "{} buffers",
            buffers.len()
        );
        assert!(buffers.iter().all(|b| b.len() == 256));
    }
}
