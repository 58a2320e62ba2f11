//! Voice-only conversations: the agent's events reach the page over a channel; microphone
//! frames come back as raw bytes (no JSON, no base64 on the way in).

use serene_core::agent::AgentEvent;
use serene_core::service::{VoiceSession, VoiceStartRequest};
use serene_core::Error;
use tauri::ipc::{Channel, InvokeBody, Request};
use tauri::{Runtime, State, Webview};

use super::Service;

#[tauri::command]
pub async fn start_voice_session<R: Runtime>(
    webview: Webview<R>,
    service: State<'_, Service>,
    request: serde_json::Value,
    on_event: String,
) -> Result<VoiceSession, Error> {
    let on_event: Channel<AgentEvent> = super::channel(&webview, &on_event)?;
    let request = VoiceStartRequest::from_json(request)?;
    service
        .start_voice(request, move |event| {
            let _ = on_event.send(event);
        })
        .await
}

#[tauri::command]
pub fn send_voice_audio(service: State<'_, Service>, request: Request<'_>) -> Result<(), Error> {
    match request.body() {
        InvokeBody::Raw(pcm) => service.send_voice_audio(pcm),
        InvokeBody::Json(_) => Err(Error::invalid_input(
            "Microphone audio must be sent as raw bytes.",
        )),
    }
}

#[tauri::command]
pub async fn end_voice_session(service: State<'_, Service>) -> Result<(), Error> {
    service.end_voice("ended_by_person").await;
    Ok(())
}
