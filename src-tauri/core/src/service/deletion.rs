//! "Delete everything": every conversation this install kept is ended and hard-deleted on
//! Tavus before anything local goes, at a pace of its own, with progress, and resumable.
//!
//! The to-do list (`deletion.sealed`, sealed like the journal) is written before the first
//! call and shrinks only when Tavus has confirmed a conversation gone (`204`, or not-found
//! including its `400 Invalid conversation_id`). Until it is empty the keys and the journal
//! stay, so a refused or interrupted run can always be retried or resumed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::{now, JournalEntry, Service};
use crate::error::{Error, ErrorCode, Result};
use crate::gateway::tavus::{Ended, Tavus};
use crate::privacy::local;
use crate::privacy::local_keys::{AUDIT_HEAD_ACCOUNT, AUDIT_KEY_ACCOUNT, DATA_KEY_ACCOUNT};
use crate::privacy::DELETION_FILE;
use crate::provider::Provider;
use crate::settings::Settings;
use crate::vault::SecretStore;

/// Tavus publishes no request-rate limit (`shared/contracts/tavus.md`: "undocumented; treat
/// any 429 generically; honour Retry-After"). Deletion therefore keeps a steady pace well
/// under what an interactive client sends (one call every two seconds, 30 a minute) and
/// slows down whenever Tavus says so, instead of sharing the ordinary 10-a-minute limit,
/// which would refuse it after a handful of conversations.
pub const CALL_INTERVAL: Duration = Duration::from_secs(2);
/// Waited after a 429 that names no `Retry-After`.
pub const RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// A longer `Retry-After` is cut to this: the person is watching a progress bar.
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(300);
/// 429s in a row on one call before the run stops and reports what remains.
pub const RATE_LIMIT_ATTEMPTS: u32 = 5;
/// Ids named one by one in a report; the rest are counted.
const NAMED_IN_REPORT: usize = 10;

/// How deletion waits: tokio's clock in the app, a virtual one in tests.
pub trait Pacer: Send + Sync {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

pub struct TokioPacer;

impl Pacer for TokioPacer {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

pub(super) struct DeletionSlot {
    pacer: Arc<dyn Pacer>,
    running: AtomicBool,
}

impl Default for DeletionSlot {
    fn default() -> Self {
        Self {
            pacer: Arc::new(TokioPacer),
            running: AtomicBool::new(false),
        }
    }
}

/// Clears the running flag however the run ends (returned, failed or dropped).
struct Running<'a>(&'a AtomicBool);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeletionOptions {
    /// Delete the local data even though some conversations could not be deleted on
    /// Tavus. Serene can never delete those afterwards; the report names them.
    #[serde(default)]
    pub leave_remote: bool,
}

impl DeletionOptions {
    pub fn from_json(value: serde_json::Value) -> Result<Self> {
        if value.is_null() {
            return Ok(Self::default());
        }
        serde_json::from_value(value).map_err(|_| {
            Error::invalid_input("Those deletion options are not in the expected shape.")
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum DeletionStep {
    /// Ending and deleting conversations on Tavus.
    Conversations,
    /// Tavus asked Serene to slow down; `waitingSeconds` says for how long.
    Waiting,
    Keys,
    Files,
    Finished,
    /// Some conversations remain on Tavus; nothing local was deleted.
    Stopped,
}

/// Sent as the run goes, for the shell to forward to the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct DeletionProgress {
    pub step: DeletionStep,
    /// Conversations confirmed gone on Tavus in this run (and earlier interrupted ones).
    pub conversations_deleted: usize,
    pub conversations_total: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct DeletionReport {
    pub done: Vec<String>,
    pub not_done: Vec<String>,
    /// Keys and local files were deleted: Serene starts fresh.
    pub finished: bool,
    /// Conversations still on Tavus. With `finished` false, retrying resumes them.
    pub remaining_conversations: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Plan {
    started_at: u64,
    /// Conversations confirmed gone so far (for progress across a restart).
    deleted: usize,
    items: Vec<PlanItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlanItem {
    conversation_id: String,
    ended: bool,
}

impl<S: SecretStore> Service<S> {
    /// Replaces how deletion waits between calls (tests use a virtual clock).
    #[doc(hidden)]
    pub fn set_deletion_pacer(&mut self, pacer: Arc<dyn Pacer>) {
        self.deletion.pacer = pacer;
    }

    /// Conversations an interrupted "Delete everything" has still to delete, if one was
    /// interrupted.
    pub fn deletion_pending(&self) -> Option<usize> {
        let sealer = self.sealer().ok()?;
        let plan: Plan = sealer.read_json(&self.deletion_path(), "deletion").ok()??;
        Some(plan.items.len())
    }

    pub async fn delete_everything(&self) -> Result<DeletionReport> {
        self.delete_everything_with(DeletionOptions::default(), |_| {})
            .await
    }

    /// Ends and hard-deletes this install's conversations on Tavus, then (only once none
    /// is left, or `leave_remote` says so) removes every keychain entry and local file.
    pub async fn delete_everything_with<F>(
        &self,
        options: DeletionOptions,
        progress: F,
    ) -> Result<DeletionReport>
    where
        F: Fn(DeletionProgress) + Send + Sync,
    {
        if self.deletion.running.swap(true, Ordering::SeqCst) {
            return Err(Error::not_allowed(
                "Serene is already deleting everything. Wait for it to finish.",
            ));
        }
        let _running = Running(&self.deletion.running);
        let mut done = Vec::new();
        let mut not_done = Vec::new();

        // Locked (a forgotten passphrase): the journal cannot be read, so only what is on
        // this computer can go, and only if the person said so.
        let locked = self.is_locked();
        if locked && !options.leave_remote {
            return Err(Error::new(
                crate::error::ErrorCode::Locked,
                "Serene is locked, so it can't read which conversations it started on Tavus. You can delete everything on this computer instead, and delete those conversations in your Tavus account.",
            ));
        }
        let mut plan = if locked {
            not_done.push("Serene was locked, so it could not read which conversations it started on Tavus. You can delete them in your Tavus account.".into());
            Plan {
                started_at: now(),
                ..Plan::default()
            }
        } else {
            self.deletion_plan()?
        };
        let total = plan.deleted + plan.items.len();
        if !plan.items.is_empty() {
            let failures = self.delete_remote(&mut plan, total, &progress).await;
            if plan.deleted > 0 {
                done.push(format!(
                    "Ended and deleted {} conversation(s) on Tavus.",
                    plan.deleted
                ));
            }
            if !plan.items.is_empty() {
                not_done.extend(describe_remaining(&plan, &failures));
                if !options.leave_remote {
                    not_done.push(
                        "Your keys and local data were kept so Serene can finish this. Try again later; it carries on where it stopped."
                            .into(),
                    );
                    progress(DeletionProgress {
                        step: DeletionStep::Stopped,
                        conversations_deleted: plan.deleted,
                        conversations_total: total,
                        waiting_seconds: None,
                    });
                    return Ok(DeletionReport {
                        done,
                        not_done,
                        finished: false,
                        remaining_conversations: plan.items.len(),
                    });
                }
                not_done.push(format!(
                    "You chose to delete your local data anyway: {} conversation(s) stay on Tavus, and Serene can no longer delete them. You can delete them in your Tavus account.",
                    plan.items.len()
                ));
            }
        }
        let remaining = plan.items.len();
        let step = |step| {
            progress(DeletionProgress {
                step,
                conversations_deleted: plan.deleted,
                conversations_total: total,
                waiting_seconds: None,
            })
        };

        step(DeletionStep::Keys);
        self.delete_keys(&mut done, &mut not_done);
        step(DeletionStep::Files);
        crate::logging::stop_for_deletion();
        let failed = local::delete_all(&self.dirs);
        if failed.is_empty() {
            done.push("Deleted every local file: settings, consent, journal, audit log, logs and window storage.".into());
        } else {
            not_done.push(format!(
                "{} folder(s) could not be fully deleted; close other programs using them and try again.",
                failed.len()
            ));
        }
        {
            let mut state = self.state();
            state.settings = Settings::default();
            state.sealer = None;
            state.notice = None;
            state.locked = false;
            state.lock_enabled = false;
        }
        *self.active.lock().unwrap_or_else(|p| p.into_inner()) = None;
        step(DeletionStep::Finished);
        Ok(DeletionReport {
            done,
            not_done,
            finished: true,
            remaining_conversations: remaining,
        })
    }

    fn deletion_path(&self) -> std::path::PathBuf {
        self.dirs.data.join(DELETION_FILE)
    }

    /// The to-do list: an interrupted run's, joined with everything the journal holds,
    /// written before any call is made.
    fn deletion_plan(&self) -> Result<Plan> {
        let sealer = self.sealer().map_err(|error| {
            Error::new(
                error.code,
                format!("{} Nothing was deleted, so nothing is lost.", error.message),
            )
        })?;
        let mut plan: Plan = match sealer.read_json(&self.deletion_path(), "deletion") {
            Ok(plan) => plan.unwrap_or_else(|| Plan {
                started_at: now(),
                ..Plan::default()
            }),
            Err(failure) => {
                tracing::warn!(
                    ?failure,
                    "deletion to-do list unreadable; rebuilt from the journal"
                );
                Plan {
                    started_at: now(),
                    ..Plan::default()
                }
            }
        };
        for entry in self.journal() {
            let ended = entry.ended_at.is_some();
            match plan
                .items
                .iter_mut()
                .find(|i| i.conversation_id == entry.conversation_id)
            {
                Some(item) => item.ended |= ended,
                None => plan.items.push(PlanItem {
                    conversation_id: entry.conversation_id,
                    ended,
                }),
            }
        }
        self.save_plan(&plan)?;
        Ok(plan)
    }

    fn save_plan(&self, plan: &Plan) -> Result<()> {
        self.sealer()?
            .write_json(&self.deletion_path(), "deletion", plan)
    }

    /// Works through the plan; returns why each conversation still in it is there.
    async fn delete_remote<F>(
        &self,
        plan: &mut Plan,
        total: usize,
        progress: &F,
    ) -> Vec<(String, String)>
    where
        F: Fn(DeletionProgress) + Send + Sync,
    {
        let key = match self.vault.key(Provider::Tavus) {
            Ok(key) => key,
            Err(error) => {
                let why = match error.code {
                    ErrorCode::KeyMissing => {
                        "no Tavus key is saved. Add your Tavus key, then try again".to_string()
                    }
                    _ => error.message,
                };
                return plan
                    .items
                    .iter()
                    .map(|i| (i.conversation_id.clone(), why.clone()))
                    .collect();
            }
        };
        let tavus = Tavus::new(&self.gateway, &key).paced_by_caller();
        let mut pace = Pace {
            pacer: self.deletion.pacer.clone(),
            first: true,
        };
        let mut failures = Vec::new();
        let report = |plan: &Plan, step, waiting_seconds| {
            progress(DeletionProgress {
                step,
                conversations_deleted: plan.deleted,
                conversations_total: total,
                waiting_seconds,
            })
        };
        report(plan, DeletionStep::Conversations, None);
        let ids: Vec<String> = plan
            .items
            .iter()
            .map(|i| i.conversation_id.clone())
            .collect();
        for id in ids {
            let ended = plan
                .items
                .iter()
                .any(|i| i.conversation_id == id && i.ended);
            let mut gone = false;
            if !ended {
                let outcome = pace
                    .call(
                        || tavus.end_conversation(&id),
                        |s| report(plan, DeletionStep::Waiting, Some(s)),
                    )
                    .await;
                match outcome {
                    Ok(Ended::Ended) => {
                        if let Some(item) = plan.items.iter_mut().find(|i| i.conversation_id == id)
                        {
                            item.ended = true;
                        }
                        let _ = self.save_plan(plan);
                        let _ = self.journal_mark_ended(&id);
                    }
                    Ok(Ended::Gone) => gone = true,
                    Err(error) => {
                        failures.push((id, error.message));
                        continue;
                    }
                }
            }
            if !gone {
                let outcome = pace
                    .call(
                        || tavus.delete_conversation(&id),
                        |s| report(plan, DeletionStep::Waiting, Some(s)),
                    )
                    .await;
                if let Err(error) = outcome {
                    failures.push((id, error.message));
                    continue;
                }
            }
            // Confirmed gone: only now may the id be forgotten.
            plan.items.retain(|i| i.conversation_id != id);
            plan.deleted += 1;
            if let Err(error) = self.save_plan(plan) {
                tracing::warn!(code = ?error.code, "deletion to-do list not updated");
            }
            self.journal_forget(&id);
            let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
            if active.as_ref().is_some_and(|a| a.conversation_id == id) {
                *active = None;
            }
            drop(active);
            report(plan, DeletionStep::Conversations, None);
        }
        failures
    }

    fn delete_keys(&self, done: &mut Vec<String>, not_done: &mut Vec<String>) {
        let entries = [
            (Provider::Tavus.key_account(), "Tavus API key"),
            (Provider::ElevenLabs.key_account(), "ElevenLabs API key"),
            (DATA_KEY_ACCOUNT, "Local data key"),
            (AUDIT_KEY_ACCOUNT, "Audit log key"),
            (AUDIT_HEAD_ACCOUNT, "Audit log checkpoint"),
            (
                crate::privacy::versions::VERSIONS_ACCOUNT,
                "Versions of the sealed files",
            ),
            (
                crate::privacy::app_lock::WRAPPED_KEY_ACCOUNT,
                "Locked data key",
            ),
            (crate::privacy::app_lock::ATTEMPTS_ACCOUNT, "Lock attempts"),
        ];
        self.vault.forget_all();
        let mut removed = Vec::new();
        for (account, what) in entries {
            match self.store.delete(account) {
                Ok(()) => removed.push(what),
                Err(fault) => not_done.push(format!(
                    "{what} could not be removed from your keychain: {}",
                    Error::from(fault).message
                )),
            }
        }
        if !removed.is_empty() {
            done.push(format!(
                "Removed from your keychain: {}.",
                removed.join(", ")
            ));
        }
    }

    /// Drops a conversation from the journal: only once Tavus holds nothing under its id.
    pub(super) fn journal_forget(&self, conversation_id: &str) {
        let mut entries: Vec<JournalEntry> = self.journal();
        let before = entries.len();
        entries.retain(|e| e.conversation_id != conversation_id);
        if entries.len() != before {
            if let Err(error) = self.write_journal(&entries) {
                tracing::warn!(code = ?error.code, "journal not updated");
            }
        }
    }
}

/// One call every `CALL_INTERVAL`, and Tavus's 429s waited out.
struct Pace {
    pacer: Arc<dyn Pacer>,
    first: bool,
}

impl Pace {
    async fn call<T, Fut>(
        &mut self,
        mut make: impl FnMut() -> Fut,
        waiting: impl Fn(u64),
    ) -> Result<T>
    where
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut attempts = 0;
        loop {
            if !std::mem::take(&mut self.first) {
                self.pacer.sleep(CALL_INTERVAL).await;
            }
            match make().await {
                Err(error) if error.code == ErrorCode::RateLimited => {
                    attempts += 1;
                    if attempts >= RATE_LIMIT_ATTEMPTS {
                        return Err(error);
                    }
                    let wait = error
                        .retry_after_seconds
                        .map(Duration::from_secs)
                        .unwrap_or(RATE_LIMIT_WAIT)
                        .min(MAX_RATE_LIMIT_WAIT);
                    waiting(wait.as_secs());
                    self.pacer.sleep(wait).await;
                }
                other => return other,
            }
        }
    }
}

fn describe_remaining(plan: &Plan, failures: &[(String, String)]) -> Vec<String> {
    let mut lines: Vec<String> = plan
        .items
        .iter()
        .take(NAMED_IN_REPORT)
        .map(|item| {
            let why = failures
                .iter()
                .find(|(id, _)| *id == item.conversation_id)
                .map_or("it was not reached", |(_, why)| why.as_str());
            format!(
                "Conversation {} is still on Tavus: {}",
                item.conversation_id,
                why.trim_end_matches('.')
            )
        })
        .collect();
    if plan.items.len() > NAMED_IN_REPORT {
        lines.push(format!(
            "…and {} more conversation(s) still on Tavus.",
            plan.items.len() - NAMED_IN_REPORT
        ));
    }
    lines
}
