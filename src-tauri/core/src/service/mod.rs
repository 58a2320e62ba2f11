//! The core as the shell sees it: keys and their live checks, the provider catalogues,
//! settings, consent, the audit log, export and delete-everything. Each call is validated
//! and mediated here; Tauri commands only parse and forward.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{json, Value};

use crate::confirm::{Change, Confirmer, RefuseAll};
use crate::error::{Error, ErrorCode, Result};
use crate::gateway::elevenlabs::ElevenLabs;
use crate::gateway::tavus::Tavus;
use crate::gateway::Gateway;
use crate::policy::budget::{DailyUsage, Spend};
use crate::privacy::audit::{AuditCheck, AuditEvent, AuditLog, AuditRecord, Head};
use crate::privacy::consent::{ConsentRecord, CONSENT_VERSION};
use crate::privacy::local::{self, LocalDirs, StoredFile};
use crate::privacy::local_keys::{self, AUDIT_HEAD_ACCOUNT, AUDIT_KEY_ACCOUNT, DATA_KEY_ACCOUNT};
use crate::privacy::sealed::Sealer;
use crate::privacy::{CONSENT_FILE, JOURNAL_FILE, USAGE_FILE};
use crate::provider::Provider;
use crate::sensitive::Sensitive;
use crate::settings::{Settings, SettingsFile, SettingsPatch, Verification};
use crate::vault::{Keychain, SecretStore, Vault};

mod catalogue;
mod deletion;
mod lock;
mod room_browser;
mod updates;
mod video;
mod voice;
mod voice_session;
pub use catalogue::Choice;
pub use deletion::{
    DeletionOptions, DeletionProgress, DeletionReport, DeletionStep, Pacer, TokioPacer,
    CALL_INTERVAL as DELETION_CALL_INTERVAL,
};
pub use lock::{allowed_while_locked, LockRequest, LockStatus};
pub use video::{ActiveSession, EndReason, SessionStatus, StartRequest, StartedSession};
pub use voice_session::{VoiceSession, VoiceStartRequest};

/// What the UI shows about a key: never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    pub provider: Provider,
    pub configured: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_four: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_check: Option<Verification>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    #[serde(flatten)]
    pub settings: Settings,
    /// Set once after start-up if the settings could not be opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct ConsentView {
    pub required_version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<ConsentRecord>,
    /// Agreed to the current text: sessions may start.
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    pub check: AuditCheck,
    /// The newest records, newest first.
    pub records: Vec<AuditRecord>,
    /// Every key, account and deletion record still kept, newest first, even those too
    /// old to be among `records`.
    pub pinned: Vec<AuditRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct PrivacyOverview {
    pub stored: Vec<StoredFile>,
    pub consent: ConsentView,
    pub audit: AuditCheck,
    pub retention_days: u32,
    pub anonymous_sessions: bool,
    pub open_conversations: usize,
    /// Conversation ids kept so "Delete everything" can delete them on Tavus.
    pub kept_conversations: usize,
    /// Conversations an interrupted "Delete everything" has still to delete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unfinished_deletion: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    pub conversation_id: String,
    pub started_at: u64,
    /// Set when the conversation was ended. An entry leaves the journal only once Tavus
    /// has confirmed the conversation deleted (never by retention), so that it can always
    /// be hard-deleted later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<u64>,
}

/// One daily budget as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    pub limit: u32,
    pub left: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct Budgets {
    pub speech_characters: Budget,
    pub video_minutes: Budget,
    pub voice_minutes: Budget,
    pub typed_speech_max_characters: u32,
}

const AUDIT_SHOWN: usize = 200;

struct State {
    settings: Settings,
    notice: Option<String>,
    sealer: Option<Arc<Sealer>>,
    /// The app lock's passphrase wraps the data key (see `lock.rs`).
    lock_enabled: bool,
    /// The data key is withheld until the passphrase is given.
    locked: bool,
}

pub struct Service<S: SecretStore = Keychain> {
    store: Arc<S>,
    vault: Vault<Arc<S>>,
    gateway: Gateway,
    dirs: LocalDirs,
    settings_file: SettingsFile,
    state: Mutex<State>,
    session_starts: crate::policy::rate_limit::RollingWindow,
    active: Mutex<Option<ActiveSession>>,
    test_room_origin: Option<url::Url>,
    speech: voice::SpeechSlot,
    voice_session: voice_session::VoiceSlot,
    confirmer: Mutex<Arc<dyn Confirmer>>,
    spending: Mutex<()>,
    /// Commands that only write an audit record (consent, export) are limited too, so a
    /// script cannot push older records out of sight by repeating them.
    local_audited: crate::policy::rate_limit::RollingWindow,
    refusals_recorded: Mutex<std::collections::HashMap<String, u64>>,
    deletion: deletion::DeletionSlot,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    app_window: room_browser::AppWindowSlot,
    /// One passphrase check at a time, so parallel guesses cannot outrun the counter.
    unlocking: Mutex<()>,
    /// Wrong guesses made while locked, written to the audit log once it can be opened.
    pending_failures: Mutex<Vec<u64>>,
}

impl<S: SecretStore> Service<S> {
    pub fn new(store: S, gateway: Gateway, dirs: LocalDirs) -> Self {
        let store = Arc::new(store);
        let settings_file = SettingsFile::in_dir(&dirs.config);
        let service = Self {
            vault: Vault::new(store.clone()),
            store,
            gateway,
            dirs,
            settings_file,
            state: Mutex::new(State {
                settings: Settings::default(),
                notice: None,
                sealer: None,
                lock_enabled: false,
                locked: false,
            }),
            session_starts: crate::policy::rate_limit::RollingWindow::conversation_starts(),
            active: Mutex::new(None),
            test_room_origin: video::test_room_origin(),
            speech: voice::SpeechSlot::default(),
            voice_session: voice_session::VoiceSlot::default(),
            confirmer: Mutex::new(Arc::new(RefuseAll)),
            spending: Mutex::new(()),
            local_audited: crate::policy::rate_limit::RollingWindow::locally_audited(),
            refusals_recorded: Mutex::new(std::collections::HashMap::new()),
            deletion: deletion::DeletionSlot::default(),
            app_window: room_browser::AppWindowSlot::default(),
            unlocking: Mutex::new(()),
            pending_failures: Mutex::new(Vec::new()),
        };
        if service.lock_entry_exists() {
            let mut state = service.state();
            state.lock_enabled = true;
            state.locked = true;
        } else {
            service.open_local_data();
        }
        service
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Installs what asks the person to confirm a change (the shell's native dialog).
    pub fn set_confirmer(&self, confirmer: Arc<dyn Confirmer>) {
        *self.confirmer.lock().unwrap_or_else(|p| p.into_inner()) = confirmer;
    }

    /// Builder form of [`Self::set_confirmer`].
    pub fn confirming_with(self, confirmer: impl Confirmer + 'static) -> Self {
        self.set_confirmer(Arc::new(confirmer));
        self
    }

    /// Asks the person, outside the page, to confirm `change`.
    pub async fn confirm(&self, change: &Change) -> Result<()> {
        let confirmer = self
            .confirmer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        crate::confirm::require(&confirmer, change).await
    }

    /// Opens the sealed settings and applies audit-log retention. Never fails: problems
    /// become a notice for the person.
    fn open_local_data(&self) {
        let sealer = self.sealer().ok();
        let (settings, notice) = self.settings_file.load(sealer.as_deref());
        let retention = settings.audit_retention_days;
        {
            let mut state = self.state();
            state.settings = settings;
            state.notice = notice.map(|n| n.message);
        }
        let cutoff = now().saturating_sub(u64::from(retention) * 86_400);
        if let (Some(sealer), Ok(log)) = (sealer, self.audit_log()) {
            let head = self.audit_head();
            match log.prune(&sealer, head.as_ref(), cutoff) {
                Ok(0) => {}
                Ok(pruned) => {
                    tracing::info!(pruned, "audit records past retention pruned");
                    self.record(AuditEvent::LogPruned {
                        through_seq: head.map_or(0, |h| h.seq),
                    });
                }
                Err(error) => tracing::warn!(code = ?error.code, "audit log not pruned"),
            }
        }
    }

    /// The data key's sealer, created on first use and cached.
    fn sealer(&self) -> Result<Arc<Sealer>> {
        {
            let state = self.state();
            if state.locked {
                return Err(lock::locked());
            }
            if let Some(sealer) = state.sealer.clone() {
                return Ok(sealer);
            }
        }
        // Never create a fresh data key while a wrapped one exists: that would orphan every
        // sealed file. A keychain fault here is an error, not "no lock".
        if self
            .store
            .read(crate::privacy::app_lock::WRAPPED_KEY_ACCOUNT)?
            .is_some()
        {
            let mut state = self.state();
            state.lock_enabled = true;
            state.locked = true;
            return Err(lock::locked());
        }
        let key = local_keys::load_or_create(&*self.store, DATA_KEY_ACCOUNT)?;
        let sealer = self.sealer_for(&key)?;
        self.state().sealer = Some(sealer.clone());
        Ok(sealer)
    }

    fn sealer_for(&self, key: &Sensitive<Vec<u8>>) -> Result<Arc<Sealer>> {
        let versions = crate::privacy::versions::KeychainVersions::new(self.store.clone());
        Ok(Arc::new(
            Sealer::new(key)?.with_versions(Arc::new(versions)),
        ))
    }

    fn audit_log(&self) -> Result<AuditLog> {
        let key = local_keys::load_or_create(&*self.store, AUDIT_KEY_ACCOUNT)?;
        Ok(AuditLog::new(&self.dirs.data, key.expose()))
    }

    fn audit_head(&self) -> Option<Head> {
        self.store
            .read(AUDIT_HEAD_ACCOUNT)
            .ok()
            .flatten()
            .and_then(|raw| Head::decode(raw.expose()))
    }

    /// Appends a security event. Best effort: a failure is logged, and never blocks what
    /// the person was doing.
    fn record(&self, event: AuditEvent) {
        self.record_limit_refusals();
        self.record_at(event, now());
    }

    /// Allows one more locally audited action, or refuses it (recorded like every limit
    /// refusal, at most once a minute).
    fn allow_local_audited(&self) -> Result<()> {
        self.local_audited
            .try_acquire(std::time::Instant::now())
            .inspect_err(|_| {
                self.record(AuditEvent::LimitRefused {
                    limit: "local_actions".into(),
                })
            })
    }

    /// Whether a refusal by `limit` at `at` should be recorded: one a minute per limit, so
    /// that refusals, which a script can cause at will, cannot flood the log either.
    fn refusal_due(&self, limit: &str, at: u64) -> bool {
        let mut last = self
            .refusals_recorded
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let due = last
            .get(limit)
            .is_none_or(|previous| at.saturating_sub(*previous) >= 60);
        if due {
            last.insert(limit.to_string(), at);
        }
        due
    }

    /// Moves the gateway's local rate-limit refusals into the audit log.
    fn record_limit_refusals(&self) {
        for at in self.gateway.drain_local_refusals() {
            self.record_at(
                AuditEvent::LimitRefused {
                    limit: "upstream_calls".into(),
                },
                at,
            );
        }
    }

    fn record_at(&self, event: AuditEvent, at: u64) {
        if let AuditEvent::LimitRefused { limit } = &event {
            if !self.refusal_due(limit, at) {
                return;
            }
        }
        let result = (|| {
            let sealer = self.sealer()?;
            let log = self.audit_log()?;
            let mut head = self.audit_head();
            // A crash between appending and saving the head leaves the file one ahead.
            if let Some(last) = log.last_head(&sealer) {
                if head
                    .as_ref()
                    .is_none_or(|h| h.seq.checked_add(1) == Some(last.seq))
                {
                    head = Some(last);
                }
            }
            let next = log.append(&sealer, head.as_ref(), event, at)?;
            self.store
                .write(AUDIT_HEAD_ACCOUNT, &Sensitive::new(next.encode()))
                .map_err(Error::from)
        })();
        if let Err(error) = result {
            tracing::warn!(code = ?error.code, "could not record an audit event");
        }
    }

    fn save_settings(&self, settings: &Settings) -> Result<()> {
        self.settings_file.save(&*self.sealer()?, settings)
    }

    /// The secret store, for tests that check what delete-everything left behind.
    #[doc(hidden)]
    pub fn store_for_tests(&self) -> &S {
        &self.store
    }

    // ---- keys ----

    pub fn key_view(&self, provider: Provider) -> Result<KeyView> {
        let status = self.vault.status(provider)?;
        let last_check = self.state().settings.verification.get(&provider).cloned();
        Ok(KeyView {
            provider,
            configured: status.configured,
            last_four: status.last_four,
            last_check: last_check.filter(|_| status.configured),
        })
    }

    /// Saves a first key, or replaces one. Every key is checked live with its provider
    /// first, so a mistyped or refused key is never stored and never breaks a working
    /// setup; then the person confirms, outside the page, whose account will be used.
    pub async fn set_key(&self, provider: Provider, key: &Sensitive<String>) -> Result<KeyView> {
        crate::api_key::check_format(provider, key.expose())?;
        let old = self.vault.status(provider)?;
        if let Err(mut error) = self.live_check(provider, key).await {
            tracing::info!(provider = provider.display_name(), "new key refused");
            self.record(AuditEvent::KeyChecked {
                provider,
                outcome: code_name(error.code),
            });
            if old.configured {
                error.message.push_str(" Your saved key is unchanged.");
            } else {
                error.message.push_str(" The key was not saved.");
            }
            return Err(error);
        }
        self.confirm(&Change::SaveKey {
            provider,
            last_four: crate::vault::last_four(key.expose()),
            replacing: old.last_four.filter(|_| old.configured),
        })
        .await?;
        self.vault.set(provider, key)?;
        self.record(if old.configured {
            AuditEvent::KeyReplaced { provider }
        } else {
            AuditEvent::KeySaved { provider }
        });
        self.record_check(provider, "verified".into())?;
        self.key_view(provider)
    }

    pub async fn remove_key(&self, provider: Provider) -> Result<KeyView> {
        let status = self.vault.status(provider)?;
        if status.configured {
            self.confirm(&Change::RemoveKey {
                provider,
                last_four: status.last_four,
            })
            .await?;
        }
        self.vault.remove(provider)?;
        self.record(AuditEvent::KeyRemoved { provider });
        self.forget_check(provider)?;
        self.key_view(provider)
    }

    /// Sessions and speech use a key only once it has passed a live check.
    pub fn require_verified(&self, provider: Provider) -> Result<()> {
        let verified = self
            .state()
            .settings
            .verification
            .get(&provider)
            .is_some_and(|check| check.outcome == "verified");
        if verified {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::KeyNotVerified,
            format!(
                "Your {} key hasn't passed a check yet. Use “Check key” in Settings first.",
                provider.display_name()
            ),
        ))
    }

    /// A live call with the saved key; the outcome is remembered either way.
    pub async fn verify_key(&self, provider: Provider) -> Result<KeyView> {
        let key = self.vault.key(provider)?;
        let outcome = self.live_check(provider, &key).await;
        let recorded = match &outcome {
            Ok(()) => "verified".to_string(),
            Err(error) => code_name(error.code),
        };
        tracing::info!(provider = provider.display_name(), outcome = %recorded, "API key checked");
        self.record_check(provider, recorded)?;
        outcome?;
        self.key_view(provider)
    }

    async fn live_check(&self, provider: Provider, key: &Sensitive<String>) -> Result<()> {
        match provider {
            Provider::Tavus => Tavus::new(&self.gateway, key).verify_key().await,
            Provider::ElevenLabs => ElevenLabs::new(&self.gateway, key).verify_key().await,
        }
    }

    fn record_check(&self, provider: Provider, outcome: String) -> Result<()> {
        self.record(AuditEvent::KeyChecked {
            provider,
            outcome: outcome.clone(),
        });
        let mut next = self.state().settings.clone();
        next.verification.insert(
            provider,
            Verification {
                checked_at: now(),
                outcome,
            },
        );
        self.save_settings(&next)?;
        self.state().settings = next;
        Ok(())
    }

    fn forget_check(&self, provider: Provider) -> Result<()> {
        let mut next = self.state().settings.clone();
        if next.verification.remove(&provider).is_some() {
            self.save_settings(&next)?;
            self.state().settings = next;
        }
        Ok(())
    }

    // ---- settings ----

    /// The settings, with the start-up notice if there was one (shown once).
    pub fn settings(&self) -> SettingsView {
        let mut state = self.state();
        SettingsView {
            settings: state.settings.clone(),
            notice: state.notice.take(),
        }
    }

    /// Applies a settings patch. A change of whose AI companion or agent is used, and
    /// turning anonymous sessions off, are confirmed by the person outside the page first.
    pub async fn update_settings(&self, patch: SettingsPatch) -> Result<SettingsView> {
        let current = self.state().settings.clone();
        let mut next = current.clone();
        next.apply(patch)?;
        let changes = crate::settings::changes_to_confirm(&current, &next);
        for change in &changes {
            self.confirm(change).await?;
        }
        self.save_settings(&next)?;
        self.state().settings = next;
        for change in changes {
            self.record(AuditEvent::ChangeConfirmed {
                what: change.audit_name(),
            });
        }
        Ok(self.settings())
    }

    // ---- spending budgets ----

    /// Spends `amount` of today's budget, or refuses (audited) and spends nothing.
    pub(crate) fn spend(&self, spend: Spend, amount: u32) -> Result<()> {
        let settings = self.state().settings.clone();
        let sealer = self.sealer()?;
        let path = self.dirs.data.join(USAGE_FILE);
        let _one_at_a_time = self.spending.lock().unwrap_or_else(|p| p.into_inner());
        // The page cannot touch files, so a damaged count (disk damage, or someone with the
        // person's files, who could do worse) is set aside and the day starts again.
        let mut usage = match sealer.read_json::<DailyUsage>(&path, "usage") {
            Ok(found) => found.unwrap_or_default(),
            Err(_) => {
                let _ = crate::atomic_file::set_aside(&path);
                DailyUsage::default()
            }
        }
        .for_day(now());
        if let Err(error) = usage.try_spend(spend, amount, &settings) {
            self.record(AuditEvent::LimitRefused {
                limit: spend.name().into(),
            });
            return Err(error);
        }
        sealer.write_json(&path, "usage", &usage)
    }

    /// What is left of each daily budget, for the settings and start screens.
    pub fn budgets(&self) -> Result<Budgets> {
        let settings = self.state().settings.clone();
        let usage = self
            .sealer()?
            .read_json::<DailyUsage>(&self.dirs.data.join(USAGE_FILE), "usage")
            .ok()
            .flatten()
            .unwrap_or_default()
            .for_day(now());
        let budget = |spend: Spend, limit: u32| Budget {
            limit,
            left: usage.left(spend, &settings),
        };
        Ok(Budgets {
            speech_characters: budget(Spend::SpeechCharacters, settings.daily_speech_characters),
            video_minutes: budget(Spend::VideoMinutes, settings.daily_video_minutes),
            voice_minutes: budget(Spend::VoiceMinutes, settings.daily_voice_minutes),
            typed_speech_max_characters: crate::policy::budget::TYPED_SPEECH_MAX_CHARS as u32,
        })
    }

    // ---- consent ----

    fn consent_path(&self) -> std::path::PathBuf {
        self.dirs.data.join(CONSENT_FILE)
    }

    pub fn consent(&self) -> ConsentView {
        let record = self.sealer().ok().and_then(|sealer| {
            sealer
                .read_json::<ConsentRecord>(&self.consent_path(), "consent")
                .ok()
                .flatten()
        });
        ConsentView {
            required_version: CONSENT_VERSION,
            current: record.as_ref().is_some_and(ConsentRecord::is_current),
            record,
        }
    }

    /// Records agreement to consent text `version`, which must be the current one.
    pub fn give_consent(&self, version: u32) -> Result<ConsentView> {
        if version != CONSENT_VERSION {
            return Err(Error::invalid_input(
                "The consent text has changed. Please read it again before agreeing.",
            ));
        }
        self.allow_local_audited()?;
        let record = ConsentRecord {
            version,
            agreed_at: now(),
        };
        self.sealer()?
            .write_json(&self.consent_path(), "consent", &record)?;
        self.record(AuditEvent::ConsentGiven { version });
        Ok(self.consent())
    }

    pub fn withdraw_consent(&self) -> Result<ConsentView> {
        self.allow_local_audited()?;
        let version = self.consent().record.map_or(CONSENT_VERSION, |r| r.version);
        match std::fs::remove_file(self.consent_path()) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => {
                return Err(Error::new(
                    ErrorCode::SystemUnavailable,
                    "Serene couldn't remove the consent record. Please try again.",
                ))
            }
        }
        self.record(AuditEvent::ConsentWithdrawn { version });
        Ok(self.consent())
    }

    /// For the session issues: sessions start only with current consent.
    pub fn require_consent(&self) -> Result<()> {
        if self.consent().current {
            Ok(())
        } else {
            Err(Error::new(
                ErrorCode::NotAllowed,
                "Please read and agree to how Serene handles your data before starting a session.",
            ))
        }
    }

    // ---- journal (conversations that may still be open on Tavus) ----

    pub fn journal(&self) -> Vec<JournalEntry> {
        self.sealer()
            .ok()
            .and_then(|sealer| {
                sealer
                    .read_json::<Vec<JournalEntry>>(&self.dirs.data.join(JOURNAL_FILE), "journal")
                    .ok()
                    .flatten()
            })
            .unwrap_or_default()
    }

    pub fn journal_add(&self, entry: JournalEntry) -> Result<()> {
        let mut entries = self.journal();
        entries.retain(|e| e.conversation_id != entry.conversation_id);
        entries.push(entry);
        self.write_journal(&entries)
    }

    /// Conversations that may still be live on Tavus.
    pub fn open_sessions(&self) -> Vec<JournalEntry> {
        self.journal()
            .into_iter()
            .filter(|e| e.ended_at.is_none())
            .collect()
    }

    pub fn journal_mark_ended(&self, conversation_id: &str) -> Result<()> {
        let mut entries = self.journal();
        let mut changed = false;
        for entry in entries
            .iter_mut()
            .filter(|e| e.conversation_id == conversation_id)
        {
            changed |= entry.ended_at.is_none();
            entry.ended_at.get_or_insert_with(now);
        }
        if changed {
            self.write_journal(&entries)?;
        }
        Ok(())
    }

    fn write_journal(&self, entries: &[JournalEntry]) -> Result<()> {
        self.sealer()?
            .write_json(&self.dirs.data.join(JOURNAL_FILE), "journal", &entries)
    }

    // ---- audit, overview, export ----

    pub fn audit(&self) -> Result<AuditView> {
        self.record_limit_refusals();
        let sealer = self.sealer()?;
        let (mut records, check) = self
            .audit_log()?
            .read_verified(&sealer, self.audit_head().as_ref());
        records.reverse();
        let pinned = records
            .iter()
            .filter(|r| r.event.is_pinned())
            .cloned()
            .collect();
        records.truncate(AUDIT_SHOWN);
        Ok(AuditView {
            check,
            records,
            pinned,
        })
    }

    pub fn privacy_overview(&self) -> Result<PrivacyOverview> {
        let audit = self.audit()?.check;
        let settings = self.state().settings.clone();
        Ok(PrivacyOverview {
            stored: local::inventory(&self.dirs),
            consent: self.consent(),
            audit,
            retention_days: settings.audit_retention_days,
            anonymous_sessions: settings.anonymous_sessions,
            open_conversations: self.open_sessions().len(),
            kept_conversations: self.journal().len(),
            unfinished_deletion: self.deletion_pending().filter(|left| *left > 0),
        })
    }

    /// Everything stored locally, as one readable document. Keys are only said to exist.
    pub fn export(&self) -> Result<Value> {
        self.allow_local_audited()?;
        self.record_limit_refusals();
        let sealer = self.sealer()?;
        let (records, check) = self
            .audit_log()?
            .read_verified(&sealer, self.audit_head().as_ref());
        let keys: Vec<Value> = Provider::ALL
            .iter()
            .map(|p| {
                json!({
                    "provider": p,
                    "saved": self.vault.status(*p).map(|s| s.configured).unwrap_or(false),
                })
            })
            .collect();
        let document = json!({
            "exportedBy": format!("Serene {}", env!("CARGO_PKG_VERSION")),
            "exportedAt": now(),
            "note": "Serene stores nothing of your conversations. This is everything it keeps on this computer. API keys stay in your system keychain and are not included.",
            "settings": self.state().settings.clone(),
            "consent": self.consent().record,
            "openConversations": self.journal(),
            "apiKeys": keys,
            "auditLog": { "verification": check, "records": records },
        });
        self.record(AuditEvent::DataExported);
        Ok(document)
    }
}

/// The serialised name of a unit enum variant (an error code, an end reason).
pub(crate) fn code_name(value: impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
