//! The consent a person gives before any setup: versioned, so a changed text asks again.

use serde::{Deserialize, Serialize};

/// Bump whenever the consent text in `ui/src/lib/consent.ts` changes in meaning; the UI
/// test `consent.test.ts` pins the text to this version.
pub const CONSENT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct ConsentRecord {
    pub version: u32,
    /// Seconds since the Unix epoch.
    pub agreed_at: u64,
}

impl ConsentRecord {
    pub fn is_current(&self) -> bool {
        self.version == CONSENT_VERSION
    }
}
