//! A typed handle to one background job: its id, progress and cancel flag, and the channels its
//! result (and, for a training, its epoch reports) come back on.
//!
//! The owner of a [`Task`] (a panel, the record state) polls it once per frame ([`poll_slot`] or
//! [`Task::poll`]); nothing routes results by id. Dropping a task cancels its job and drops its
//! result, so a panel replaces a stale job simply by holding a new task.

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use super::{Job, JobContext, JobHandle, JobId, JobShared, Waker};

/// How a job ended.
#[derive(Debug)]
pub enum Outcome<T> {
    Done(T),
    /// A human-readable reason, with context (the file, the stage).
    Failed(String),
    /// The job saw its cancel flag and stopped.
    Cancelled,
}

/// A job submitted to the [`Worker`](super::Worker), seen from the UI thread.
pub struct Task<T, U = ()> {
    handle: JobHandle,
    outcome: Receiver<Outcome<T>>,
    updates: Receiver<U>,
}

impl<T, U> Task<T, U> {
    pub fn id(&self) -> JobId {
        self.handle.job_id
    }

    /// Progress, stage message and cancel, as the status bar shows them.
    pub fn handle(&self) -> &JobHandle {
        &self.handle
    }

    /// Asks the job to stop at its next check; its outcome is then [`Outcome::Cancelled`].
    pub fn cancel(&self) {
        self.handle.cancel();
    }

    /// The updates the job sent since the last call, in order. Never blocks.
    pub fn take_updates(&mut self) -> Vec<U> {
        self.updates.try_iter().collect()
    }

    /// How the job ended, once it has (the task is then spent: drop it); `None` while it runs.
    /// Never blocks.
    pub fn poll(&mut self) -> Option<Outcome<T>> {
        let outcome = self.outcome.try_recv().ok()?;
        self.handle.shared.mark_collected();
        Some(outcome)
    }

    /// Blocks until the job ends or `timeout` passes: for tests and the command line, never the UI.
    pub fn wait(&mut self, timeout: Duration) -> Option<Outcome<T>> {
        let outcome = self.outcome.recv_timeout(timeout).ok()?;
        self.handle.shared.mark_collected();
        Some(outcome)
    }
}

impl<T, U> Drop for Task<T, U> {
    fn drop(&mut self) {
        self.handle.cancel();
        self.handle.shared.mark_collected();
    }
}

impl<T, U> std::fmt::Debug for Task<T, U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task")
            .field("job_id", &self.handle.job_id)
            .field("description", &self.handle.description)
            .finish_non_exhaustive()
    }
}

/// Polls the task in `slot` and empties the slot when the job has ended: the one-line way for an
/// owner holding `Option<Task<..>>` to take its result.
pub fn poll_slot<T, U>(slot: &mut Option<Task<T, U>>) -> Option<Outcome<T>> {
    let outcome = slot.as_mut()?.poll()?;
    *slot = None;
    Some(outcome)
}

/// The job's end of a task: where its updates and its outcome go.
pub(super) struct Sending<T, U> {
    pub(super) outcome: Sender<Outcome<T>>,
    pub(super) updates: Sender<U>,
}

/// A task and the job's end of its channels, unconnected to any thread yet.
pub(super) fn channel<T, U>(handle: JobHandle) -> (Task<T, U>, Sending<T, U>) {
    let (outcome_tx, outcome_rx) = crossbeam_channel::bounded(1);
    let (updates_tx, updates_rx) = crossbeam_channel::unbounded();
    (
        Task {
            handle,
            outcome: outcome_rx,
            updates: updates_rx,
        },
        Sending {
            outcome: outcome_tx,
            updates: updates_tx,
        },
    )
}

/// A job whose input arrives later, from another thread (a screenshot from the renderer): its task
/// exists, and shows in the status bar, from the start; [`Self::start`] runs it. Dropped without
/// being started, it fails the task with [`Self::never_started`]'s reason, so no task waits forever.
pub struct Deferred<J: Job> {
    shared: Arc<JobShared>,
    /// The job's end of the channels; taken when it starts (or fails the task when dropped).
    sending: Option<Sending<J::Output, J::Update>>,
    job_id: JobId,
    description: String,
    waker: Option<Waker>,
    never_started: String,
}

impl<J: Job> Deferred<J> {
    pub(super) fn new(
        handle: &JobHandle,
        sending: Sending<J::Output, J::Update>,
        waker: Option<Waker>,
    ) -> Self {
        Self {
            shared: Arc::clone(&handle.shared),
            sending: Some(sending),
            job_id: handle.job_id,
            description: handle.description.clone(),
            waker,
            never_started: format!("{}: never started", handle.description),
        }
    }

    /// The reason given when the job is dropped unstarted.
    pub fn never_started(mut self, reason: String) -> Self {
        self.never_started = reason;
        self
    }

    /// Runs `job` on its own thread, reporting to the task made with this handle.
    pub fn start(mut self, job: J) {
        if let Some(sending) = self.sending.take() {
            super::spawn(
                job,
                self.job_id,
                self.description.clone(),
                Arc::clone(&self.shared),
                sending,
                self.waker.clone(),
            );
        }
    }
}

impl<J: Job> Drop for Deferred<J> {
    fn drop(&mut self) {
        if let Some(sending) = self.sending.take() {
            sending
                .outcome
                .send(Outcome::Failed(std::mem::take(&mut self.never_started)))
                .ok();
            if let Some(waker) = &self.waker {
                waker();
            }
        }
    }
}

impl<U> JobContext<U> {
    /// Sends an update (an epoch report) to the task's owner, who takes it with
    /// [`Task::take_updates`]. A dropped task ignores it.
    pub fn send_update(&self, update: U) {
        if let Some(updates) = &self.updates {
            updates.send(update).ok();
        }
        self.wake();
    }
}
