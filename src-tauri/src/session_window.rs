//! The room window: third-party content (Daily Prebuilt, run by Tavus) in its own window.
//!
//! Its label, `room`, is named by no capability, so Tauri refuses every IPC call from it;
//! its navigation is locked to the room's origin and every new window is denied. Closing
//! it ends the session.

use serene_core::service::{EndReason, StartedSession};
use tauri::webview::NewWindowResponse;
use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use url::Url;

use crate::commands::Service;

pub const ROOM_WINDOW: &str = "room";

pub fn open_room<R: Runtime>(app: &AppHandle<R>, room: Url) -> tauri::Result<()> {
    close_room(app);
    let origin = room.origin();
    let window = WebviewWindowBuilder::new(app, ROOM_WINDOW, WebviewUrl::External(room))
        .title(crate::app_lock::room_title(app))
        .inner_size(960.0, 720.0)
        .devtools(false)
        .on_navigation(move |url| {
            let allowed = url.origin() == origin;
            if !allowed {
                tracing::warn!(
                    scheme = url.scheme(),
                    "blocked a navigation out of the room"
                );
            }
            allowed
        })
        .on_new_window(|_, _| NewWindowResponse::Deny)
        .on_download(crate::downloads::refuse)
        .build()?;
    let watcher = app.clone();
    crate::permissions::guard_media(&window, serene_core::media::Window::Room, move || {
        watcher.state::<Service>().media_state()
    });
    let handle = app.clone();
    window.on_window_event(move |event| {
        if let WindowEvent::Destroyed = event {
            let handle = handle.clone();
            tauri::async_runtime::spawn(async move {
                let service = handle.state::<Service>();
                if let Err(error) = service.end_active(EndReason::WindowClosed).await {
                    tracing::warn!(code = ?error.code, "session not ended after its window closed");
                }
            });
        }
    });
    Ok(())
}

pub fn close_room<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(ROOM_WINDOW) {
        let _ = window.destroy();
    }
}

/// Ends the session when its time is up, even if the page never asks (a safety net: the
/// UI's own timer normally ends it first).
pub fn end_when_time_is_up<R: Runtime>(app: &AppHandle<R>, started: &StartedSession) {
    let handle = app.clone();
    let id = started.conversation_id.clone();
    let seconds = started.ends_at.saturating_sub(started.started_at) + 30;
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
        let service = handle.state::<Service>();
        if service
            .active_session()
            .is_some_and(|a| a.conversation_id == id)
        {
            let _ = service.end_video(&id, EndReason::TimeUp).await;
            close_room(&handle);
        }
    });
}
