//! Background jobs: the workbench's heavy work (reading records, indexing folders, cleaning,
//! reconstruction, evaluation, training and exports) runs here, never on the UI thread.
//!
//! A job is a value that implements [`Job`]: it says what it produces ([`Job::Output`]) and what it
//! reports while it runs ([`Job::Update`]: a training's epoch reports). [`Worker::submit`] runs it
//! on its own thread and returns a typed [`Task`] for its owner to poll; every result comes back that
//! way, over the task's own crossbeam channels. A job reports progress (0..=1) and a stage message
//! through its [`JobContext`] and polls its cancel flag there; an optional waker (the UI's "request
//! repaint") is called whenever something is sent. The worker keeps the running jobs' handles for
//! the status bar and Esc.
//!
//! Not for: anything that draws. This module knows nothing of egui.

pub mod batch;
pub mod evaluate;
pub mod reconstruct;
pub mod records;
mod task;
pub mod teach;
pub mod train;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::Sender;

use crate::progress::Progress;

pub use records::{
    Clean, Cleaned, ExportCsv, IndexFiles, IndexFolder, Indexed, LoadRecord, RecordRead, Written,
};
pub use task::{Deferred, Outcome, Task, poll_slot};

/// Identifies one submitted job.
pub type JobId = u64;

/// What the worker calls when something is sent (the UI's repaint request).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// A unit of background work.
pub trait Job: Send + 'static {
    /// What the job produces when it finishes.
    type Output: Send + 'static;
    /// What it reports while it runs (`()` for most jobs).
    type Update: Send + 'static;

    /// A short human description, for the status bar.
    fn describe(&self) -> String;

    /// Does the work. `Ok(None)` means it stopped because its cancel flag was set; errors are
    /// human-readable, with context.
    fn run(self, context: &JobContext<Self::Update>) -> Result<Option<Self::Output>, String>;
}

/// Shared between the UI and one job.
#[derive(Debug, Default)]
pub struct JobShared {
    /// Progress in [0, 1], stored as `f32` bits.
    progress_bits: AtomicU32,
    cancel_requested: AtomicBool,
    /// Set once the job's owner has taken its outcome or dropped its task: the job is no longer
    /// shown as running.
    collected: AtomicBool,
    /// What the job is doing now (empty until it says).
    message: Mutex<String>,
}

impl JobShared {
    fn mark_collected(&self) {
        self.collected.store(true, Ordering::Relaxed);
    }

    fn is_collected(&self) -> bool {
        self.collected.load(Ordering::Relaxed)
    }
}

/// The UI's view of one job: progress, stage message, cancel.
#[derive(Clone, Debug)]
pub struct JobHandle {
    pub job_id: JobId,
    pub description: String,
    shared: Arc<JobShared>,
}

impl JobHandle {
    pub fn progress(&self) -> f32 {
        f32::from_bits(self.shared.progress_bits.load(Ordering::Relaxed))
    }

    /// The job's latest stage message (empty when it reports none).
    pub fn message(&self) -> String {
        self.shared
            .message
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn cancel(&self) {
        self.shared.cancel_requested.store(true, Ordering::Relaxed);
    }

    pub fn cancel_requested(&self) -> bool {
        self.shared.cancel_requested.load(Ordering::Relaxed)
    }
}

/// What a job's code sees: report progress and updates, check for cancel.
pub struct JobContext<U = ()> {
    shared: Arc<JobShared>,
    waker: Option<Waker>,
    /// Where [`Self::send_update`] sends; `None` for a context made outside a task (tests).
    updates: Option<Sender<U>>,
}

impl<U> JobContext<U> {
    pub fn set_progress(&self, fraction: f32) {
        let fraction = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.shared
            .progress_bits
            .store(fraction.to_bits(), Ordering::Relaxed);
        self.wake();
    }

    /// Says what the job is doing now (shown beside its progress).
    pub fn set_message(&self, message: &str) {
        {
            let mut current = self
                .shared
                .message
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            current.clear();
            current.push_str(message);
        }
        self.wake();
    }

    pub fn cancel_requested(&self) -> bool {
        self.shared.cancel_requested.load(Ordering::Relaxed)
    }

    fn wake(&self) {
        if let Some(waker) = &self.waker {
            waker();
        }
    }
}

/// A job's context is the [`Progress`] of the library work it runs: messages and fractions go to the
/// job's shared state, and its cancel flag stops the work.
impl<U> Progress for &JobContext<U> {
    fn message(&mut self, text: &str) {
        self.set_message(text);
    }

    fn fraction(&mut self, done: f32) {
        self.set_progress(done);
    }

    fn cancelled(&self) -> bool {
        self.cancel_requested()
    }
}

/// Starts jobs on background threads and keeps the handles of those not yet collected.
#[derive(Default)]
pub struct Worker {
    next_job_id: JobId,
    running: Vec<JobHandle>,
    waker: Option<Waker>,
}

impl Worker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Called after each result, update and progress change (the UI passes its repaint request).
    pub fn set_waker(&mut self, waker: impl Fn() + Send + Sync + 'static) {
        self.waker = Some(Arc::new(waker));
    }

    /// Jobs whose outcome has not been taken yet (running, or ended and waiting for their owner).
    pub fn running(&self) -> impl Iterator<Item = &JobHandle> {
        self.running
            .iter()
            .filter(|handle| !handle.shared.is_collected())
    }

    pub fn is_busy(&self) -> bool {
        self.running().next().is_some()
    }

    /// Starts `job` on its own thread; its owner polls the returned task.
    pub fn submit<J: Job>(&mut self, job: J) -> Task<J::Output, J::Update> {
        let handle = self.new_handle(job.describe());
        let (task, sending) = task::channel(handle.clone());
        spawn(
            job,
            handle.job_id,
            handle.description,
            handle.shared,
            sending,
            self.waker.clone(),
        );
        task
    }

    /// A task for a job of type `J` whose input is not there yet: the job starts when the returned
    /// [`Deferred`] is given it, from any thread (see [`Deferred`]).
    pub fn defer<J: Job>(
        &mut self,
        description: String,
    ) -> (Task<J::Output, J::Update>, Deferred<J>) {
        let handle = self.new_handle(description);
        let (task, sending) = task::channel(handle.clone());
        let deferred = Deferred::new(&handle, sending, self.waker.clone());
        (task, deferred)
    }

    /// Cancels every running job (each stops at its next check).
    pub fn cancel_all(&self) {
        for handle in self.running() {
            handle.cancel();
        }
    }

    fn new_handle(&mut self, description: String) -> JobHandle {
        self.running.retain(|handle| !handle.shared.is_collected());
        self.next_job_id += 1;
        let handle = JobHandle {
            job_id: self.next_job_id,
            description,
            shared: Arc::new(JobShared::default()),
        };
        self.running.push(handle.clone());
        handle
    }
}

/// Runs `job` on a thread named after its id and sends its outcome; a panic in the job is a bug that
/// must still not take the UI down or leave the task waiting forever.
fn spawn<J: Job>(
    job: J,
    job_id: JobId,
    description: String,
    shared: Arc<JobShared>,
    sending: task::Sending<J::Output, J::Update>,
    waker: Option<Waker>,
) {
    let outcome_sender = sending.outcome.clone();
    let failed_waker = waker.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("job-{job_id}"))
        .spawn(move || {
            let context = JobContext {
                shared,
                waker: waker.clone(),
                updates: Some(sending.updates),
            };
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(&context)));
            let outcome = match result {
                Ok(Ok(Some(output))) => Outcome::Done(output),
                Ok(Ok(None)) => Outcome::Cancelled,
                Ok(Err(message)) => Outcome::Failed(message),
                Err(_) => Outcome::Failed(format!("{description}: internal error (job panicked)")),
            };
            sending.outcome.send(outcome).ok();
            if let Some(waker) = &waker {
                waker();
            }
        });
    if let Err(err) = spawned {
        outcome_sender
            .send(Outcome::Failed(format!(
                "could not start a worker thread: {err}"
            )))
            .ok();
        if let Some(waker) = &failed_waker {
            waker();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A job made of a closure, for these tests.
    struct Closure<F>(F);

    impl<T: Send + 'static, F> Job for Closure<F>
    where
        F: FnOnce(&JobContext<usize>) -> Result<Option<T>, String> + Send + 'static,
    {
        type Output = T;
        type Update = usize;

        fn describe(&self) -> String {
            "test job".to_owned()
        }

        fn run(self, context: &JobContext<usize>) -> Result<Option<T>, String> {
            (self.0)(context)
        }
    }

    const WAIT: Duration = Duration::from_secs(10);

    #[test]
    fn tasks_return_typed_results_updates_progress_and_cancel() {
        let mut worker = Worker::new();
        let mut ok = worker.submit(Closure(|context: &JobContext<usize>| {
            context.set_progress(0.5);
            context.send_update(1);
            context.send_update(2);
            Ok(Some("done".to_owned()))
        }));
        let mut spin = worker.submit(Closure(|context: &JobContext<usize>| {
            while !context.cancel_requested() {
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(None::<()>)
        }));
        let mut boom = worker.submit(Closure(
            |_: &JobContext<usize>| -> Result<Option<u8>, String> { panic!("bug") },
        ));
        assert_eq!(worker.running().count(), 3);
        spin.cancel();
        assert!(matches!(ok.wait(WAIT), Some(Outcome::Done(text)) if text == "done"));
        assert_eq!(ok.take_updates(), [1, 2], "updates arrive in order");
        assert_eq!(ok.handle().progress(), 0.5);
        assert!(matches!(spin.wait(WAIT), Some(Outcome::Cancelled)));
        assert!(
            matches!(boom.wait(WAIT), Some(Outcome::Failed(reason)) if reason.contains("panicked"))
        );
        assert!(!worker.is_busy(), "every outcome was taken");
    }

    #[test]
    fn a_job_is_busy_until_its_owner_takes_the_outcome_and_a_dropped_task_cancels() {
        let mut worker = Worker::new();
        let mut slot = Some(worker.submit(Closure(|_: &JobContext<usize>| Ok(Some(7_u32)))));
        // Ended on its thread, but not yet taken: still shown as running.
        std::thread::sleep(Duration::from_millis(50));
        assert!(worker.is_busy());
        let deadline = std::time::Instant::now() + WAIT;
        let mut outcome = None;
        while outcome.is_none() && std::time::Instant::now() < deadline {
            outcome = poll_slot(&mut slot);
        }
        assert!(matches!(outcome, Some(Outcome::Done(7))));
        assert!(slot.is_none(), "the slot is emptied");
        assert!(!worker.is_busy());

        let (seen_tx, seen_rx) = crossbeam_channel::bounded(1);
        let spin = worker.submit(Closure(move |context: &JobContext<usize>| {
            while !context.cancel_requested() {
                std::thread::sleep(Duration::from_millis(1));
            }
            seen_tx.send(()).ok();
            Ok(None::<()>)
        }));
        drop(spin);
        assert!(
            seen_rx.recv_timeout(WAIT).is_ok(),
            "dropping the task cancelled the job"
        );
        assert!(!worker.is_busy());
    }

    #[test]
    fn a_deferred_job_runs_when_started_and_fails_its_task_when_dropped() {
        let mut worker = Worker::new();
        let (mut task, deferred) = worker.defer::<Closure<
            fn(&JobContext<usize>) -> Result<Option<u8>, String>,
        >>("later".to_owned());
        assert!(worker.is_busy(), "shown from the start");
        assert!(task.poll().is_none());
        std::thread::spawn(move || deferred.start(Closure(|_| Ok(Some(3)))));
        assert!(matches!(task.wait(WAIT), Some(Outcome::Done(3))));

        let (mut task, deferred) = worker.defer::<Closure<
            fn(&JobContext<usize>) -> Result<Option<u8>, String>,
        >>("never".to_owned());
        drop(deferred.never_started("no screenshot came".to_owned()));
        assert!(
            matches!(task.wait(WAIT), Some(Outcome::Failed(reason)) if reason == "no screenshot came")
        );
        assert!(!worker.is_busy());
    }

    #[test]
    fn a_missing_record_is_an_error_not_a_panic() {
        let mut worker = Worker::new();
        let mut task = worker.submit(LoadRecord {
            path: std::path::PathBuf::from("/nonexistent/record"),
        });
        assert!(
            matches!(task.wait(WAIT), Some(Outcome::Failed(reason)) if reason.contains("/nonexistent/record"))
        );
    }
}
