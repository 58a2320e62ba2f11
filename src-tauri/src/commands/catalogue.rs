//! What the person picks from: Tavus replicas and personas, ElevenLabs voices and models.

use serene_core::service::Choice;
use serene_core::Error;
use tauri::State;

use super::Service;

#[tauri::command]
pub async fn list_replicas(service: State<'_, Service>) -> Result<Vec<Choice>, Error> {
    service.replicas().await
}

#[tauri::command]
pub async fn list_personas(service: State<'_, Service>) -> Result<Vec<Choice>, Error> {
    service.personas().await
}

#[tauri::command]
pub async fn list_voices(service: State<'_, Service>) -> Result<Vec<Choice>, Error> {
    service.voices().await
}

#[tauri::command]
pub async fn list_models(service: State<'_, Service>) -> Result<Vec<Choice>, Error> {
    service.models().await
}
