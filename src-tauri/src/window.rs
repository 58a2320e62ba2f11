//! The main window, created from `tauri.conf.json` (where it is marked `create: false`) so
//! that the navigation and new-window guards are attached before the first page loads.

use serene_core::media;
use serene_core::navigation::is_app_url;
use tauri::webview::NewWindowResponse;
use tauri::{AppHandle, Manager, Runtime, WebviewWindow, WebviewWindowBuilder};

use crate::commands::Service;

pub const MAIN_WINDOW: &str = "main";

pub fn create_main_window<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<WebviewWindow<R>> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|window| window.label == MAIN_WINDOW)
        .cloned()
        .ok_or_else(|| tauri::Error::WindowNotFound)?;
    let window = WebviewWindowBuilder::from_config(app, &config)?
        .devtools(cfg!(debug_assertions))
        .initialization_script_for_all_frames(crate::no_webrtc::SCRIPT)
        .on_navigation(|url| {
            let allowed = is_app_url(url);
            if !allowed {
                // Scheme and host only: a URL's path or query may carry a token.
                tracing::warn!(
                    scheme = url.scheme(),
                    host = url.host_str(),
                    "blocked navigation away from the app"
                );
            }
            allowed
        })
        .on_new_window(|url, _features| {
            tracing::warn!(
                scheme = url.scheme(),
                host = url.host_str(),
                "blocked a new-window request"
            );
            NewWindowResponse::Deny
        })
        .on_download(crate::downloads::refuse)
        .build()?;
    let asking = app.clone();
    crate::permissions::guard_media(&window, media::Window::Main, move || {
        asking.state::<Service>().media_state()
    });
    let handle = app.clone();
    window.on_window_event(move |event| {
        // Closing the main window quits Serene, and so ends a session, even while a
        // session window is still open.
        if let tauri::WindowEvent::Destroyed = event {
            let service = handle.state::<Service>();
            let ending = service.end_voice("window_closed");
            let _ = tauri::async_runtime::block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(4), ending).await
            });
            handle.exit(0);
        }
    });
    Ok(window)
}

pub fn focus_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
