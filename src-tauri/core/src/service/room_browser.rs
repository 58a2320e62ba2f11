//! Where the room is shown, and the app-mode browser window that shows it on Linux when
//! the webview has no WebRTC: opened for the running session only, closed (and its
//! profile deleted) whenever that session ends, and swept up at the next start after a
//! crash.

use std::path::PathBuf;

use super::Service;
use crate::error::{Error, ErrorCode, Result};
use crate::session::presentation::{decide, Platform, Probe, RoomPresentation};
use crate::vault::SecretStore;

#[derive(Default)]
pub(super) struct AppWindowSlot {
    #[cfg(target_os = "linux")]
    open: std::sync::Mutex<Option<linux::Open>>,
}

impl<S: SecretStore> Service<S> {
    /// Where the room goes. `webview_has_webrtc` comes from the shell's probe, which never
    /// runs in the main page.
    pub fn room_presentation(&self, webview_has_webrtc: Option<bool>) -> RoomPresentation {
        #[cfg(feature = "e2e")]
        if let Ok(forced) = std::env::var("SERENE_TEST_ROOM_PRESENTATION") {
            match forced.as_str() {
                "window" => return RoomPresentation::Window,
                "browser" => return RoomPresentation::Browser,
                _ => {}
            }
        }
        decide(
            Platform::current(),
            Probe {
                webview_has_webrtc,
                app_browser_found: self.app_browser().is_some(),
            },
        )
    }

    /// The Chromium-family browser an app window would use, if one is installed.
    pub fn app_browser(&self) -> Option<PathBuf> {
        #[cfg(feature = "e2e")]
        if let Some(chosen) = std::env::var_os("SERENE_TEST_APP_BROWSER") {
            return (chosen != "none").then(|| PathBuf::from(chosen));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = std::env::var_os("PATH")?;
            crate::session::app_browser::find_browser(&path, |candidate| {
                std::fs::metadata(candidate)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
        }
        #[cfg(not(unix))]
        None
    }

    /// The conversation whose room an app window shows, if one is open.
    pub fn app_window_conversation(&self) -> Option<String> {
        #[cfg(target_os = "linux")]
        {
            self.app_window_slot()
                .as_ref()
                .map(|o| o.conversation_id.clone())
        }
        #[cfg(not(target_os = "linux"))]
        None
    }

    /// Opens (or opens again) the running session's room in an app window.
    pub async fn open_room_app_window(&self, conversation_id: &str) -> Result<()> {
        let room = self
            .active_session()
            .filter(|active| active.conversation_id == conversation_id)
            .map(|active| active.room_url)
            .ok_or_else(|| Error::not_allowed("That session is not running."))?;
        let browser = self.app_browser().ok_or_else(|| {
            Error::new(
                ErrorCode::SystemUnavailable,
                "No Chromium-family browser is installed for the session window.",
            )
        })?;
        self.close_room_app_window().await;
        #[cfg(target_os = "linux")]
        {
            // Two quick requests must not leave a window nobody tracks.
            if let Some(previous) = linux::open(self, conversation_id, &browser, &room)? {
                linux::close(self, previous).await;
            }
            Ok(())
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (browser, room);
            Err(Error::new(
                ErrorCode::SystemUnavailable,
                "Session windows in a browser are only made on Linux.",
            ))
        }
    }

    /// Closes the app window, if one is open, and deletes its profile.
    pub async fn close_room_app_window(&self) {
        #[cfg(target_os = "linux")]
        {
            let open = self.app_window_slot().take();
            if let Some(open) = open {
                linux::close(self, open).await;
            }
        }
    }

    /// Closes the app window if it shows `conversation_id` (a session ending).
    pub(super) async fn close_room_app_window_of(&self, conversation_id: &str) {
        if self.app_window_conversation().as_deref() == Some(conversation_id) {
            self.close_room_app_window().await;
        }
    }

    /// At start-up: browsers and profiles an earlier run left behind (a crash, `kill -9`).
    /// Returns how many profiles were removed.
    pub async fn close_left_over_app_windows(&self) -> usize {
        #[cfg(target_os = "linux")]
        {
            linux::sweep(self).await
        }
        #[cfg(not(target_os = "linux"))]
        0
    }

    #[cfg(target_os = "linux")]
    fn app_window_slot(&self) -> std::sync::MutexGuard<'_, Option<linux::Open>> {
        self.app_window
            .open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    fn room_browser_root(&self) -> PathBuf {
        self.dirs.cache.join("room-browser")
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::path::{Path, PathBuf};
    use std::process::Child;

    use super::Service;
    use crate::error::{Error, ErrorCode, Result};
    use crate::session::app_browser::{self, Record};
    use crate::session::browser_process;
    use crate::vault::SecretStore;

    pub(super) struct Open {
        pub conversation_id: String,
        record: Record,
        child: Child,
    }

    pub(super) fn open<S: SecretStore>(
        service: &Service<S>,
        conversation_id: &str,
        browser: &Path,
        room: &url::Url,
    ) -> Result<Option<Open>> {
        let root = service.room_browser_root();
        let failed = |error: std::io::Error| {
            tracing::warn!(%error, "could not open the session's browser window");
            Error::new(
                ErrorCode::SystemUnavailable,
                "Serene couldn't open the session window in your browser.",
            )
        };
        crate::logging::create_private_dir(&root).map_err(failed)?;
        let profile = app_browser::new_profile(&root).map_err(failed)?;
        let child = browser_process::spawn(browser, room, &profile).map_err(|error| {
            browser_process::remove_profile(&profile);
            failed(error)
        })?;
        let record = Record {
            pid: child.id(),
            profile,
        };
        // Recorded at once, so that the next start finds it after a crash.
        let mut records = app_browser::read_records(&root);
        records.push(record.clone());
        if let Err(error) = app_browser::write_records(&root, &records) {
            tracing::warn!(%error, "the session window's state file was not written");
        }
        Ok(service.app_window_slot().replace(Open {
            conversation_id: conversation_id.to_string(),
            record,
            child,
        }))
    }

    pub(super) async fn close<S: SecretStore>(service: &Service<S>, open: Open) {
        let Open { record, child, .. } = open;
        let kept = record.clone();
        let removed =
            tokio::task::spawn_blocking(move || browser_process::stop(&kept, Some(child)))
                .await
                .unwrap_or(false);
        if removed {
            forget(&service.room_browser_root(), &[record.profile]);
        } else {
            tracing::warn!("the session window's profile could not be deleted yet");
        }
    }

    pub(super) async fn sweep<S: SecretStore>(service: &Service<S>) -> usize {
        let root = service.room_browser_root();
        let showing: Option<PathBuf> = service
            .app_window_slot()
            .as_ref()
            .map(|o| o.record.profile.clone());
        tokio::task::spawn_blocking(move || {
            let mut records = app_browser::read_records(&root);
            for profile in browser_process::leftover_profiles(&root) {
                if !records.iter().any(|r| r.profile == profile) {
                    records.push(Record { pid: 0, profile });
                }
            }
            records.retain(|r| Some(&r.profile) != showing.as_ref());
            let removed: Vec<PathBuf> = records
                .iter()
                .filter(|record| browser_process::stop(record, None))
                .map(|record| record.profile.clone())
                .collect();
            forget(&root, &removed);
            removed.len()
        })
        .await
        .unwrap_or(0)
    }

    fn forget(root: &Path, profiles: &[PathBuf]) {
        let mut records = app_browser::read_records(root);
        records.retain(|r| !profiles.contains(&r.profile));
        if let Err(error) = app_browser::write_records(root, &records) {
            tracing::warn!(%error, "the session window's state file was not updated");
        }
    }
}
