//! Non-secret settings.

use serene_core::service::{Budgets, SettingsView};
use serene_core::settings::SettingsPatch;
use serene_core::Error;
use tauri::State;

use super::Service;

#[tauri::command]
pub async fn get_settings(service: State<'_, Service>) -> Result<SettingsView, Error> {
    Ok(service.settings())
}

#[tauri::command]
pub async fn update_settings(
    service: State<'_, Service>,
    patch: serde_json::Value,
) -> Result<SettingsView, Error> {
    service
        .update_settings(SettingsPatch::from_json(patch)?)
        .await
}

#[tauri::command]
pub async fn spending_budgets(service: State<'_, Service>) -> Result<Budgets, Error> {
    service.budgets()
}
