//! Where Serene's local files live, what they are, and how they all go at once.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// The app's directories (from the platform's conventions, resolved by the shell).
#[derive(Debug, Clone)]
pub struct LocalDirs {
    /// Settings.
    pub config: PathBuf,
    /// Consent, journal, audit log.
    pub data: PathBuf,
    /// The webview's own storage (the same folder as `data` on Linux and macOS).
    pub local_data: PathBuf,
    /// The webview's cache.
    pub cache: PathBuf,
    /// Serene's log files.
    pub logs: PathBuf,
}

impl LocalDirs {
    /// Every directory, for deletion and inventory; a shared parent is listed once.
    pub fn all(&self) -> Vec<&Path> {
        let mut dirs: Vec<&Path> = Vec::new();
        for dir in [
            &self.config,
            &self.data,
            &self.local_data,
            &self.cache,
            &self.logs,
        ] {
            if !dirs.iter().any(|known| dir.starts_with(known)) {
                dirs.retain(|known| !known.starts_with(dir));
                dirs.push(dir);
            }
        }
        dirs
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct StoredFile {
    /// What the file holds, in words.
    pub what: String,
    pub bytes: u64,
}

/// What is stored locally: Serene's own files by name, and the rest summed.
pub fn inventory(dirs: &LocalDirs) -> Vec<StoredFile> {
    let mut serene = Vec::new();
    let mut other_bytes = 0;
    let mut log_bytes = 0;
    for dir in dirs.all() {
        for path in files_under(dir) {
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let what = match name {
                crate::settings::FILE_NAME => Some("Settings (encrypted)"),
                super::CONSENT_FILE => Some("Consent record (encrypted)"),
                super::JOURNAL_FILE => Some("Open-session journal (encrypted)"),
                super::USAGE_FILE => Some("Today's spending against your limits (encrypted)"),
                super::audit::FILE_NAME => Some("Audit log (encrypted, tamper-evident)"),
                _ => None,
            };
            match what {
                Some(what) => serene.push(StoredFile {
                    what: what.into(),
                    bytes,
                }),
                None if path.starts_with(&dirs.logs) => log_bytes += bytes,
                None => other_bytes += bytes,
            }
        }
    }
    if log_bytes > 0 {
        serene.push(StoredFile {
            what: "Diagnostic logs (no content, no keys)".into(),
            bytes: log_bytes,
        });
    }
    if other_bytes > 0 {
        serene.push(StoredFile {
            what: "Window storage and cache".into(),
            bytes: other_bytes,
        });
    }
    serene
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() && !path.is_symlink() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// Removes every directory; returns the ones that could not be removed.
pub fn delete_all(dirs: &LocalDirs) -> Vec<PathBuf> {
    let mut failed = Vec::new();
    for dir in dirs.all() {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::warn!(%error, "could not remove a local directory");
                failed.push(dir.to_path_buf());
            }
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_directories_are_listed_once() {
        let root = PathBuf::from("/tmp/x");
        let dirs = LocalDirs {
            config: root.join("app"),
            data: root.join("app"),
            local_data: root.join("app"),
            cache: root.join("cache/app"),
            logs: root.join("app/logs"),
        };
        assert_eq!(
            dirs.all(),
            [root.join("app").as_path(), root.join("cache/app").as_path()]
        );
    }
}
