//! The service's part in updates: the channel setting, the session gate, and the audit
//! records. Checking, downloading and verifying are the updater plugin's, in the shell.

use super::Service;
use crate::error::{Error, Result};
use crate::privacy::audit::AuditEvent;
use crate::updates::{self, Channel, Refusal};
use crate::vault::SecretStore;

impl<S: SecretStore> Service<S> {
    pub fn update_channel(&self) -> Channel {
        self.state().settings.update_channel
    }

    /// Updates never download or install while a session runs; they wait for its end.
    pub fn ensure_no_session(&self) -> Result<()> {
        if self.active_session().is_some() || self.voice_session_running() {
            Err(updates::session_in_progress())
        } else {
            Ok(())
        }
    }

    pub fn record_update_checked(&self, outcome: &str) {
        self.record(AuditEvent::UpdateChecked {
            outcome: outcome.into(),
        });
    }

    /// Records the refusal and returns the error to show.
    pub fn refuse_update(&self, refusal: Refusal) -> Error {
        tracing::warn!(reason = refusal.reason(), "update refused");
        self.record(AuditEvent::UpdateRefused {
            reason: refusal.reason().into(),
        });
        refusal.error()
    }

    pub fn record_update_installed(&self, version: &str) {
        self.record(AuditEvent::UpdateInstalled {
            version: version.into(),
        });
    }
}
