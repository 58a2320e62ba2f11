//! The app lock and quick exit.

use serene_core::sensitive::Sensitive;
use serene_core::service::{LockRequest, LockStatus};
use serene_core::{Error, ErrorCode};
use tauri::{AppHandle, Manager, Runtime, State};

use super::Service;

#[tauri::command]
pub fn lock_status(service: State<'_, Service>) -> LockStatus {
    service.lock_status()
}

/// Turns the lock on, changes its passphrase or turns it off (confirmed natively).
#[tauri::command]
pub async fn set_lock<R: Runtime>(
    app: AppHandle<R>,
    service: State<'_, Service>,
    request: Option<serde_json::Value>,
) -> Result<LockStatus, Error> {
    let request = LockRequest::from_json(request.unwrap_or_default())?;
    let status = service.set_lock(request).await?;
    crate::app_lock::apply_title(&app);
    Ok(status)
}

/// Unlocks with the passphrase. Argon2id takes a moment: it runs off the async runtime.
#[tauri::command]
pub async fn unlock<R: Runtime>(
    app: AppHandle<R>,
    passphrase: Option<serde_json::Value>,
) -> Result<LockStatus, Error> {
    // Parsed here, not by Tauri, whose error would repeat the value.
    let passphrase = match passphrase {
        Some(serde_json::Value::String(text)) => Sensitive::new(text),
        _ => return Err(Error::invalid_input("That passphrase is not valid.")),
    };
    let handle = app.clone();
    let status =
        tauri::async_runtime::spawn_blocking(move || handle.state::<Service>().unlock(&passphrase))
            .await
            .map_err(|_| {
                Error::new(
                    ErrorCode::Internal,
                    "Serene could not check the passphrase.",
                )
            })??;
    crate::app_lock::apply_title(&app);
    app.state::<crate::app_lock::Activity>().touch();
    crate::end_sessions_left_open(&app);
    Ok(status)
}

#[tauri::command]
pub fn lock_now<R: Runtime>(app: AppHandle<R>) -> LockStatus {
    crate::app_lock::lock(&app);
    app.state::<Service>().lock_status()
}

#[tauri::command]
pub fn quick_exit<R: Runtime>(app: AppHandle<R>) {
    crate::app_lock::quick_exit(&app);
}
