//! API keys: the key travels UI → core only, as `Sensitive`; every answer is a `KeyView`.

use serene_core::provider::Provider;
use serene_core::service::KeyView;
use serene_core::{Error, Sensitive};
use tauri::State;

use super::Service;

#[tauri::command]
pub async fn key_status(service: State<'_, Service>, provider: String) -> Result<KeyView, Error> {
    service.key_view(Provider::parse(&provider)?)
}

#[tauri::command]
pub async fn set_api_key(
    service: State<'_, Service>,
    provider: String,
    key: Sensitive<String>,
) -> Result<KeyView, Error> {
    service.set_key(Provider::parse(&provider)?, &key).await
}

#[tauri::command]
pub async fn remove_api_key(
    service: State<'_, Service>,
    provider: String,
) -> Result<KeyView, Error> {
    service.remove_key(Provider::parse(&provider)?).await
}

#[tauri::command]
pub async fn verify_api_key(
    service: State<'_, Service>,
    provider: String,
) -> Result<KeyView, Error> {
    service.verify_key(Provider::parse(&provider)?).await
}
