//! Signed updates through `tauri-plugin-updater`, driven from Rust only (no capability
//! grants the page the plugin's own commands). The plugin verifies the minisign signature
//! and, with `requireSignedVersion`, that it was made for the announced version; this module
//! adds the channel, HTTPS-only downloads and redirects, the session gate, and maps every
//! failure onto the core's refusals and error codes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serene_core::service::Service;
use serene_core::updates::{self, DownloadProgress, Refusal, UpdateOffer};
use serene_core::{Error, ErrorCode};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime};
use tauri_plugin_updater::{Update, UpdaterExt};
use url::Url;

/// Progress is reported at most once per this many bytes (and at the end).
const PROGRESS_STEP: u64 = 256 * 1024;

/// The update offered to the person, and its verified bytes once downloaded.
#[derive(Default)]
pub struct UpdateState {
    offered: Mutex<Option<Update>>,
    downloaded: Mutex<Option<(Update, Vec<u8>)>>,
    busy: AtomicBool,
}

impl UpdateState {
    fn offered(&self) -> Option<Update> {
        self.offered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_offered(&self, update: Option<Update>) {
        *self.offered.lock().unwrap_or_else(|p| p.into_inner()) = update;
        *self.downloaded.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn take_downloaded(&self) -> Option<(Update, Vec<u8>)> {
        self.downloaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// One update operation at a time; a second click while one runs is refused.
    fn start(&self) -> Result<BusyGuard<'_>, Error> {
        if self.busy.swap(true, Ordering::SeqCst) {
            return Err(Error::not_allowed(
                "Serene is already working on an update.",
            ));
        }
        Ok(BusyGuard(&self.busy))
    }
}

struct BusyGuard<'a>(&'a AtomicBool);

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The e2e build's loopback update server, the one origin allowed plain HTTP.
fn test_origin() -> Option<Url> {
    if cfg!(feature = "e2e") {
        env(updates::TEST_ENDPOINT_VAR).and_then(|raw| Url::parse(&raw).ok())
    } else {
        None
    }
}

/// Asks the channel's server for an update. `None`: Serene is up to date.
pub async fn check<R: Runtime>(
    app: &AppHandle<R>,
    service: &Service,
    state: &UpdateState,
) -> Result<Option<UpdateOffer>, Error> {
    let _busy = state.start()?;
    let endpoint = updates::endpoint_from(service.update_channel(), env);
    let offered_older = Arc::new(AtomicBool::new(false));
    let seen_older = offered_older.clone();
    let builder = app
        .updater_builder()
        .endpoints(vec![endpoint])
        .map_err(|error| failure(service, &error))?
        .timeout(Duration::from_secs(30))
        .version_comparator(move |current, release| {
            if release.version < current {
                seen_older.store(true, Ordering::SeqCst);
            }
            release.version > current
        })
        .configure_client(|client| {
            client
                .connect_timeout(Duration::from_secs(15))
                .read_timeout(Duration::from_secs(30))
                .redirect(https_redirects_only())
        });
    #[cfg(feature = "e2e")]
    let builder = match env(updates::TEST_PUBKEY_VAR) {
        Some(pubkey) => builder.pubkey(pubkey),
        None => builder,
    };
    let updater = builder.build().map_err(|error| failure(service, &error))?;
    let update = match updater.check().await {
        Ok(Some(update)) => update,
        Ok(None) if offered_older.load(Ordering::SeqCst) => {
            return Err(service.refuse_update(Refusal::Downgrade))
        }
        Ok(None) => {
            service.record_update_checked("up_to_date");
            state.set_offered(None);
            return Ok(None);
        }
        Err(error) => return Err(failure(service, &error)),
    };
    updates::check_download_url(&update.download_url, test_origin().as_ref())
        .map_err(|refusal| service.refuse_update(refusal))?;
    service.record_update_checked(&format!("available {}", update.version));
    let offer = UpdateOffer {
        version: update.version.clone(),
        current_version: update.current_version.clone(),
        notes: updates::notes_for_display(update.body.as_deref()),
        date: update.date.map(|date| date.date().to_string()),
    };
    state.set_offered(Some(update));
    Ok(Some(offer))
}

/// Downloads the offered update, reporting progress, and keeps it once its signature holds.
pub async fn download(
    service: &Service,
    state: &UpdateState,
    progress: &Channel<DownloadProgress>,
) -> Result<(), Error> {
    service.ensure_no_session()?;
    let _busy = state.start()?;
    let update = state.offered().ok_or_else(nothing_offered)?;
    let mut downloaded = 0u64;
    let mut reported = 0u64;
    let bytes = update
        .download(
            |chunk, total| {
                downloaded += chunk as u64;
                if downloaded - reported >= PROGRESS_STEP || total == Some(downloaded) {
                    reported = downloaded;
                    let _ = progress.send(DownloadProgress { downloaded, total });
                }
            },
            || {},
        )
        .await
        .map_err(|error| failure(service, &error))?;
    let _ = progress.send(DownloadProgress {
        downloaded: bytes.len() as u64,
        total: Some(bytes.len() as u64),
    });
    *state.downloaded.lock().unwrap_or_else(|p| p.into_inner()) = Some((update, bytes));
    Ok(())
}

/// Installs the downloaded update (verified again first) and restarts Serene.
pub async fn install<R: Runtime>(
    app: &AppHandle<R>,
    service: &Service,
    state: &UpdateState,
) -> Result<(), Error> {
    service.ensure_no_session()?;
    let _busy = state.start()?;
    let (update, bytes) = state.take_downloaded().ok_or_else(nothing_offered)?;
    let version = update.version.clone();
    #[cfg(feature = "e2e")]
    if let Some(log) = env(updates::TEST_INSTALL_LOG_VAR) {
        update
            .verify(&bytes)
            .map_err(|error| failure(service, &error))?;
        std::fs::write(log, format!("{version} {}\n", bytes.len()))
            .map_err(|_| Error::internal())?;
        service.record_update_installed(&version);
        return Ok(());
    }
    // Installing may wait on the system (a password prompt for a .deb), off the async pool.
    tauri::async_runtime::spawn_blocking(move || update.install(&bytes))
        .await
        .map_err(|_| Error::internal())?
        .map_err(|error| failure(service, &error))?;
    service.record_update_installed(&version);
    app.restart();
}

fn nothing_offered() -> Error {
    Error::new(
        ErrorCode::NotFound,
        "No update is waiting. Check for updates first.",
    )
}

/// Redirects (release hosts use them) are followed only to HTTPS, at most five.
fn https_redirects_only() -> reqwest::redirect::Policy {
    let origin = test_origin();
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 5 {
            attempt.error("too many redirects")
        } else if updates::check_download_url(attempt.url(), origin.as_ref()).is_err() {
            attempt.error("redirect away from HTTPS")
        } else {
            attempt.follow()
        }
    })
}

/// What went wrong, for the person: refusals are audited, plain failures are not.
fn failure(service: &Service, error: &tauri_plugin_updater::Error) -> Error {
    match classify(error) {
        Ok(refusal) => service.refuse_update(refusal),
        Err(failure) => {
            tracing::warn!(%error, "update check failed");
            failure
        }
    }
}

fn classify(error: &tauri_plugin_updater::Error) -> Result<Refusal, Error> {
    use tauri_plugin_updater::Error as E;
    Ok(match error {
        E::Minisign(minisign_verify::Error::UnexpectedKeyId) => Refusal::UnknownKey,
        E::Minisign(_) | E::Base64(_) | E::SignatureUtf8(_) => Refusal::BadSignature,
        E::SignedVersionMismatch { .. } | E::MissingSignedVersion => Refusal::VersionMismatch,
        E::InsecureTransportProtocol => Refusal::Insecure,
        E::Serialization(_)
        | E::Semver(_)
        | E::UrlParse(_)
        | E::TargetNotFound(_)
        | E::TargetsNotFound(_) => Refusal::Malformed,
        E::Reqwest(error) if error.is_decode() => Refusal::Malformed,
        E::Reqwest(error) if error.is_redirect() => Refusal::Insecure,
        E::Reqwest(error) if error.is_timeout() => {
            return Err(Error::new(
                ErrorCode::UpstreamTimeout,
                "The update server did not answer in time. Please try again later.",
            ))
        }
        E::Reqwest(_) => {
            return Err(Error::new(
                ErrorCode::NetworkUnavailable,
                "Serene could not reach the update server. Check your connection and try again.",
            ))
        }
        E::ReleaseNotFound | E::Network(_) => {
            return Err(Error::new(
                ErrorCode::UpstreamUnavailable,
                "The update server is not answering properly right now. Please try again later.",
            ))
        }
        _ => return Err(Error::internal()),
    })
}
