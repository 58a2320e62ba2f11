//! The one error type that crosses IPC: `{code, message, retryAfterSeconds?}`.
//!
//! `code` is stable and the UI branches on it; `message` is written for a person. Nothing
//! from an upstream body, a header or a secret is ever placed in either.

use serde::Serialize;

/// Stable error codes. Renaming a variant is a breaking change for the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// An argument from the UI failed validation (length, shape, unknown id).
    InvalidInput,
    /// The request is not allowed by policy (for example a link outside the allowlist).
    NotAllowed,
    /// A local rate limit refused the call; `retryAfterSeconds` says when to try again.
    RateLimited,
    /// The operating system refused an action (for example opening the browser).
    SystemUnavailable,
    /// No API key is saved for the provider this needs.
    KeyMissing,
    /// No keychain service is running (Linux: no Secret Service on the session bus).
    KeychainUnavailable,
    /// The keychain is locked or its unlock prompt was dismissed.
    KeychainLocked,
    /// The keychain refused Serene access.
    KeychainAccessDenied,
    /// The value is larger than the keychain accepts.
    KeychainItemTooLarge,
    /// Any other keychain failure.
    KeychainFailure,
    /// The provider did not accept the API key.
    InvalidKey,
    /// The key is valid but restricted: it lacks a permission this call needs.
    KeyLacksPermission,
    /// The account is out of credits or its quota is used up.
    OutOfCredits,
    /// The account already has as many live sessions as its plan allows.
    ConcurrencyLimit,
    /// The provider does not know the id (voice, replica, conversation...).
    NotFound,
    /// The text is longer than the provider accepts in one request.
    TextTooLong,
    /// The provider refused the request as malformed (a bug on our side, or a changed API).
    UpstreamRejected,
    /// The provider is down or failing (5xx, dropped connection).
    UpstreamUnavailable,
    /// The provider did not answer in time.
    UpstreamTimeout,
    /// The provider answered with something we do not accept (redirect, bad JSON, too large).
    UpstreamUnexpected,
    /// The provider could not be reached at all (offline, DNS, TLS).
    NetworkUnavailable,
    /// The provider's room URL was not of the one trusted shape; the session was ended.
    RoomRefused,
    /// An update was refused (bad or foreign signature, replayed or older version, not
    /// HTTPS, malformed manifest). Nothing was installed.
    UpdateRefused,
    /// Waits until the running session ends (updates never interrupt a session).
    SessionInProgress,
    /// The person did not confirm a change in Serene's own (native) dialog; nothing changed.
    NotConfirmed,
    /// A daily spending limit the person set (speech characters, session minutes) is
    /// reached, or one request is larger than a single request may be.
    SpendingLimit,
    /// The saved key has not passed a live check with its provider yet.
    KeyNotVerified,
    /// The app lock is on: only unlocking, crisis help and quick exit work until then.
    Locked,
    /// The passphrase did not unlock Serene (the guess was counted).
    WrongPassphrase,
    /// Something unexpected inside Serene; details are in the log, not in the message.
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
#[error("{code:?}: {message}")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_seconds: None,
        }
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    pub fn not_allowed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotAllowed, message)
    }

    pub fn rate_limited(retry_after_seconds: u64) -> Self {
        Self {
            code: ErrorCode::RateLimited,
            message: "Serene is pausing requests for a moment. Please try again shortly.".into(),
            retry_after_seconds: Some(retry_after_seconds),
        }
    }

    pub fn internal() -> Self {
        Self::new(
            ErrorCode::Internal,
            "Something went wrong inside Serene. Please try again.",
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_to_the_ipc_shape() {
        let json = serde_json::to_value(Error::rate_limited(12)).unwrap();
        assert_eq!(json["code"], "rate_limited");
        assert_eq!(json["retryAfterSeconds"], 12);
        assert!(json["message"].as_str().unwrap().contains("try again"));
        assert_eq!(json.as_object().unwrap().len(), 3);
    }

    #[test]
    fn omits_retry_after_when_absent() {
        let json = serde_json::to_value(Error::invalid_input("Too long.")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "invalid_input", "message": "Too long."})
        );
    }
}
