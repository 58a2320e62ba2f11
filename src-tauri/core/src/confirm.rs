//! Confirmation outside the page, for every change of whose account is used and every
//! change that destroys data or spends more.
//!
//! A script in the main window can call any command the page can, so a command alone
//! proves nothing about what the person wants. For these changes the core asks through a
//! [`Confirmer`] the shell provides: a native dialog the page cannot script. Until the
//! shell installs one, every change is refused ([`RefuseAll`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::error::{Error, ErrorCode, Result};
use crate::provider::Provider;

/// What the person is asked to confirm, named so they can recognise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    SaveKey {
        provider: Provider,
        last_four: String,
        replacing: Option<String>,
    },
    RemoveKey {
        provider: Provider,
        last_four: Option<String>,
    },
    /// A Tavus replica or persona, or the ElevenLabs agent: whose AI companion is used.
    UseAccountChoice {
        what: &'static str,
        from: Option<String>,
        to: Option<String>,
    },
    AnonymousSessionsOff,
    RaiseSpendingLimit {
        what: &'static str,
        from: u32,
        to: u32,
    },
    DeleteEverything,
    /// Deleting what is on this computer although some conversations could not be
    /// deleted on Tavus (Serene can never delete those afterwards).
    DeleteLeavingRemote,
    /// Turning the app lock on, changing its passphrase, or turning it off.
    AppLock {
        what: LockChangeKind,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockChangeKind {
    On,
    Changed,
    Off,
}

impl LockChangeKind {
    pub fn name(self) -> &'static str {
        match self {
            LockChangeKind::On => "on",
            LockChangeKind::Changed => "changed",
            LockChangeKind::Off => "off",
        }
    }
}

/// The words of one native dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub title: String,
    pub message: String,
    /// The label of the button that agrees (the other one cancels).
    pub accept: String,
}

impl Change {
    /// How the audit log names a confirmed change (ids and names of settings only).
    pub fn audit_name(&self) -> String {
        match self {
            Change::SaveKey { .. } => "key_saved".into(),
            Change::RemoveKey { .. } => "key_removed".into(),
            Change::UseAccountChoice { what, .. } => what.replace(' ', "_").to_lowercase(),
            Change::AnonymousSessionsOff => "anonymous_sessions_off".into(),
            Change::RaiseSpendingLimit { what, to, .. } => {
                format!("{}_limit_raised_to_{to}", what.replace(' ', "_"))
            }
            Change::DeleteEverything => "delete_everything".into(),
            Change::DeleteLeavingRemote => "delete_leaving_remote".into(),
            Change::AppLock { what } => format!("app_lock_{}", what.name()),
        }
    }

    pub fn question(&self) -> Question {
        let (title, message, accept) = match self {
            Change::SaveKey {
                provider,
                last_four,
                replacing: None,
            } => (
                format!("Use this {} key?", provider.display_name()),
                format!(
                    "Serene will use the {} account of the key ending in {last_four} for your sessions.",
                    provider.display_name()
                ),
                "Use this key".to_string(),
            ),
            Change::SaveKey {
                provider,
                last_four,
                replacing: Some(old),
            } => (
                format!("Replace your {} key?", provider.display_name()),
                format!(
                    "The {} key ending in {old} will be replaced by the key ending in {last_four}. Sessions will then use that key's account.",
                    provider.display_name()
                ),
                "Replace key".to_string(),
            ),
            Change::RemoveKey {
                provider,
                last_four,
            } => (
                format!("Remove your {} key?", provider.display_name()),
                format!(
                    "The {} key{} will be removed from your keychain.",
                    provider.display_name(),
                    last_four
                        .as_deref()
                        .map(|l| format!(" ending in {l}"))
                        .unwrap_or_default()
                ),
                "Remove key".to_string(),
            ),
            Change::UseAccountChoice { what, from, to } => (
                format!("Change your {what}?"),
                format!(
                    "Your {what} will change from {} to {}.",
                    from.as_deref().unwrap_or("none"),
                    to.as_deref().unwrap_or("none")
                ),
                format!("Change {what}"),
            ),
            Change::AnonymousSessionsOff => (
                "Turn anonymous sessions off?".to_string(),
                "Sessions will send the topic you choose to Tavus, so your AI companion can use it.".to_string(),
                "Turn off".to_string(),
            ),
            Change::RaiseSpendingLimit { what, from, to } => (
                format!("Raise your daily {what} limit?"),
                format!(
                    "Serene will allow up to {to} {what} a day on your account (now {from}). Your provider bills what is used."
                ),
                "Raise limit".to_string(),
            ),
            Change::DeleteEverything => (
                "Delete everything?".to_string(),
                "Serene will delete your conversations on Tavus, remove your keys from your keychain, and delete every file it keeps. This cannot be undone.".to_string(),
                "Delete everything".to_string(),
            ),
            Change::DeleteLeavingRemote => (
                "Delete everything on this computer?".to_string(),
                "Some of your conversations could not be deleted on Tavus. If you go on, Serene deletes everything on this computer and can never delete those conversations for you; you can still delete them in your Tavus account.".to_string(),
                "Delete on this computer".to_string(),
            ),
            Change::AppLock { what: LockChangeKind::On } => (
                "Lock Serene with a passphrase?".to_string(),
                "Serene will ask for this passphrase whenever it starts or locks. If you forget it, the only way back in is to delete everything Serene keeps.".to_string(),
                "Turn lock on".to_string(),
            ),
            Change::AppLock { what: LockChangeKind::Changed } => (
                "Change your Serene passphrase?".to_string(),
                "Serene will ask for the new passphrase from now on.".to_string(),
                "Change passphrase".to_string(),
            ),
            Change::AppLock { what: LockChangeKind::Off } => (
                "Turn the Serene lock off?".to_string(),
                "Anyone using this computer account will be able to open Serene without a passphrase.".to_string(),
                "Turn lock off".to_string(),
            ),
        };
        Question {
            title,
            message,
            accept,
        }
    }
}

pub type Answer = Pin<Box<dyn Future<Output = bool> + Send>>;

/// Asks the person. `true` only when they chose the accepting button.
pub trait Confirmer: Send + Sync {
    fn confirm(&self, question: Question) -> Answer;
}

/// Refuses every change: what the core does until the shell installs a real confirmer.
pub struct RefuseAll;

impl Confirmer for RefuseAll {
    fn confirm(&self, _: Question) -> Answer {
        Box::pin(async { false })
    }
}

/// Agrees to every change: for tests that are about something else.
pub struct AcceptAll;

impl Confirmer for AcceptAll {
    fn confirm(&self, _: Question) -> Answer {
        Box::pin(async { true })
    }
}

/// Asks, and turns a "no" into the error every such command returns.
pub async fn require(confirmer: &Arc<dyn Confirmer>, change: &Change) -> Result<()> {
    if confirmer.confirm(change.question()).await {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::NotConfirmed,
            "Nothing was changed: the change was not confirmed.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_question_names_the_provider_and_the_last_four_characters() {
        let q = Change::SaveKey {
            provider: Provider::Tavus,
            last_four: "a1b2".into(),
            replacing: Some("9z8y".into()),
        }
        .question();
        assert!(q.title.contains("Tavus"));
        assert!(q.message.contains("a1b2") && q.message.contains("9z8y"));
        let q = Change::RemoveKey {
            provider: Provider::ElevenLabs,
            last_four: Some("wxyz".into()),
        }
        .question();
        assert!(q.title.contains("ElevenLabs") && q.message.contains("wxyz"));
    }

    #[tokio::test]
    async fn a_refusal_is_a_typed_error() {
        let refuse: Arc<dyn Confirmer> = Arc::new(RefuseAll);
        let error = require(&refuse, &Change::DeleteEverything)
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::NotConfirmed);
        let accept: Arc<dyn Confirmer> = Arc::new(AcceptAll);
        assert!(require(&accept, &Change::DeleteEverything).await.is_ok());
    }
}
