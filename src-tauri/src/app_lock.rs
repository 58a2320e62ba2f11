//! The app lock and quick exit in the shell: the one gate every command passes through,
//! the idle timer, locking (which clears the page), the discreet title, and quick exit.
//!
//! Idle time is measured here, not reported by the page: the timer is reset by IPC calls
//! (other than status polls) and by the main window gaining focus. A script in the page
//! could keep the app awake by calling commands, but such a script can already read what
//! an unlocked Serene shows; the idle lock is for a person who walks away.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serene_core::service::EndReason;
use serene_core::Error;
use tauri::{AppHandle, Manager, Runtime};

use crate::commands::Service;
use crate::window::MAIN_WINDOW;

/// The title every window shows when the person chose discretion, and while locked.
pub const NEUTRAL_TITLE: &str = "Notes";
const TITLE: &str = "Serene";

/// Commands that do not count as the person being there: status polls.
const NOT_ACTIVITY: &[&str] = &["lock_status", "video_session_status"];

/// When the person last did something in Serene.
pub struct Activity(Mutex<Instant>);

impl Default for Activity {
    fn default() -> Self {
        Self(Mutex::new(Instant::now()))
    }
}

impl Activity {
    pub fn touch(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    fn idle(&self) -> Duration {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).elapsed()
    }
}

/// Runs before every command: refuses it while locked (the core decides which may run),
/// and counts it as activity.
pub fn before_command<R: Runtime>(app: &AppHandle<R>, command: &str) -> Result<(), Error> {
    app.state::<Service>().gate(command)?;
    if !NOT_ACTIVITY.contains(&command) {
        app.state::<Activity>().touch();
    }
    Ok(())
}

/// The main window's title: neutral while locked or when the person chose discretion.
pub fn apply_title<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.set_title(main_title(app));
    }
}

pub fn main_title<R: Runtime>(app: &AppHandle<R>) -> &'static str {
    let service = app.state::<Service>();
    if service.is_locked() || service.current_settings().discreet_title {
        NEUTRAL_TITLE
    } else {
        TITLE
    }
}

/// The room window's title: neutral when the person chose discretion.
pub fn room_title<R: Runtime>(app: &AppHandle<R>) -> &'static str {
    if app.state::<Service>().current_settings().discreet_title {
        NEUTRAL_TITLE
    } else {
        "Serene session"
    }
}

/// Locks (when the lock is on): ends what is running, closes the room, drops the key and
/// reloads the page so nothing it showed stays on screen or in its memory.
pub fn lock<R: Runtime>(app: &AppHandle<R>) {
    let service = app.state::<Service>();
    if !service.lock_enabled() || service.is_locked() {
        return;
    }
    end_everything_then_lock(app, true);
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.reload();
    }
}

/// Stops speech at once, closes the room window now, and ends video and voice upstream in
/// the background (each journaled and audited as usual); then, if `lock_after`, locks.
/// Ending reads the journal, which only the data key opens, so the key is dropped once the
/// ends are sent, or after five seconds whatever Tavus does: never before.
fn end_everything_then_lock<R: Runtime>(app: &AppHandle<R>, lock_after: bool) {
    let service = app.state::<Service>();
    service.stop_speech();
    crate::session_window::close_room(app);
    // The Linux app-mode browser window is closed at once, not after Tavus answers.
    let closing = app.clone();
    tauri::async_runtime::spawn(async move {
        closing.state::<Service>().close_room_app_window().await;
    });
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        let service = handle.state::<Service>();
        let ending = async {
            service.end_voice("quick_exit").await;
            if let Err(error) = service.end_active(EndReason::EndedByPerson).await {
                tracing::warn!(code = ?error.code, "session not ended at quick exit; it stays journaled");
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), ending).await;
        if lock_after && service.lock_enabled() && !service.is_locked() {
            service.lock_now();
            apply_title(&handle);
            if let Some(window) = handle.get_webview_window(MAIN_WINDOW) {
                let _ = window.reload();
            }
        }
    });
}

/// Quick exit: hides Serene (or quits, if the person chose that) at once; ends what runs,
/// closes the room, clears the page and locks. Upstream ends continue in the background.
pub fn quick_exit<R: Runtime>(app: &AppHandle<R>) {
    let service = app.state::<Service>();
    let quits = !service.is_locked() && service.current_settings().quick_exit_quits;
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.hide();
    }
    end_everything_then_lock(app, true);
    apply_title(app);
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.reload();
    }
    tracing::info!(quits, "quick exit");
    if quits {
        // The exit handler ends sessions (bounded), with every window already gone.
        app.exit(0);
    }
}

/// Locks after the idle time the person chose (never during a session).
pub fn start_idle_timer<R: Runtime>(app: &AppHandle<R>) {
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let service = handle.state::<Service>();
            if service.is_locked() || !service.lock_enabled() {
                continue;
            }
            let minutes = service.current_settings().idle_lock_minutes;
            let in_session = service.active_session().is_some() || service.voice_session_running();
            if minutes == 0 || in_session {
                handle.state::<Activity>().touch();
                continue;
            }
            if handle.state::<Activity>().idle() >= idle_limit(minutes) {
                tracing::info!("locking after idle time");
                lock(&handle);
            }
        }
    });
}

fn idle_limit(minutes: u32) -> Duration {
    #[cfg(feature = "e2e")]
    if let Ok(seconds) = std::env::var("SERENE_TEST_IDLE_SECONDS") {
        if let Ok(seconds) = seconds.parse() {
            return Duration::from_secs(seconds);
        }
    }
    Duration::from_secs(u64::from(minutes) * 60)
}

/// Focus on the main window counts as activity.
pub fn watch_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let handle = app.clone();
        window.on_window_event(move |event| {
            if let tauri::WindowEvent::Focused(true) = event {
                handle.state::<Activity>().touch();
            }
        });
    }
}
