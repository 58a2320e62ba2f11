//! The app lock as the shell sees it: status, turning it on, changing or off (each
//! confirmed outside the page), unlocking with counted and delayed guesses, locking, and
//! the one list of commands that work while locked.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::{now, Service};
use crate::confirm::{Change, LockChangeKind};
use crate::error::{Error, ErrorCode, Result};
use crate::privacy::app_lock::{self, Attempts, WrappedKey, ATTEMPTS_ACCOUNT, WRAPPED_KEY_ACCOUNT};
use crate::privacy::audit::AuditEvent;
use crate::privacy::local_keys::{self, DATA_KEY_ACCOUNT};
use crate::sensitive::Sensitive;
use crate::settings::Settings;
use crate::vault::SecretStore;

/// What works while Serene is locked: unlocking and its status, locking again, quick
/// exit, crisis help, the app's name and version, and delete-everything (the one way out
/// of a forgotten passphrase; it asks natively first). Everything else is refused.
const ALLOWED_WHILE_LOCKED: &[&str] = &[
    "lock_status",
    "unlock",
    "lock_now",
    "quick_exit",
    "open_help_link",
    "app_info",
    "delete_everything",
];

pub fn allowed_while_locked(command: &str) -> bool {
    ALLOWED_WHILE_LOCKED.contains(&command)
}

pub(super) fn locked() -> Error {
    Error::new(
        ErrorCode::Locked,
        "Serene is locked. Enter your passphrase to continue.",
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct LockStatus {
    pub enabled: bool,
    pub locked: bool,
    /// Wrong guesses since the last unlock.
    pub failures: u32,
    /// Seconds until another guess is allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

/// Turning the lock on, changing its passphrase, or turning it off.
#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "camelCase", deny_unknown_fields)]
pub enum LockRequest {
    Enable {
        passphrase: Sensitive<String>,
    },
    Change {
        current: Sensitive<String>,
        passphrase: Sensitive<String>,
    },
    Disable {
        current: Sensitive<String>,
    },
}

impl LockRequest {
    pub fn from_json(value: serde_json::Value) -> Result<Self> {
        serde_json::from_value(value)
            .map_err(|_| Error::invalid_input("That lock request is not in the expected shape."))
    }
}

impl<S: SecretStore> Service<S> {
    pub(super) fn lock_entry_exists(&self) -> bool {
        matches!(self.store.read(WRAPPED_KEY_ACCOUNT), Ok(Some(_)))
    }

    /// Refuses `command` while locked unless it is one of the few that work then. The
    /// shell calls this before every command it runs.
    pub fn gate(&self, command: &str) -> Result<()> {
        if self.is_locked() && !allowed_while_locked(command) {
            return Err(locked());
        }
        Ok(())
    }

    pub fn is_locked(&self) -> bool {
        self.state().locked
    }

    pub fn lock_enabled(&self) -> bool {
        self.state().lock_enabled
    }

    /// The settings in force, without taking the one-time start-up notice (for the shell).
    pub fn current_settings(&self) -> Settings {
        self.state().settings.clone()
    }

    pub fn lock_status(&self) -> LockStatus {
        let (enabled, locked) = {
            let state = self.state();
            (state.lock_enabled, state.locked)
        };
        let attempts = self.attempts().unwrap_or_default();
        LockStatus {
            enabled,
            locked,
            failures: attempts.failures,
            retry_after_seconds: attempts.wait(now()),
        }
    }

    fn attempts(&self) -> Result<Attempts> {
        Ok(self
            .store
            .read(ATTEMPTS_ACCOUNT)?
            .map(|raw| Attempts::decode(raw.expose(), now()))
            .unwrap_or_default())
    }

    /// Locks now: the data key, the cached API keys and the settings leave memory. A no-op
    /// without a passphrase.
    pub fn lock_now(&self) -> LockStatus {
        if self.state().lock_enabled {
            self.vault.forget_all();
            let mut state = self.state();
            state.locked = true;
            state.sealer = None;
            state.settings = Settings::default();
            state.notice = None;
            drop(state);
            tracing::info!("locked");
        }
        self.lock_status()
    }

    /// Checks `passphrase` against the wrapped key, counting a wrong guess and refusing
    /// while a delay from earlier wrong guesses runs. Blocking (Argon2id): call it off the
    /// async runtime.
    fn open_wrapped(&self, passphrase: &Sensitive<String>) -> Result<Sensitive<Vec<u8>>> {
        let _one_at_a_time = self.unlocking.lock().unwrap_or_else(|p| p.into_inner());
        let mut attempts = self.attempts()?;
        if let Some(wait) = attempts.wait(now()) {
            let mut error = Error::new(
                ErrorCode::RateLimited,
                format!("After several wrong passphrases, Serene waits before the next try. Please try again in {wait} seconds."),
            );
            error.retry_after_seconds = Some(wait);
            return Err(error);
        }
        let wrapped = self
            .store
            .read(WRAPPED_KEY_ACCOUNT)?
            .ok_or_else(|| Error::invalid_input("The lock is not on."))?;
        let wrapped = WrappedKey::decode(wrapped.expose())?;
        match app_lock::unwrap(&wrapped, passphrase.expose()) {
            Ok(key) => {
                let pending = std::mem::take(&mut attempts.unaudited);
                if attempts.failures > 0 {
                    self.store.delete(ATTEMPTS_ACCOUNT)?;
                }
                self.pending_failures
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(pending);
                Ok(key)
            }
            Err(Ok(app_lock::WrongPassphrase)) => {
                let at = now();
                attempts.failed(at);
                self.store.write(ATTEMPTS_ACCOUNT, &attempts.encode())?;
                tracing::info!(failures = attempts.failures, "wrong passphrase");
                let mut error = Error::new(
                    ErrorCode::WrongPassphrase,
                    "That passphrase didn't unlock Serene.",
                );
                error.retry_after_seconds = attempts.wait(at);
                Err(error)
            }
            Err(Err(error)) => Err(error),
        }
    }

    /// Unlocks with the passphrase; then writes the wrong guesses made while locked into
    /// the audit log, each with its own time. Blocking (Argon2id).
    pub fn unlock(&self, passphrase: &Sensitive<String>) -> Result<LockStatus> {
        crate::privacy::app_lock::check_length(passphrase.expose())?;
        if !self.is_locked() {
            return Ok(self.lock_status());
        }
        let key = self.open_wrapped(passphrase)?;
        let sealer = self.sealer_for(&key)?;
        {
            let mut state = self.state();
            state.sealer = Some(sealer);
            state.locked = false;
        }
        // A crash while turning the lock on can leave the plain key behind.
        if matches!(self.store.read(DATA_KEY_ACCOUNT), Ok(Some(_))) {
            let _ = self.store.delete(DATA_KEY_ACCOUNT);
        }
        self.open_local_data();
        self.record_pending_failures();
        tracing::info!("unlocked");
        Ok(self.lock_status())
    }

    fn record_pending_failures(&self) {
        let pending = std::mem::take(
            &mut *self
                .pending_failures
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        for at in pending {
            self.record_at(AuditEvent::UnlockFailed, at);
        }
    }

    /// Turns the lock on, changes its passphrase, or turns it off; each confirmed by the
    /// person outside the page. The data key itself never changes, so no file is
    /// re-encrypted. Blocking (Argon2id) after the confirmation.
    pub async fn set_lock(&self, request: LockRequest) -> Result<LockStatus> {
        if self.is_locked() {
            return Err(locked());
        }
        let enabled = self.state().lock_enabled;
        let kind = match (&request, enabled) {
            (LockRequest::Enable { passphrase }, false) => {
                app_lock::check_new_passphrase(passphrase.expose())?;
                LockChangeKind::On
            }
            (LockRequest::Change { passphrase, .. }, true) => {
                app_lock::check_new_passphrase(passphrase.expose())?;
                LockChangeKind::Changed
            }
            (LockRequest::Disable { .. }, true) => LockChangeKind::Off,
            (LockRequest::Enable { .. }, true) => {
                return Err(Error::invalid_input("The lock is already on."))
            }
            (_, false) => return Err(Error::invalid_input("The lock is not on.")),
        };
        self.confirm(&Change::AppLock { what: kind }).await?;
        match request {
            LockRequest::Enable { passphrase } => {
                let key = local_keys::load_or_create(&*self.store, DATA_KEY_ACCOUNT)?;
                self.store_wrapped(&key, &passphrase)?;
                // Wrapped first, then the plain key goes: a crash between leaves both,
                // and the next unlock removes the plain one.
                self.store.delete(DATA_KEY_ACCOUNT)?;
                self.state().lock_enabled = true;
            }
            LockRequest::Change {
                current,
                passphrase,
            } => {
                let key = self.open_wrapped(&current)?;
                self.store_wrapped(&key, &passphrase)?;
            }
            LockRequest::Disable { current } => {
                let key = self.open_wrapped(&current)?;
                self.store.write(
                    DATA_KEY_ACCOUNT,
                    &Sensitive::new(STANDARD.encode(key.expose())),
                )?;
                self.store.delete(WRAPPED_KEY_ACCOUNT)?;
                let _ = self.store.delete(ATTEMPTS_ACCOUNT);
                self.state().lock_enabled = false;
            }
        }
        self.record_pending_failures();
        self.record(AuditEvent::LockChanged {
            what: kind.name().into(),
        });
        Ok(self.lock_status())
    }

    fn store_wrapped(
        &self,
        key: &Sensitive<Vec<u8>>,
        passphrase: &Sensitive<String>,
    ) -> Result<()> {
        let wrapped = app_lock::wrap(key, passphrase.expose())?;
        self.store.write(WRAPPED_KEY_ACCOUNT, &wrapped.encode())?;
        Ok(())
    }
}
