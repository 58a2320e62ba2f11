//! The provider catalogues as they are: every page of voices, replicas and personas;
//! replicas that are not `completed` offered disabled with their status; speech models
//! with their per-request text limit.

use serde::Serialize;

use super::Service;
use crate::error::Result;
use crate::gateway::elevenlabs::ElevenLabs;
use crate::gateway::tavus::Tavus;
use crate::provider::Provider;
use crate::vault::SecretStore;

/// Items asked for per page (the most both providers allow).
const PAGE: u32 = 100;
/// Pages read at most: a bound on calls, far above any real account.
const MAX_PAGES: u32 = 20;

/// One entry of a picker: an id and the name a person recognises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct Choice {
    pub id: String,
    pub name: String,
    /// False for a replica still training or in error: shown, not choosable.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unavailable: bool,
    /// The provider's status word, when it says why the choice is unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// A speech model's per-request character limit, when the provider gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_characters: Option<u64>,
}

/// Longest replica, persona, voice or model name (or status word) shown.
const MAX_NAME_CHARS: usize = 80;

/// A choice named as the provider names it, made safe to show (`policy::text::for_display`).
pub(super) fn choice(id: String, name: Option<String>) -> Choice {
    let name = name
        .map(|n| crate::policy::text::for_display(&n, MAX_NAME_CHARS))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| id.clone());
    Choice {
        id,
        name,
        unavailable: false,
        status: None,
        max_characters: None,
    }
}

impl<S: SecretStore> Service<S> {
    pub async fn replicas(&self) -> Result<Vec<Choice>> {
        let key = self.vault.key(Provider::Tavus)?;
        let tavus = Tavus::new(&self.gateway, &key);
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let found = tavus.list_replicas(page, PAGE).await?;
            let last = found.data.len() < PAGE as usize;
            all.extend(found.data);
            if last || all.len() as u64 >= found.total_count {
                break;
            }
        }
        Ok(all
            .into_iter()
            .map(|r| {
                let mut c = choice(r.replica_id, r.replica_name);
                // Only a `completed` replica can hold a conversation.
                if r.status.as_deref() != Some("completed") {
                    c.unavailable = true;
                    c.status = Some(crate::policy::text::for_display(
                        r.status.as_deref().unwrap_or("unknown"),
                        MAX_NAME_CHARS,
                    ));
                }
                c
            })
            .collect())
    }

    pub async fn personas(&self) -> Result<Vec<Choice>> {
        let key = self.vault.key(Provider::Tavus)?;
        let tavus = Tavus::new(&self.gateway, &key);
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let found = tavus.list_personas(page, PAGE).await?;
            let last = found.data.len() < PAGE as usize;
            all.extend(found.data);
            if last || all.len() as u64 >= found.total_count {
                break;
            }
        }
        Ok(all
            .into_iter()
            .map(|p| choice(p.persona_id, p.persona_name))
            .collect())
    }

    /// Every page of voices (`next_page_token` followed while `has_more`).
    pub async fn voices(&self) -> Result<Vec<Choice>> {
        let key = self.vault.key(Provider::ElevenLabs)?;
        let client = ElevenLabs::new(&self.gateway, &key);
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = client.voices_page(PAGE, token.as_deref()).await?;
            all.extend(page.voices);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if page.has_more => token = Some(next),
                _ => break,
            }
        }
        Ok(all
            .into_iter()
            .map(|v| choice(v.voice_id, Some(v.name)))
            .collect())
    }

    /// Speech models only (the account may list others), with their text limit.
    pub async fn models(&self) -> Result<Vec<Choice>> {
        let key = self.vault.key(Provider::ElevenLabs)?;
        let models = ElevenLabs::new(&self.gateway, &key).models().await?;
        Ok(models
            .into_iter()
            .filter(|m| m.can_do_text_to_speech)
            .map(|m| {
                let limit = m.request_limit();
                let mut c = choice(m.model_id, Some(m.name));
                c.max_characters = limit;
                c
            })
            .collect())
    }
}
