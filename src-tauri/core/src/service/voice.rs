//! Speech through the core: one stream at a time, forwarded chunk by chunk as it arrives
//! (never held whole, never written to disk), stopped at once by `stop_speech` or by a
//! newer request. The model's per-request limit comes from `/v1/models` (fetched once).

use std::sync::Mutex;

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::oneshot;

use super::Service;
use crate::error::{Error, ErrorCode, Result};
use crate::gateway::elevenlabs::{ElevenLabs, Model, SpeechRequest, DEFAULT_MODEL};
use crate::policy::budget::Spend;
use crate::provider::Provider;
use crate::vault::SecretStore;
use crate::voice::speech::{character_limit, SpeechDone, SpeechText, Usage};

#[derive(Default)]
pub(super) struct SpeechSlot {
    /// Stops the speech that is playing, if any.
    stop: Mutex<Option<oneshot::Sender<()>>>,
    models: Mutex<Option<Vec<Model>>>,
}

impl<S: SecretStore> Service<S> {
    /// Streams `text` in the chosen voice, handing each chunk to `sink` as it arrives.
    /// `sink` returns false when the page has gone (the stream then stops too).
    pub async fn speak(
        &self,
        text: SpeechText,
        mut sink: impl FnMut(Bytes) -> bool + Send,
    ) -> Result<SpeechDone> {
        self.refuse_during_video()?;
        let key = self.vault.key(Provider::ElevenLabs)?;
        self.require_verified(Provider::ElevenLabs)?;
        let (voice, model) = {
            let settings = &self.state().settings;
            (
                settings.elevenlabs_voice_id.clone(),
                settings
                    .elevenlabs_model_id
                    .clone()
                    .unwrap_or_else(|| DEFAULT_MODEL.to_string()),
            )
        };
        let voice = voice.ok_or_else(|| {
            Error::invalid_input("Choose a voice in Settings first, then try again.")
        })?;
        let limit = if text.needs_limit() {
            character_limit(&model, self.speech_models(&key).await.as_deref())
        } else {
            character_limit(&model, None)
        };
        let resolved = text.resolve(limit)?;
        let chars = resolved.chars().count();
        if text.needs_limit() {
            if let Some(error) = crate::policy::budget::typed_too_long(chars) {
                return Err(error);
            }
        }
        self.spend(
            Spend::SpeechCharacters,
            u32::try_from(chars).unwrap_or(u32::MAX),
        )?;
        let request = SpeechRequest {
            text: resolved,
            model_id: model,
        };

        let (stop, mut stopped) = oneshot::channel();
        if let Some(previous) = self
            .speech
            .stop
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(stop)
        {
            let _ = previous.send(());
        }
        let response = ElevenLabs::new(&self.gateway, &key)
            .speech_stream(&voice, &request)
            .await;
        let mut stream = match response {
            Ok(response) => response.bytes_stream(),
            Err(error) => {
                self.record_limit_refusals();
                return Err(error);
            }
        };
        let mut done = SpeechDone {
            bytes: 0,
            stopped: false,
        };
        loop {
            tokio::select! {
                biased;
                _ = &mut stopped => {
                    done.stopped = true;
                    break;
                }
                chunk = stream.next() => match chunk {
                    Some(Ok(chunk)) => {
                        done.bytes += chunk.len() as u64;
                        if !sink(chunk) {
                            done.stopped = true;
                            break;
                        }
                    }
                    Some(Err(error)) => {
                        tracing::warn!(%error, "speech stream broke off");
                        return Err(Error::new(
                            ErrorCode::UpstreamUnavailable,
                            "The voice stopped part-way because the connection to ElevenLabs broke. Please try again.",
                        ));
                    }
                    None => break,
                },
            }
        }
        // Dropping the stream here closes the upstream request if it was still running.
        Ok(done)
    }

    /// Stops the speech that is playing. Harmless when nothing plays.
    pub fn stop_speech(&self) {
        if let Some(stop) = self
            .speech
            .stop
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            let _ = stop.send(());
        }
    }

    /// Characters used and left this period, and when the count resets.
    pub async fn speech_usage(&self) -> Result<Usage> {
        let key = self.vault.key(Provider::ElevenLabs)?;
        let subscription = ElevenLabs::new(&self.gateway, &key).subscription().await?;
        Ok(Usage {
            tier: subscription.tier,
            used: subscription.character_count,
            limit: subscription.character_limit,
            remaining: subscription
                .character_limit
                .saturating_sub(subscription.character_count),
            resets_at: subscription.next_character_count_reset_unix,
        })
    }

    /// The account's models, fetched once per run; `None` if they could not be fetched
    /// (the contract's table is used then).
    async fn speech_models(&self, key: &crate::Sensitive<String>) -> Option<Vec<Model>> {
        if let Some(models) = self
            .speech
            .models
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Some(models);
        }
        let models = ElevenLabs::new(&self.gateway, key).models().await.ok()?;
        *self.speech.models.lock().unwrap_or_else(|p| p.into_inner()) = Some(models.clone());
        Some(models)
    }
}
