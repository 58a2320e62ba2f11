//! The two upstream providers Serene talks to.

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[ts(export)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Tavus,
    ElevenLabs,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::Tavus, Provider::ElevenLabs];

    /// Parses the name the UI sends ("tavus", "elevenlabs").
    pub fn parse(name: &str) -> crate::error::Result<Provider> {
        match name {
            "tavus" => Ok(Provider::Tavus),
            "elevenlabs" => Ok(Provider::ElevenLabs),
            _ => Err(crate::Error::invalid_input("That provider is not known.")),
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_the_serialised_names() {
        for provider in Provider::ALL {
            let name = serde_json::to_value(provider).unwrap();
            assert_eq!(Provider::parse(name.as_str().unwrap()).unwrap(), provider);
        }
        for bad in ["Tavus", "", "eleven labs", &"x".repeat(1000)] {
            assert!(Provider::parse(bad).is_err());
        }
    }
}
