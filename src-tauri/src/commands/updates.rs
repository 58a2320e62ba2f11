//! Updates: check, download with progress, install and restart.

use serene_core::updates::{DownloadProgress, UpdateOffer};
use serene_core::Error;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State, Webview};

use super::Service;
use crate::updates::{self, UpdateState};

#[tauri::command]
pub async fn check_for_update<R: Runtime>(
    app: AppHandle<R>,
    service: State<'_, Service>,
    state: State<'_, UpdateState>,
) -> Result<Option<UpdateOffer>, Error> {
    updates::check(&app, &service, &state).await
}

#[tauri::command]
pub async fn download_update<R: Runtime>(
    webview: Webview<R>,
    service: State<'_, Service>,
    state: State<'_, UpdateState>,
    on_progress: String,
) -> Result<(), Error> {
    let on_progress: Channel<DownloadProgress> = super::channel(&webview, &on_progress)?;
    updates::download(&service, &state, &on_progress).await
}

#[tauri::command]
pub async fn install_update<R: Runtime>(
    app: AppHandle<R>,
    service: State<'_, Service>,
    state: State<'_, UpdateState>,
) -> Result<(), Error> {
    updates::install(&app, &service, &state).await
}
