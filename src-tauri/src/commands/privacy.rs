//! Consent, the privacy dashboard, the audit log, export and delete-everything.

use serene_core::confirm::Change;
use serene_core::service::{
    AuditView, ConsentView, DeletionOptions, DeletionProgress, DeletionReport, PrivacyOverview,
};
use serene_core::views::ExportOutcome;
use serene_core::{Error, ErrorCode};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State, Webview};

use super::Service;

#[tauri::command]
pub async fn get_consent(service: State<'_, Service>) -> Result<ConsentView, Error> {
    Ok(service.consent())
}

#[tauri::command]
pub async fn give_consent(
    service: State<'_, Service>,
    version: serde_json::Value,
) -> Result<ConsentView, Error> {
    // Parsed here, not by Tauri, whose error would repeat a wrong value of any size.
    let version = version
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| Error::invalid_input("That consent version is not valid."))?;
    service.give_consent(version)
}

#[tauri::command]
pub async fn withdraw_consent(service: State<'_, Service>) -> Result<ConsentView, Error> {
    service.withdraw_consent()
}

#[tauri::command]
pub async fn privacy_overview(service: State<'_, Service>) -> Result<PrivacyOverview, Error> {
    service.privacy_overview()
}

#[tauri::command]
pub async fn audit_log(service: State<'_, Service>) -> Result<AuditView, Error> {
    service.audit()
}

/// Asks where to save (native dialog), then writes everything local as one JSON file.
#[tauri::command]
pub async fn export_data<R: Runtime>(
    app: AppHandle<R>,
    service: State<'_, Service>,
) -> Result<ExportOutcome, Error> {
    // Build the document first: if it cannot be made, do not ask where to save it.
    let document = service.export()?;
    let Some(path) = crate::external::choose_export_path(&app) else {
        return Ok(ExportOutcome {
            saved: false,
            file_name: None,
        });
    };
    let text = serde_json::to_vec_pretty(&document).map_err(|_| Error::internal())?;
    // Into the folder the person chose, as it is: its permissions are theirs, not ours.
    serene_core::atomic_file::write_private_file(&path, &text).map_err(|error| {
        tracing::warn!(%error, "export could not be written");
        Error::new(
            ErrorCode::SystemUnavailable,
            "Serene couldn't write the export there. Choose another folder and try again.",
        )
    })?;
    Ok(ExportOutcome {
        saved: true,
        file_name: path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string),
    })
}

/// Progress goes to the page over `on_progress` as the core reports it.
#[tauri::command]
pub async fn delete_everything<R: Runtime>(
    webview: Webview<R>,
    service: State<'_, Service>,
    options: serde_json::Value,
    on_progress: String,
) -> Result<DeletionReport, Error> {
    let on_progress: Channel<DeletionProgress> = super::channel(&webview, &on_progress)?;
    let options = DeletionOptions::from_json(options)?;
    // Asked outside the page, every time: a script cannot start (or finish) a deletion.
    service
        .confirm(&if options.leave_remote {
            Change::DeleteLeavingRemote
        } else {
            Change::DeleteEverything
        })
        .await?;
    service
        .delete_everything_with(options, |progress| {
            let _ = on_progress.send(progress);
        })
        .await
}
