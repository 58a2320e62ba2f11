//! The two upstream providers Serene talks to.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Tavus,
    ElevenLabs,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::Tavus, Provider::ElevenLabs];

    pub fn display_name(self) -> &'static str {
        match self {
            Provider::Tavus => "Tavus",
            Provider::ElevenLabs => "ElevenLabs",
        }
    }

    /// The keychain account name of this provider's API key.
    pub fn key_account(self) -> &'static str {
        match self {
            Provider::Tavus => "tavus-api-key",
            Provider::ElevenLabs => "elevenlabs-api-key",
        }
    }
}
