//! Starting and stopping the room's app-window browser (Linux). The browser leads its own
//! process group; it is stopped by group and by every process that names its profile,
//! but only after `/proc` shows the processes are still ours, so a pid the system has
//! since given to another program is never signalled.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::app_browser::{self, Record};

const GRACE: Duration = Duration::from_secs(3);
const POLL: Duration = Duration::from_millis(50);

/// Starts `browser` on `room` in the new private `profile` (created 0700).
pub fn spawn(browser: &Path, room: &url::Url, profile: &Path) -> std::io::Result<Child> {
    crate::logging::create_private_dir(profile)?;
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(browser);
    command
        .args(app_browser::app_args(room, profile))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own group, so its helpers can be stopped with it.
        .process_group(0);
    for (name, value) in app_browser::app_env(profile) {
        command.env(name, value);
    }
    command.spawn()
}

struct Proc {
    pid: i32,
    pgrp: i32,
    cmdline: Vec<u8>,
}

fn processes() -> Vec<Proc> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
            let after = &stat[stat.rfind(')')? + 1..];
            let mut fields = after.split_whitespace();
            let state = fields.next()?;
            let pgrp = fields.nth(1)?.parse().ok()?;
            if state == "Z" {
                return None;
            }
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            Some(Proc { pid, pgrp, cmdline })
        })
        .collect()
}

/// Our processes for `record`: every live process naming its profile, and the rest of
/// the group it led if one of that group's members names the profile.
fn ours(record: &Record) -> (Vec<i32>, Option<i32>) {
    let all = processes();
    let pgid = i32::try_from(record.pid).unwrap_or(0);
    let group_is_ours = pgid > 1
        && all.iter().any(|p| {
            p.pgrp == pgid && app_browser::cmdline_names_profile(&p.cmdline, &record.profile)
        });
    let named = all
        .iter()
        .filter(|p| app_browser::cmdline_names_profile(&p.cmdline, &record.profile))
        .map(|p| p.pid)
        .collect();
    (named, group_is_ours.then_some(pgid))
}

fn signal(record: &Record, sig: i32) -> bool {
    let (pids, group) = ours(record);
    if let Some(pgid) = group {
        // SAFETY: kill(2) with a negative pid signals a process group; no memory involved.
        unsafe { libc::kill(-pgid, sig) };
    }
    for pid in &pids {
        // SAFETY: as above, for one process whose cmdline we just read.
        unsafe { libc::kill(*pid, sig) };
    }
    group.is_some() || !pids.is_empty()
}

/// Stops the browser of `record` (SIGTERM, then SIGKILL after a grace period), reaps
/// `child` if it is ours from this run, and deletes the profile. Blocking: up to a few
/// seconds. Returns whether the profile is gone.
pub fn stop(record: &Record, mut child: Option<Child>) -> bool {
    let reap = |child: &mut Option<Child>| {
        if let Some(c) = child.as_mut() {
            if matches!(c.try_wait(), Ok(Some(_))) {
                *child = None;
            }
        }
    };
    if signal(record, libc::SIGTERM) {
        let deadline = std::time::Instant::now() + GRACE;
        loop {
            reap(&mut child);
            let (pids, group) = ours(record);
            if pids.is_empty() && group.is_none() {
                break;
            }
            if std::time::Instant::now() > deadline {
                signal(record, libc::SIGKILL);
                std::thread::sleep(POLL * 4);
                break;
            }
            std::thread::sleep(POLL);
        }
    }
    if let Some(mut c) = child {
        let _ = c.kill();
        let _ = c.wait();
    }
    remove_profile(&record.profile)
}

/// Deletes a profile folder (never following a symlink out of it).
pub fn remove_profile(profile: &Path) -> bool {
    match std::fs::symlink_metadata(profile) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => true,
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(profile).is_ok(),
        Ok(_) => std::fs::remove_file(profile).is_ok(),
        Err(_) => false,
    }
}

/// Every profile folder under `root` (one left by an earlier run that died).
pub fn leftover_profiles(root: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(root)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| app_browser::is_profile_dir(root, p))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in browser: a shell that keeps a child in its group and names the
    /// profile on its command line, as Chromium does.
    fn fake_browser(dir: &Path) -> PathBuf {
        let path = dir.join("chromium");
        let script = "#!/bin/sh\nsleep 300 &\nexec sh -c 'sleep 301; :' fake-browser \"$@\"\n";
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn group_alive(pgid: i32) -> bool {
        processes().iter().any(|p| p.pgrp == pgid)
    }

    #[test]
    fn stopping_ends_the_whole_group_and_deletes_the_profile() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("room-browser");
        let profile = app_browser::new_profile(&root).unwrap();
        let room = url::Url::parse("http://127.0.0.1:9/room").unwrap();
        let child = spawn(&fake_browser(dir.path()), &room, &profile).unwrap();
        let pid = child.id();
        std::thread::sleep(Duration::from_millis(200));
        assert!(group_alive(pid as i32));
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&profile).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o700);
        assert!(stop(
            &Record {
                pid,
                profile: profile.clone()
            },
            Some(child)
        ));
        assert!(!group_alive(pid as i32), "a process of the group survived");
        assert!(!profile.exists());
    }

    #[test]
    fn a_pid_that_is_no_longer_our_browser_is_never_signalled() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("room-browser");
        use std::os::unix::process::CommandExt;
        // Another program in its own group, now holding the recorded pid.
        let mut stranger = Command::new("sleep")
            .arg("300")
            .process_group(0)
            .spawn()
            .unwrap();
        let record = Record {
            pid: stranger.id(),
            profile: app_browser::new_profile(&root).unwrap(),
        };
        stop(&record, None);
        assert!(
            matches!(stranger.try_wait(), Ok(None)),
            "a process that is not ours was signalled"
        );
        stranger.kill().unwrap();
        stranger.wait().unwrap();
    }
}
