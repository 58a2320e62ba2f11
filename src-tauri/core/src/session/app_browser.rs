//! The room in an app-mode window of a Chromium-family browser (Linux, where WebKitGTK has
//! no WebRTC): which browser, with which arguments, in which private profile, and how
//! Serene recognises its own browser processes later (so a reused pid is never killed).
//!
//! Everything here is pure; `browser_process.rs` starts and stops the processes.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

/// Looked up in this order, each in every `PATH` directory.
pub const BROWSERS: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome-stable",
    "google-chrome",
    "brave-browser",
    "microsoft-edge-stable",
    "microsoft-edge",
];

/// Under the app's cache folder: one `profile-<32 hex>` per open room, and `state.json`.
pub const ROOT_DIR: &str = "room-browser";
pub const STATE_FILE: &str = "state.json";
const PROFILE_PREFIX: &str = "profile-";

/// The first browser of [`BROWSERS`] found as an executable file on `path_var`.
pub fn find_browser(path_var: &OsStr, is_executable: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    BROWSERS.iter().find_map(|name| {
        std::env::split_paths(path_var)
            .filter(|dir| dir.is_absolute())
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    })
}

/// The arguments for an app window on `room` with the private `profile`. The sandbox is
/// never turned off; everything that would talk to Google, sync, install, or leave traces
/// outside the profile is.
pub fn app_args(room: &Url, profile: &Path) -> Vec<OsString> {
    let mut data_dir = OsString::from("--user-data-dir=");
    data_dir.push(profile);
    let mut args = vec![OsString::from(format!("--app={room}")), data_dir];
    args.extend(
        [
            "--no-first-run",
            "--no-default-browser-check",
            "--new-window",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-client-side-phishing-detection",
            "--disable-features=MediaRouter,Translate,OptimizationHints",
            "--no-pings",
            "--no-service-autorun",
            "--password-store=basic",
            "--window-size=960,720",
        ]
        .map(OsString::from),
    );
    args
}

/// Environment for the browser: its crash reports stay in the profile (Chromium otherwise
/// keeps them under `~/.config/chromium`).
pub fn app_env(profile: &Path) -> Vec<(&'static str, PathBuf)> {
    vec![("BREAKPAD_DUMP_LOCATION", profile.join("crash"))]
}

/// A fresh profile folder name (128 random bits, so its path names only our processes).
pub fn new_profile(root: &Path) -> std::io::Result<PathBuf> {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| std::io::Error::other("no randomness"))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(root.join(format!("{PROFILE_PREFIX}{hex}")))
}

/// Whether `path` is one of our profile folders: directly under `root`, of our name shape.
/// A state file naming anything else (edited, or damaged) is never acted on.
pub fn is_profile_dir(root: &Path, path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(OsStr::to_str) else {
        return false;
    };
    let Some(hex) = name.strip_prefix(PROFILE_PREFIX) else {
        return false;
    };
    path.parent() == Some(root)
        && hex.len() == 32
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether a process's `/proc/<pid>/cmdline` names `profile`: the browser and its helpers
/// carry `--user-data-dir=<profile>`, its crash handlers `--database=<profile>/crash`.
/// Chromium rewrites its command line as one space-separated string (its process title),
/// so an argument counts if it stands between NULs, spaces or the ends. The profile's
/// 128 random bits make a match by anything but our browser practically impossible.
pub fn cmdline_names_profile(cmdline: &[u8], profile: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let profile = profile.as_os_str().as_bytes();
    let data_dir = [b"--user-data-dir=".as_slice(), profile].concat();
    let crash = [b"--database=".as_slice(), profile, b"/crash"].concat();
    let edge = |b: Option<&u8>| matches!(b, None | Some(0) | Some(b' '));
    [data_dir, crash].iter().any(|arg| {
        cmdline
            .windows(arg.len())
            .enumerate()
            .filter(|(_, window)| window == arg)
            .any(|(at, _)| {
                let before = at.checked_sub(1).map(|i| &cmdline[i]);
                edge(before) && edge(cmdline.get(at + arg.len()))
            })
    })
}

/// What crash recovery needs: the browser's process group and its profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Record {
    pub pid: u32,
    pub profile: PathBuf,
}

pub fn read_records(root: &Path) -> Vec<Record> {
    std::fs::read(root.join(STATE_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Vec<Record>>(&bytes).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|record| record.pid > 1 && is_profile_dir(root, &record.profile))
        .collect()
}

pub fn write_records(root: &Path, records: &[Record]) -> std::io::Result<()> {
    let path = root.join(STATE_FILE);
    if records.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        };
    }
    let bytes = serde_json::to_vec(records).map_err(std::io::Error::other)?;
    crate::atomic_file::write_private(&path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_found_in_order_and_only_in_absolute_path_dirs() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let present = [
            a.path().join("brave-browser"),
            b.path().join("google-chrome"),
            PathBuf::from("relative/chromium"),
        ];
        let exec = |p: &Path| present.iter().any(|q| q == p);
        let path = std::env::join_paths(["relative".as_ref(), a.path(), b.path()]).unwrap();
        assert_eq!(
            find_browser(&path, exec),
            Some(b.path().join("google-chrome"))
        );
        let path = std::env::join_paths([a.path()]).unwrap();
        assert_eq!(
            find_browser(&path, exec),
            Some(a.path().join("brave-browser"))
        );
        assert_eq!(find_browser(OsStr::new(""), exec), None);
        let path = std::env::join_paths(["relative"]).unwrap();
        assert_eq!(find_browser(&path, exec), None, "a relative PATH entry");
    }

    #[test]
    fn the_arguments_open_the_room_in_a_private_quiet_app_window() {
        let room = Url::parse("https://tavus.daily.co/c123?t=tok").unwrap();
        let args: Vec<String> = app_args(&room, Path::new("/c/room-browser/profile-x"))
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(args[0], "--app=https://tavus.daily.co/c123?t=tok");
        assert_eq!(args[1], "--user-data-dir=/c/room-browser/profile-x");
        for wanted in [
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-sync",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--password-store=basic",
        ] {
            assert!(args.iter().any(|a| a == wanted), "{wanted} missing");
        }
        for never in [
            "--no-sandbox",
            "--disable-setuid-sandbox",
            "--use-fake-ui-for-media-stream",
        ] {
            assert!(!args.iter().any(|a| a.starts_with(never)), "{never}");
        }
        // One argument per value: nothing in the URL can become a flag.
        assert_eq!(args.iter().filter(|a| a.starts_with("--app=")).count(), 1);
    }

    #[test]
    fn only_our_own_profile_folders_are_recognised() {
        let root = Path::new("/cache/room-browser");
        let good = new_profile(root).unwrap();
        assert!(is_profile_dir(root, &good));
        assert_ne!(good, new_profile(root).unwrap());
        for bad in [
            "/cache/room-browser/profile-0123",
            "/cache/room-browser/profile-0123456789ABCDEF0123456789abcdef",
            "/cache/room-browser/../room-browser/profile-0123456789abcdef0123456789abcdef",
            "/home/person/profile-0123456789abcdef0123456789abcdef",
            "/cache/room-browser/x/profile-0123456789abcdef0123456789abcdef",
            "/cache/room-browser",
            "/",
        ] {
            assert!(!is_profile_dir(root, Path::new(bad)), "{bad}");
        }
    }

    #[test]
    fn a_process_is_ours_only_if_it_names_the_exact_profile() {
        let profile = Path::new("/c/room-browser/profile-ab");
        let ours =
            b"/usr/lib/chromium/chromium\0--app=x\0--user-data-dir=/c/room-browser/profile-ab\0";
        assert!(cmdline_names_profile(ours, profile));
        let crashpad = b"chrome_crashpad_handler\0--database=/c/room-browser/profile-ab/crash\0";
        assert!(cmdline_names_profile(crashpad, profile));
        // Chromium's own rewritten form: one string, spaces between arguments.
        let retitled = b"/usr/lib/chromium/chromium --type=zygote --user-data-dir=/c/room-browser/profile-ab --x\0";
        assert!(cmdline_names_profile(retitled, profile));
        let last = b"/usr/lib/chromium/chromium --user-data-dir=/c/room-browser/profile-ab";
        assert!(cmdline_names_profile(last, profile));
        for other in [
            b"chromium\0--user-data-dir=/c/room-browser/profile-abc\0".as_slice(),
            b"chromium\0--user-data-dir=/c/room-browser/profile-a\0",
            b"chromium --user-data-dir=/c/room-browser/profile-abc --x",
            b"chromium --other-user-data-dir=/c/room-browser/profile-ab",
            b"vim\0/c/room-browser/profile-ab\0",
            b"chromium --database=/c/room-browser/profile-ab/crashes",
            b"",
        ] {
            assert!(!cmdline_names_profile(other, profile), "{other:?}");
        }
    }

    #[test]
    fn the_state_file_round_trips_and_ignores_anything_not_ours() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(ROOT_DIR);
        let good = Record {
            pid: 4242,
            profile: new_profile(&root).unwrap(),
        };
        let foreign = Record {
            pid: 4243,
            profile: PathBuf::from("/home/person"),
        };
        let init = Record {
            pid: 1,
            profile: new_profile(&root).unwrap(),
        };
        write_records(&root, &[good.clone(), foreign, init]).unwrap();
        assert_eq!(read_records(&root), vec![good]);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(root.join(STATE_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        write_records(&root, &[]).unwrap();
        assert!(!root.join(STATE_FILE).exists());
        std::fs::write(root.join(STATE_FILE), b"{not json").unwrap();
        assert!(read_records(&root).is_empty());
    }
}
