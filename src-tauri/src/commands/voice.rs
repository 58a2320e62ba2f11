//! Speech and exercises: audio goes to the page over a channel as raw bytes, chunk by
//! chunk, as it arrives from ElevenLabs.

use serene_core::voice::exercises::{self, ExerciseView};
use serene_core::voice::speech::{SpeechDone, SpeechText, Usage};
use serene_core::Error;
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::{Runtime, State, Webview};

use super::Service;

#[tauri::command]
pub fn list_exercises() -> Vec<ExerciseView> {
    exercises::catalogue()
}

#[tauri::command]
pub async fn speak<R: Runtime>(
    webview: Webview<R>,
    service: State<'_, Service>,
    request: serde_json::Value,
    on_audio: String,
) -> Result<SpeechDone, Error> {
    let on_audio: Channel<InvokeResponseBody> = super::channel(&webview, &on_audio)?;
    let text = SpeechText::from_json(request)?;
    service
        .speak(text, |chunk| {
            on_audio
                .send(InvokeResponseBody::Raw(chunk.to_vec()))
                .is_ok()
        })
        .await
}

#[tauri::command]
pub fn stop_speech(service: State<'_, Service>) {
    service.stop_speech();
}

#[tauri::command]
pub async fn speech_usage(service: State<'_, Service>) -> Result<Usage, Error> {
    service.speech_usage().await
}
