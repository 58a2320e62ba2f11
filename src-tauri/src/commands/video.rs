//! Face-to-face sessions. The room URL never comes from the page: the core validated it,
//! and these commands look it up by conversation id.

use serene_core::service::{EndReason, SessionStatus, StartRequest, StartedSession};
use serene_core::session::presentation::RoomPresentation;
use serene_core::{Error, ErrorCode};
use tauri::{AppHandle, Manager, Runtime, State};

use super::Service;

#[tauri::command]
pub async fn start_video_session<R: Runtime>(
    app: AppHandle<R>,
    service: State<'_, Service>,
    request: serde_json::Value,
) -> Result<StartedSession, Error> {
    let started = service
        .start_video(StartRequest::from_json(request)?)
        .await?;
    crate::session_window::end_when_time_is_up(&app, &started);
    Ok(started)
}

#[tauri::command]
pub async fn end_video_session<R: Runtime>(
    app: AppHandle<R>,
    service: State<'_, Service>,
    conversation_id: String,
) -> Result<(), Error> {
    // End first: closing the room window also ends the active session, which would
    // otherwise ask Tavus a second time.
    let showing = room_shows(&service, &conversation_id);
    let ended = service
        .end_video(&conversation_id, EndReason::EndedByPerson)
        .await;
    if showing {
        crate::session_window::close_room(&app);
    }
    ended
}

#[tauri::command]
pub async fn video_session_status<R: Runtime>(
    app: AppHandle<R>,
    service: State<'_, Service>,
    conversation_id: String,
) -> Result<SessionStatus, Error> {
    let status = service.video_status(&conversation_id).await?;
    if status.ended {
        close_room_if_showing(&app, &service, &conversation_id);
    }
    Ok(status)
}

#[tauri::command]
pub async fn stuck_sessions(service: State<'_, Service>) -> Result<usize, Error> {
    Ok(service.stuck_sessions().await?.len())
}

#[tauri::command]
pub async fn end_stuck_sessions(service: State<'_, Service>) -> Result<usize, Error> {
    service.end_stuck_sessions().await
}

#[tauri::command]
pub async fn check_video_setup(service: State<'_, Service>) -> Result<String, Error> {
    service.check_video_setup().await
}

fn active_room(service: &Service, conversation_id: &str) -> Result<url::Url, Error> {
    service
        .active_session()
        .filter(|active| active.conversation_id == conversation_id)
        .map(|active| active.room_url)
        .ok_or_else(|| Error::new(ErrorCode::NotAllowed, "That session is not running."))
}

/// Where the room will be shown, for the start screen's wording. The core decides, from
/// the platform and a probe that never runs in the main page.
#[tauri::command]
pub async fn room_presentation<R: Runtime>(
    app: AppHandle<R>,
    service: State<'_, Service>,
) -> Result<RoomPresentation, Error> {
    let webrtc = crate::webrtc_probe::webview_has_webrtc(&app).await;
    Ok(service.room_presentation(webrtc))
}

/// Shows (or shows again) the running session's room where the core decides: a window no
/// capability names, an app window of a Chromium-family browser that Serene closes with
/// the session, or the default browser. The page names the session; the URL, with its
/// token, stays in the core.
#[tauri::command]
pub async fn show_room<R: Runtime>(
    app: AppHandle<R>,
    service: State<'_, Service>,
    conversation_id: String,
) -> Result<RoomPresentation, Error> {
    let room = active_room(&service, &conversation_id)?;
    let webrtc = crate::webrtc_probe::webview_has_webrtc(&app).await;
    match service.room_presentation(webrtc) {
        RoomPresentation::Window => {
            // Shown again: the open window (only ever the running session's) comes forward.
            if let Some(window) = app.get_webview_window(crate::session_window::ROOM_WINDOW) {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
                return Ok(RoomPresentation::Window);
            }
            crate::session_window::open_room(&app, room).map_err(|error| {
                tracing::warn!(%error, "could not open the session window");
                Error::new(
                    ErrorCode::SystemUnavailable,
                    "Serene couldn't open the session window. Please try again.",
                )
            })?;
            Ok(RoomPresentation::Window)
        }
        RoomPresentation::AppWindow => match service.open_room_app_window(&conversation_id).await {
            Ok(()) => Ok(RoomPresentation::AppWindow),
            Err(error) => {
                tracing::warn!(code = ?error.code, "no app window; using the default browser");
                crate::external::open_in_browser(&room)?;
                Ok(RoomPresentation::Browser)
            }
        },
        RoomPresentation::Browser => {
            crate::external::open_in_browser(&room)?;
            Ok(RoomPresentation::Browser)
        }
    }
}

/// Whether the room window (if any) belongs to `conversation_id`: it shows the active
/// session, or an ended one whose window is still closing. An unrelated or stale id must
/// never close the room of the session that is running.
fn room_shows(service: &Service, conversation_id: &str) -> bool {
    service
        .active_session()
        .is_none_or(|active| active.conversation_id == conversation_id)
}

fn close_room_if_showing<R: Runtime>(app: &AppHandle<R>, service: &Service, conversation_id: &str) {
    if room_shows(service, conversation_id) {
        crate::session_window::close_room(app);
    }
}
