//! WebView2: every `PermissionRequested` event (camera, microphone, location,
//! notifications, clipboard, MIDI, sensors, downloads, fonts, window management...) is
//! answered ALLOW or DENY by the core's rule, and the answer is not saved in the profile:
//! WebView2 would otherwise remember an origin's answer and stop asking. Choices that an
//! earlier build left in the profile (WebView2's own prompt, before this handler existed)
//! are reset to the default, so none of them answers for us either.

use serene_core::media::{Request, Window};
use tauri::webview::PlatformWebview;
use webview2_com::Microsoft::Web::WebView2::Win32::{
    ICoreWebView2, ICoreWebView2PermissionRequestedEventArgs,
    ICoreWebView2PermissionRequestedEventArgs3, ICoreWebView2Profile4, ICoreWebView2_13,
    COREWEBVIEW2_PERMISSION_KIND, COREWEBVIEW2_PERMISSION_KIND_CAMERA,
    COREWEBVIEW2_PERMISSION_KIND_MICROPHONE, COREWEBVIEW2_PERMISSION_STATE_ALLOW,
    COREWEBVIEW2_PERMISSION_STATE_DEFAULT, COREWEBVIEW2_PERMISSION_STATE_DENY,
};
use webview2_com::{
    take_pwstr, GetNonDefaultPermissionSettingsCompletedHandler, PermissionRequestedEventHandler,
    SetPermissionStateCompletedHandler,
};
use windows_core::{Interface, HSTRING, PWSTR};

use super::MediaState;

pub(super) fn guard(webview: PlatformWebview, which: Window, running: MediaState) {
    let installed = unsafe { webview.controller().CoreWebView2() }
        .and_then(|core| unsafe { answer_requests(&core, which, running).map(|()| core) });
    match installed {
        Ok(core) => {
            if let Err(error) = unsafe { forget_remembered_choices(&core) } {
                tracing::warn!(%error, "could not reset WebView2's remembered permissions");
            }
        }
        Err(error) => {
            tracing::warn!(%error, window = ?which, "could not install the permission handler")
        }
    }
}

unsafe fn answer_requests(
    core: &ICoreWebView2,
    which: Window,
    running: MediaState,
) -> windows_core::Result<()> {
    let handler = PermissionRequestedEventHandler::create(Box::new(move |_, args| {
        let Some(args) = args else { return Ok(()) };
        // Decided first, so that a failure below still leaves a refusal, never a prompt.
        let decision = unsafe { describe(&args) }
            .map(|(request, requester)| super::decide(which, request, &requester, &running));
        let allowed = decision.is_ok_and(|decision| decision.allowed());
        let state = if allowed {
            COREWEBVIEW2_PERMISSION_STATE_ALLOW
        } else {
            COREWEBVIEW2_PERMISSION_STATE_DENY
        };
        // The answer first: should anything after it fail, the request still has one.
        unsafe { args.SetState(state)? };
        if let Ok(args3) = args.cast::<ICoreWebView2PermissionRequestedEventArgs3>() {
            if let Err(error) = unsafe { args3.SetSavesInProfile(false) } {
                tracing::warn!(%error, "WebView2 may remember this permission answer");
            }
        }
        Ok(())
    }));
    let mut token = 0i64;
    unsafe { core.add_PermissionRequested(&handler, &mut token) }
}

/// The request in the core's terms, and the URI of the frame that asks. WebView2 raises
/// one event per kind, so a page asking for both devices is asked about each.
unsafe fn describe(
    args: &ICoreWebView2PermissionRequestedEventArgs,
) -> windows_core::Result<(Request, String)> {
    let mut kind = COREWEBVIEW2_PERMISSION_KIND::default();
    unsafe { args.PermissionKind(&mut kind)? };
    let request = match kind {
        COREWEBVIEW2_PERMISSION_KIND_MICROPHONE => Request::Capture {
            camera: false,
            microphone: true,
        },
        COREWEBVIEW2_PERMISSION_KIND_CAMERA => Request::Capture {
            camera: true,
            microphone: false,
        },
        _ => Request::Other,
    };
    let mut uri = PWSTR::null();
    unsafe { args.Uri(&mut uri)? };
    Ok((request, take_pwstr(uri)))
}

/// Resets every permission the profile remembers (any kind, any origin) to the default,
/// so that each later request raises the event above. Asynchronous; failures are logged.
unsafe fn forget_remembered_choices(core: &ICoreWebView2) -> windows_core::Result<()> {
    let profile = unsafe { core.cast::<ICoreWebView2_13>()?.Profile()? };
    let profile = profile.cast::<ICoreWebView2Profile4>()?;
    let resetter = profile.clone();
    let completed = GetNonDefaultPermissionSettingsCompletedHandler::create(Box::new(
        move |result, settings| {
            result?;
            let Some(settings) = settings else {
                return Ok(());
            };
            let mut count = 0u32;
            unsafe { settings.Count(&mut count)? };
            for index in 0..count {
                let setting = unsafe { settings.GetValueAtIndex(index)? };
                let mut kind = COREWEBVIEW2_PERMISSION_KIND::default();
                unsafe { setting.PermissionKind(&mut kind)? };
                let mut origin = PWSTR::null();
                unsafe { setting.PermissionOrigin(&mut origin)? };
                let origin = HSTRING::from(take_pwstr(origin));
                let done = SetPermissionStateCompletedHandler::create(Box::new(|result| {
                    if let Err(error) = result {
                        tracing::warn!(%error, "could not reset a remembered permission");
                    }
                    Ok(())
                }));
                unsafe {
                    resetter.SetPermissionState(
                        kind,
                        &origin,
                        COREWEBVIEW2_PERMISSION_STATE_DEFAULT,
                        &done,
                    )?
                };
            }
            Ok(())
        },
    ));
    unsafe { profile.GetNonDefaultPermissionSettings(&completed) }
}
