//! The core as the shell sees it: keys, their live checks, the provider catalogues and
//! the settings, each call validated and mediated here. Tauri commands call these.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::gateway::elevenlabs::ElevenLabs;
use crate::gateway::tavus::Tavus;
use crate::gateway::Gateway;
use crate::provider::Provider;
use crate::sensitive::Sensitive;
use crate::settings::{Settings, SettingsFile, SettingsPatch, Verification};
use crate::vault::{Keychain, SecretStore, Vault};

/// What the UI shows about a key: never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    pub provider: Provider,
    pub configured: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_four: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_check: Option<Verification>,
}

/// One entry of a picker: an id and the name a person recognises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    #[serde(flatten)]
    pub settings: Settings,
    /// Set once after start-up if the settings file had to be set aside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

const CATALOGUE_PAGE: u32 = 100;

pub struct Service<S: SecretStore = Keychain> {
    vault: Vault<S>,
    gateway: Gateway,
    file: SettingsFile,
    state: Mutex<(Settings, Option<String>)>,
}

impl<S: SecretStore> Service<S> {
    pub fn new(vault: Vault<S>, gateway: Gateway, file: SettingsFile) -> Self {
        let (settings, notice) = file.load();
        Self {
            vault,
            gateway,
            file,
            state: Mutex::new((settings, notice.map(|n| n.message))),
        }
    }

    fn with_settings<T>(&self, f: impl FnOnce(&mut (Settings, Option<String>)) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut state)
    }

    pub fn key_view(&self, provider: Provider) -> Result<KeyView> {
        let status = self.vault.status(provider)?;
        let last_check = self.with_settings(|(s, _)| s.verification.get(&provider).cloned());
        Ok(KeyView {
            provider,
            configured: status.configured,
            last_four: status.last_four,
            last_check: last_check.filter(|_| status.configured),
        })
    }

    /// Saves a first key, or replaces one. A replacement is checked live with the provider
    /// before it takes the old key's place, so a mistyped key never breaks a working setup.
    pub async fn set_key(&self, provider: Provider, key: &Sensitive<String>) -> Result<KeyView> {
        crate::api_key::check_format(provider, key.expose())?;
        if !self.vault.status(provider)?.configured {
            self.vault.set(provider, key)?;
            self.forget_check(provider)?;
            return self.key_view(provider);
        }
        if let Err(mut error) = self.live_check(provider, key).await {
            tracing::info!(
                provider = provider.display_name(),
                "replacement key refused"
            );
            error.message.push_str(" Your saved key is unchanged.");
            return Err(error);
        }
        self.vault.set(provider, key)?;
        self.record_check(provider, "verified".into())?;
        self.key_view(provider)
    }

    pub fn remove_key(&self, provider: Provider) -> Result<KeyView> {
        self.vault.remove(provider)?;
        self.forget_check(provider)?;
        self.key_view(provider)
    }

    /// A live call with the saved key; the outcome is remembered either way.
    pub async fn verify_key(&self, provider: Provider) -> Result<KeyView> {
        let key = self.vault.key(provider)?;
        let outcome = self.live_check(provider, &key).await;
        let recorded = match &outcome {
            Ok(()) => "verified".to_string(),
            Err(error) => serde_json::to_value(error.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
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
        self.with_settings(|(settings, _)| {
            settings.verification.insert(
                provider,
                Verification {
                    checked_at: now(),
                    outcome,
                },
            );
            self.file.save(settings)
        })
    }

    pub async fn replicas(&self) -> Result<Vec<Choice>> {
        let key = self.vault.key(Provider::Tavus)?;
        let page = Tavus::new(&self.gateway, &key)
            .list_replicas(1, CATALOGUE_PAGE)
            .await?;
        Ok(page
            .data
            .into_iter()
            .map(|r| choice(r.replica_id, r.replica_name))
            .collect())
    }

    pub async fn personas(&self) -> Result<Vec<Choice>> {
        let key = self.vault.key(Provider::Tavus)?;
        let page = Tavus::new(&self.gateway, &key)
            .list_personas(1, CATALOGUE_PAGE)
            .await?;
        Ok(page
            .data
            .into_iter()
            .map(|p| choice(p.persona_id, p.persona_name))
            .collect())
    }

    pub async fn voices(&self) -> Result<Vec<Choice>> {
        let key = self.vault.key(Provider::ElevenLabs)?;
        let voices = ElevenLabs::new(&self.gateway, &key)
            .voices(CATALOGUE_PAGE)
            .await?;
        Ok(voices
            .voices
            .into_iter()
            .map(|v| choice(v.voice_id, Some(v.name)))
            .collect())
    }

    /// Speech models only (the account may list others).
    pub async fn models(&self) -> Result<Vec<Choice>> {
        let key = self.vault.key(Provider::ElevenLabs)?;
        let models = ElevenLabs::new(&self.gateway, &key).models().await?;
        Ok(models
            .into_iter()
            .filter(|m| m.can_do_text_to_speech)
            .map(|m| choice(m.model_id, Some(m.name)))
            .collect())
    }

    /// The settings, with the start-up notice if there was one (shown once).
    pub fn settings(&self) -> SettingsView {
        self.with_settings(|(settings, notice)| SettingsView {
            settings: settings.clone(),
            notice: notice.take(),
        })
    }

    pub fn update_settings(&self, patch: SettingsPatch) -> Result<SettingsView> {
        self.with_settings(|(settings, _)| {
            let mut next = settings.clone();
            next.apply(patch)?;
            self.file.save(&next)?;
            *settings = next;
            Ok::<_, Error>(())
        })?;
        Ok(self.settings())
    }

    fn forget_check(&self, provider: Provider) -> Result<()> {
        self.with_settings(|(settings, _)| {
            if settings.verification.remove(&provider).is_some() {
                self.file.save(settings)?;
            }
            Ok(())
        })
    }
}

fn choice(id: String, name: Option<String>) -> Choice {
    let name = name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| id.clone());
    Choice { id, name }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
