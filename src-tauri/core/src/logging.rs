//! Logging: `tracing` into a size-capped, rotating file in the platform log directory.
//!
//! Two guards keep secrets out: [`crate::Sensitive`] formats as `<redacted>`, and the
//! writer scrubs anything shaped like a provider key before it reaches the disk, in case a
//! key ever travels in a plain `String` by mistake.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Libraries capped at `info`, so content they log at lower levels never reaches the file.
const QUIET_LIBRARIES: &[&str] = &[
    "tungstenite=info",
    "tokio_tungstenite=info",
    "hyper=info",
    "hyper_util=info",
    "reqwest=info",
    "h2=info",
    "rustls=info",
];

pub const LOG_FILE: &str = "serene.log";
/// One file holds at most this much before it rotates.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Rotated files kept besides the live one: the log never exceeds ~5 MiB.
pub const KEPT_FILES: usize = 4;

static ACTIVE: std::sync::OnceLock<RotatingLog> = std::sync::OnceLock::new();

/// Installs the global subscriber. Call once, at start-up.
pub fn init(dir: &Path) -> io::Result<()> {
    let writer = RotatingLog::open(dir, MAX_FILE_BYTES, KEPT_FILES)?;
    let _ = ACTIVE.set(writer.clone());
    let filter = EnvFilter::try_from_env("SERENE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // Whatever SERENE_LOG asks for: the websocket libraries log whole messages (what a
    // person said, their audio) at debug and trace, and HTTP libraries log bodies.
    let filter = QUIET_LIBRARIES.iter().fold(filter, |filter, directive| {
        filter.add_directive(directive.parse().expect("static directive"))
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .with_target(true)
        .try_init()
        .map_err(io::Error::other)
}

#[derive(Clone)]
pub struct RotatingLog {
    state: Arc<Mutex<State>>,
}

struct State {
    dir: PathBuf,
    file: File,
    written: u64,
    max_bytes: u64,
    keep: usize,
    /// Set by "Delete everything": nothing more is written until the next start.
    stopped: bool,
}

/// Stops writing the log (until the next start) so its files can be deleted.
pub fn stop_for_deletion() {
    if let Some(log) = ACTIVE.get() {
        log.state.lock().unwrap_or_else(|p| p.into_inner()).stopped = true;
    }
}

impl RotatingLog {
    pub fn open(dir: &Path, max_bytes: u64, keep: usize) -> io::Result<Self> {
        create_private_dir(dir)?;
        let file = open_private_append(&dir.join(LOG_FILE))?;
        let written = file.metadata()?.len();
        Ok(Self {
            state: Arc::new(Mutex::new(State {
                dir: dir.to_path_buf(),
                file,
                written,
                max_bytes,
                keep,
                stopped: false,
            })),
        })
    }
}

impl State {
    fn rotate(&mut self) -> io::Result<()> {
        let path = |n: usize| match n {
            0 => self.dir.join(LOG_FILE),
            n => self.dir.join(format!("{LOG_FILE}.{n}")),
        };
        let _ = fs::remove_file(path(self.keep));
        for n in (0..self.keep).rev() {
            if path(n).exists() {
                fs::rename(path(n), path(n + 1))?;
            }
        }
        self.file = open_private_append(&path(0))?;
        self.written = 0;
        Ok(())
    }
}

impl Write for RotatingLog {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let clean = redact_secrets(&text);
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.stopped {
            return Ok(buf.len());
        }
        if state.written > 0 && state.written + clean.len() as u64 > state.max_bytes {
            state.rotate()?;
        }
        state.file.write_all(clean.as_bytes())?;
        state.written += clean.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.file.flush()
    }
}

impl<'a> MakeWriter<'a> for RotatingLog {
    type Writer = RotatingLog;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Replaces key-shaped tokens (`sk_` + 32 or more hex digits, `tvsk_…`) with `<redacted>`.
pub fn redact_secrets(text: &str) -> std::borrow::Cow<'_, str> {
    const MARKERS: [(&str, usize); 2] = [("sk_", 32), ("tvsk_", 8)];
    if !MARKERS.iter().any(|(marker, _)| text.contains(marker)) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for (marker, min_len) in MARKERS {
            if let Some(tail) = rest.strip_prefix(marker) {
                let token_len = tail
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
                    .count();
                let starts_word = out
                    .chars()
                    .last()
                    .is_none_or(|c| !c.is_ascii_alphanumeric());
                if token_len >= min_len && starts_word {
                    out.push_str(crate::sensitive::REDACTED);
                    rest = &tail[token_len..];
                    continue 'scan;
                }
            }
        }
        let mut chars = rest.chars();
        out.push(chars.next().expect("rest is not empty"));
        rest = chars.as_str();
    }
    out.into()
}

pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn open_private_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;

    const KEY: &str = "sk_fake0000test0000key0000not0000real0000value000";

    #[test]
    fn scrubs_key_shaped_tokens() {
        let line = format!("header xi-api-key: {KEY}, tavus tvsk_AbCdEf123456 done");
        let clean = redact_secrets(&line);
        assert!(!clean.contains("test0000key"));
        assert!(!clean.contains("AbCdEf123456"));
        assert_eq!(
            clean,
            "header xi-api-key: <redacted>, tavus <redacted> done"
        );
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for text in [
            "task_runner started",
            "disk_usage 12",
            "ask_user=yes",
            "sk_short",
        ] {
            assert_eq!(redact_secrets(text), text);
        }
    }

    #[test]
    fn secrets_never_reach_the_log_file() {
        let dir = tempfile::tempdir().unwrap();
        let writer = RotatingLog::open(dir.path(), MAX_FILE_BYTES, KEPT_FILES).unwrap();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(writer)
            .with_ansi(false)
            .finish();
        let secret = Sensitive::new(KEY.to_string());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(key = ?secret, "verifying {secret}");
            tracing::warn!("a careless line with {}", KEY);
        });
        let log = fs::read_to_string(dir.path().join(LOG_FILE)).unwrap();
        assert!(log.contains("verifying <redacted>"), "{log}");
        assert!(log.contains("a careless line with <redacted>"), "{log}");
        assert!(!log.contains(&KEY[3..]), "{log}");
    }

    #[test]
    fn rotation_caps_total_size() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = RotatingLog::open(dir.path(), 1_000, 2).unwrap();
        let line = "x".repeat(99) + "\n";
        for _ in 0..100 {
            writer.write_all(line.as_bytes()).unwrap();
        }
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["serene.log", "serene.log.1", "serene.log.2"]);
        for name in &names {
            assert!(fs::metadata(dir.path().join(name)).unwrap().len() <= 1_000);
        }
    }

    #[cfg(unix)]
    #[test]
    fn log_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        RotatingLog::open(&logs, MAX_FILE_BYTES, KEPT_FILES).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&logs), 0o700);
        assert_eq!(mode(&logs.join(LOG_FILE)), 0o600);
    }
}
