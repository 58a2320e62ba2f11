//! A tamper-evident log of security events: never content, never secrets.
//!
//! Each line is one record, sealed on its own (so a changed byte spoils only that line),
//! carrying its sequence number, the previous record's MAC and its own HMAC-SHA256 under
//! the audit key. The latest `(seq, mac)` also lives in the keychain, so a truncated or
//! rolled-back log is detected. Retention prunes old records behind a checkpoint line that
//! keeps the chain verifiable.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::hmac;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};
use crate::privacy::sealed::Sealer;
use crate::provider::Provider;

pub const FILE_NAME: &str = "audit.log";
const PURPOSE: &str = "audit-record";

/// Security events. Ids and outcomes only: nothing a person said or typed, no key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditEvent {
    KeySaved {
        provider: Provider,
    },
    KeyReplaced {
        provider: Provider,
    },
    KeyRemoved {
        provider: Provider,
    },
    KeyChecked {
        provider: Provider,
        outcome: String,
    },
    SessionStarted {
        conversation_id: String,
    },
    SessionEnded {
        conversation_id: String,
        seconds: u64,
        how: String,
    },
    LimitRefused {
        limit: String,
    },
    ConsentGiven {
        version: u32,
    },
    ConsentWithdrawn {
        version: u32,
    },
    DataExported,
    DeletedEverything,
    LogPruned {
        through_seq: u64,
    },
    UpdateChecked {
        outcome: String,
    },
    UpdateInstalled {
        version: String,
    },
    UpdateRefused {
        reason: String,
    },
    VoiceSessionStarted,
    VoiceSessionEnded {
        seconds: u64,
        how: String,
    },
    /// A change the person confirmed outside the page: whose replica, persona or agent is
    /// used, anonymous sessions turned off, a spending limit raised.
    ChangeConfirmed {
        what: String,
    },
    /// A wrong passphrase at the app lock, recorded at the next unlock with its own time
    /// (the log needs the data key, which the lock withholds).
    UnlockFailed,
    /// The app lock was turned on (`on`), its passphrase changed (`changed`), or turned
    /// off (`off`).
    LockChanged {
        what: String,
    },
}

impl AuditEvent {
    /// Key, account and deletion events: the privacy page shows every one of these within
    /// the retention period, however many other records came after them.
    pub fn is_pinned(&self) -> bool {
        matches!(
            self,
            AuditEvent::KeySaved { .. }
                | AuditEvent::KeyReplaced { .. }
                | AuditEvent::KeyRemoved { .. }
                | AuditEvent::ChangeConfirmed { .. }
                | AuditEvent::UnlockFailed
                | AuditEvent::LockChanged { .. }
                | AuditEvent::DataExported
                | AuditEvent::DeletedEverything
                | AuditEvent::LogPruned { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditRecord {
    pub seq: u64,
    /// Seconds since the Unix epoch.
    pub at: u64,
    pub event: AuditEvent,
}

/// One line of the log, as sealed.
#[derive(Serialize, Deserialize)]
#[serde(tag = "line", rename_all = "snake_case")]
enum Line {
    Record {
        record: AuditRecord,
        prev: String,
        mac: String,
    },
    /// Stands for every record up to `through_seq`, whose last MAC was `last_mac`.
    Checkpoint {
        through_seq: u64,
        last_mac: String,
        mac: String,
    },
}

/// The chain head kept in the keychain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub mac: String,
}

impl Head {
    pub fn encode(&self) -> String {
        format!("{}:{}", self.seq, self.mac)
    }

    pub fn decode(raw: &str) -> Option<Head> {
        let (seq, mac) = raw.split_once(':')?;
        Some(Head {
            seq: seq.parse().ok()?,
            mac: mac.to_string(),
        })
    }
}

/// What verification found, in a form the UI can show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct AuditCheck {
    pub intact: bool,
    pub records: usize,
    /// Where the chain breaks, and how, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The sequence number at which it breaks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem_at: Option<u64>,
}

pub struct AuditLog {
    path: PathBuf,
    key: hmac::Key,
}

impl AuditLog {
    pub fn new(dir: &Path, audit_key: &[u8]) -> Self {
        Self {
            path: dir.join(FILE_NAME),
            key: hmac::Key::new(hmac::HMAC_SHA256, audit_key),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn record_mac(&self, record: &AuditRecord, prev: &str) -> Result<String> {
        let body = serde_json::to_vec(&(record, prev)).map_err(|_| Error::internal())?;
        Ok(STANDARD.encode(hmac::sign(&self.key, &body).as_ref()))
    }

    fn checkpoint_mac(&self, through_seq: u64, last_mac: &str) -> String {
        let body = format!("checkpoint:{through_seq}:{last_mac}");
        STANDARD.encode(hmac::sign(&self.key, body.as_bytes()).as_ref())
    }

    /// Checks a claimed MAC with `ring`'s constant-time verification.
    fn verify(&self, body: &[u8], claimed: &str) -> bool {
        STANDARD
            .decode(claimed)
            .is_ok_and(|tag| hmac::verify(&self.key, body, &tag).is_ok())
    }

    fn record_genuine(&self, record: &AuditRecord, prev: &str, claimed: &str) -> bool {
        serde_json::to_vec(&(record, prev)).is_ok_and(|body| self.verify(&body, claimed))
    }

    fn checkpoint_genuine(&self, through_seq: u64, last_mac: &str, claimed: &str) -> bool {
        self.verify(
            format!("checkpoint:{through_seq}:{last_mac}").as_bytes(),
            claimed,
        )
    }

    /// Appends an event after `head` (None for an empty log) and returns the new head.
    pub fn append(
        &self,
        sealer: &Sealer,
        head: Option<&Head>,
        event: AuditEvent,
        at: u64,
    ) -> Result<Head> {
        self.drop_torn_tail()?;
        let (seq, prev) = match head {
            Some(head) => (
                head.seq.checked_add(1).ok_or_else(Error::internal)?,
                head.mac.clone(),
            ),
            None => (1, String::new()),
        };
        let record = AuditRecord { seq, at, event };
        let mac = self.record_mac(&record, &prev)?;
        let line = Line::Record {
            record,
            prev,
            mac: mac.clone(),
        };
        self.write_lines(sealer, &[line], true)?;
        Ok(Head { seq, mac })
    }

    /// A crash mid-append leaves a last line without its newline: that write never
    /// completed, so it is removed rather than reported as tampering.
    fn drop_torn_tail(&self) -> Result<()> {
        let Ok(bytes) = fs::read(&self.path) else {
            return Ok(());
        };
        if bytes.is_empty() || bytes.ends_with(b"\n") {
            return Ok(());
        }
        let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        crate::atomic_file::write_private(&self.path, &bytes[..keep]).map_err(|_| disk_error())
    }

    fn write_lines(&self, sealer: &Sealer, lines: &[Line], append: bool) -> Result<()> {
        let mut text = String::new();
        for line in lines {
            let json = serde_json::to_vec(line).map_err(|_| Error::internal())?;
            text.push_str(&STANDARD.encode(sealer.seal(PURPOSE, &json)?));
            text.push('\n');
        }
        if !append {
            return crate::atomic_file::write_private(&self.path, text.as_bytes())
                .map_err(|_| disk_error());
        }
        if let Some(dir) = self.path.parent() {
            crate::logging::create_private_dir(dir).map_err(|_| disk_error())?;
        }
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&self.path).map_err(|_| disk_error())?;
        // One write call per record: a crash leaves a whole line or a torn one, never a
        // mix of two records.
        file.write_all(text.as_bytes()).map_err(|_| disk_error())?;
        file.sync_all().map_err(|_| disk_error())
    }

    /// Reads and verifies the whole chain against the head from the keychain.
    pub fn read_verified(
        &self,
        sealer: &Sealer,
        head: Option<&Head>,
    ) -> (Vec<AuditRecord>, AuditCheck) {
        let text = fs::read(&self.path).unwrap_or_default();
        let mut records = Vec::new();
        let mut expected_seq = 1u64;
        let mut prev = String::new();
        let broken = |records: &Vec<AuditRecord>, at: u64, what: String| {
            (
                records.clone(),
                AuditCheck {
                    intact: false,
                    records: records.len(),
                    problem: Some(what),
                    problem_at: Some(at),
                },
            )
        };
        let complete = text.ends_with(b"\n") || text.is_empty();
        let lines: Vec<&[u8]> = text
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        let usable = if complete {
            lines.len()
        } else {
            lines.len().saturating_sub(1)
        };
        for (index, raw) in lines.iter().take(usable).enumerate() {
            let line: Option<Line> = STANDARD
                .decode(raw)
                .ok()
                .and_then(|sealed| sealer.open(PURPOSE, &sealed).ok())
                .and_then(|plain| serde_json::from_slice(&plain).ok());
            match line {
                None => {
                    return broken(
                        &records,
                        expected_seq,
                        format!("Record {expected_seq} was changed or damaged."),
                    );
                }
                Some(Line::Checkpoint {
                    through_seq,
                    last_mac,
                    mac,
                }) => {
                    if index != 0 || !self.checkpoint_genuine(through_seq, &last_mac, &mac) {
                        return broken(
                            &records,
                            expected_seq,
                            format!("The log was altered near record {expected_seq}."),
                        );
                    }
                    expected_seq = through_seq.saturating_add(1);
                    prev = last_mac;
                }
                Some(Line::Record {
                    record,
                    prev: claimed_prev,
                    mac,
                }) => {
                    let seq = record.seq;
                    if !self.record_genuine(&record, &claimed_prev, &mac) {
                        return broken(&records, seq, format!("Record {seq} was changed."));
                    }
                    if seq > expected_seq {
                        let what = if seq == expected_seq.saturating_add(1) {
                            format!("Record {expected_seq} is missing.")
                        } else {
                            format!("Records {expected_seq} to {} are missing.", seq - 1)
                        };
                        return broken(&records, expected_seq, what);
                    }
                    if seq < expected_seq || claimed_prev != prev {
                        return broken(&records, seq, format!("Record {seq} is out of order."));
                    }
                    prev = mac;
                    expected_seq = seq.saturating_add(1);
                    records.push(record);
                }
            }
        }
        let last_seq = expected_seq - 1;
        if let Some(head) = head {
            if last_seq < head.seq {
                let what = if last_seq == 0 && records.is_empty() {
                    "The audit log was removed or emptied.".to_string()
                } else {
                    format!(
                        "Records after {last_seq} were cut off (the last was {}).",
                        head.seq
                    )
                };
                return broken(&records, last_seq.saturating_add(1), what);
            }
            // One record past the head: the head update after an append was lost.
            if last_seq > head.seq.saturating_add(1) || (last_seq == head.seq && prev != head.mac) {
                return broken(
                    &records,
                    head.seq,
                    format!(
                        "The log does not match its last known state at record {}.",
                        head.seq
                    ),
                );
            }
        } else if last_seq > 0 {
            return broken(
                &records,
                1,
                "The log's last known state is missing from the keychain.".into(),
            );
        }
        let check = AuditCheck {
            intact: true,
            records: records.len(),
            problem: None,
            problem_at: None,
        };
        (records, check)
    }

    /// The head implied by the file itself (after a verified read), for repairing a head
    /// whose update was lost in a crash.
    pub fn last_head(&self, sealer: &Sealer) -> Option<Head> {
        let text = fs::read(&self.path).ok()?;
        // Only complete lines: a torn last line (no newline) is what `append` drops.
        let complete = &text[..text.iter().rposition(|b| *b == b'\n')? + 1];
        let last = complete.split(|b| *b == b'\n').rfind(|l| !l.is_empty())?;
        let sealed = STANDARD.decode(last).ok()?;
        match serde_json::from_slice(&sealer.open(PURPOSE, &sealed).ok()?).ok()? {
            Line::Record { record, mac, .. } => Some(Head {
                seq: record.seq,
                mac,
            }),
            Line::Checkpoint {
                through_seq,
                last_mac,
                ..
            } => Some(Head {
                seq: through_seq,
                mac: last_mac,
            }),
        }
    }

    /// Drops records older than `cutoff` (Unix seconds) behind a checkpoint. Only a verified
    /// log is pruned, so pruning can never hide tampering.
    pub fn prune(&self, sealer: &Sealer, head: Option<&Head>, cutoff: u64) -> Result<usize> {
        let (records, check) = self.read_verified(sealer, head);
        if !check.intact {
            return Err(Error::new(
                ErrorCode::NotAllowed,
                "The audit log failed verification, so it was not pruned.",
            ));
        }
        let old = records.iter().take_while(|r| r.at < cutoff).count();
        if old == 0 {
            return Ok(0);
        }
        // Re-derive the MAC of the last pruned record from the file.
        let last_pruned = &records[old - 1];
        let through_seq = last_pruned.seq;
        let last_mac = self
            .mac_of(sealer, through_seq)
            .ok_or_else(Error::internal)?;
        let mut lines = vec![Line::Checkpoint {
            through_seq,
            mac: self.checkpoint_mac(through_seq, &last_mac),
            last_mac: last_mac.clone(),
        }];
        let mut prev = last_mac;
        for record in records.into_iter().skip(old) {
            let mac = self.record_mac(&record, &prev)?;
            lines.push(Line::Record {
                record,
                prev: prev.clone(),
                mac: mac.clone(),
            });
            prev = mac;
        }
        self.write_lines(sealer, &lines, false)?;
        Ok(old)
    }

    fn mac_of(&self, sealer: &Sealer, seq: u64) -> Option<String> {
        let text = fs::read(&self.path).ok()?;
        for raw in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let sealed = STANDARD.decode(raw).ok()?;
            if let Ok(Line::Record { record, mac, .. }) =
                serde_json::from_slice(&sealer.open(PURPOSE, &sealed).ok()?)
            {
                if record.seq == seq {
                    return Some(mac);
                }
            }
        }
        None
    }
}

fn disk_error() -> Error {
    Error::new(
        ErrorCode::SystemUnavailable,
        "Serene couldn't write its audit log. Check that your disk has space.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sensitive::Sensitive;

    struct Fixture {
        _dir: tempfile::TempDir,
        log: AuditLog,
        sealer: Sealer,
        head: Option<Head>,
    }

    fn fixture(records: u64) -> Fixture {
        fixture_with_key(records, 9)
    }

    fn fixture_with_key(records: u64, audit_key: u8) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path(), &[audit_key; 32]);
        let sealer = Sealer::new(&Sensitive::new(vec![4u8; 32])).unwrap();
        let mut head = None;
        for i in 0..records {
            let event = AuditEvent::KeyChecked {
                provider: Provider::Tavus,
                outcome: format!("verified-{i}"),
            };
            head = Some(
                log.append(&sealer, head.as_ref(), event, 1_000 + i * 86_400)
                    .unwrap(),
            );
        }
        Fixture {
            _dir: dir,
            log,
            sealer,
            head,
        }
    }

    fn lines(f: &Fixture) -> Vec<String> {
        fs::read_to_string(f.log.path())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn rewrite(f: &Fixture, lines: &[String]) {
        fs::write(
            f.log.path(),
            lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
    }

    fn check(f: &Fixture) -> AuditCheck {
        f.log.read_verified(&f.sealer, f.head.as_ref()).1
    }

    #[test]
    fn an_untouched_log_verifies() {
        let f = fixture(5);
        let (records, check) = f.log.read_verified(&f.sealer, f.head.as_ref());
        assert!(check.intact, "{check:?}");
        assert_eq!(records.len(), 5);
        assert_eq!(records[4].seq, 5);
    }

    #[test]
    fn an_edited_byte_is_found_at_its_record() {
        let f = fixture(5);
        let mut l = lines(&f);
        let mut bytes = l[2].clone().into_bytes();
        bytes[30] = if bytes[30] == b'A' { b'B' } else { b'A' };
        l[2] = String::from_utf8(bytes).unwrap();
        rewrite(&f, &l);
        let check = check(&f);
        assert!(!check.intact);
        assert_eq!(check.problem_at, Some(3), "{check:?}");
    }

    #[test]
    fn a_deleted_record_is_found() {
        let f = fixture(5);
        let mut l = lines(&f);
        l.remove(1);
        rewrite(&f, &l);
        let check = check(&f);
        assert_eq!(check.problem_at, Some(2), "{check:?}");
        assert_eq!(check.problem.as_deref(), Some("Record 2 is missing."));
    }

    #[test]
    fn reordered_records_are_found() {
        let f = fixture(5);
        let mut l = lines(&f);
        l.swap(1, 3);
        rewrite(&f, &l);
        let check = check(&f);
        assert!(!check.intact);
        assert_eq!(check.problem_at, Some(2), "{check:?}");
    }

    #[test]
    fn truncation_is_found_through_the_keychain_head() {
        let f = fixture(5);
        let mut l = lines(&f);
        l.truncate(3);
        rewrite(&f, &l);
        let check = check(&f);
        assert_eq!(check.problem_at, Some(4), "{check:?}");
        assert!(check.problem.unwrap().contains("cut off"));
        fs::remove_file(f.log.path()).unwrap();
        assert!(!check_after_removal(&f).intact);
    }

    fn check_after_removal(f: &Fixture) -> AuditCheck {
        f.log.read_verified(&f.sealer, f.head.as_ref()).1
    }

    #[test]
    fn a_record_from_another_key_is_refused() {
        let f = fixture(3);
        // Same data key (so the line opens), another audit key: a forged record.
        let other = fixture_with_key(3, 8);
        let mut l = lines(&f);
        l[1] = lines(&other)[1].clone();
        rewrite(&f, &l);
        assert_eq!(check(&f).problem_at, Some(2));
    }

    /// Re-seals line `index` after `change` (the data key is known; the audit key is not).
    fn reseal(f: &Fixture, index: usize, change: impl FnOnce(&mut Line)) {
        let mut l = lines(f);
        let sealed = STANDARD.decode(&l[index]).unwrap();
        let mut line: Line =
            serde_json::from_slice(&f.sealer.open(PURPOSE, &sealed).unwrap()).unwrap();
        change(&mut line);
        let json = serde_json::to_vec(&line).unwrap();
        l[index] = STANDARD.encode(f.sealer.seal(PURPOSE, &json).unwrap());
        rewrite(f, &l);
    }

    #[test]
    fn a_record_changed_by_someone_with_the_data_key_fails_its_mac() {
        let f = fixture(3);
        reseal(&f, 1, |line| {
            if let Line::Record { record, .. } = line {
                record.event = AuditEvent::DataExported;
            }
        });
        let check = check(&f);
        assert_eq!(check.problem_at, Some(2), "{check:?}");
        assert_eq!(check.problem.as_deref(), Some("Record 2 was changed."));
    }

    #[test]
    fn a_genuine_record_from_another_chain_breaks_the_link() {
        let f = fixture(3);
        // The same keys, but another history: its record 2 is genuine, yet follows a
        // different record 1.
        let dir = tempfile::tempdir().unwrap();
        let other = AuditLog::new(dir.path(), &[9; 32]);
        let first = other
            .append(&f.sealer, None, AuditEvent::DataExported, 1_000)
            .unwrap();
        let event = AuditEvent::KeyChecked {
            provider: Provider::Tavus,
            outcome: "verified-1".into(),
        };
        other
            .append(&f.sealer, Some(&first), event, 1_000 + 86_400)
            .unwrap();
        let foreign = fs::read_to_string(other.path()).unwrap();
        let mut l = lines(&f);
        l[1] = foreign.lines().nth(1).unwrap().to_string();
        rewrite(&f, &l);
        let check = check(&f);
        assert_eq!(check.problem_at, Some(2), "{check:?}");
        assert_eq!(check.problem.as_deref(), Some("Record 2 is out of order."));
    }

    #[test]
    fn a_head_whose_mac_differs_from_the_file_is_reported() {
        let mut f = fixture(3);
        f.head = Some(Head {
            seq: 3,
            mac: "not-the-last-mac".into(),
        });
        let check = check(&f);
        assert!(!check.intact);
        assert_eq!(check.problem_at, Some(3), "{check:?}");
        assert!(check
            .problem
            .unwrap()
            .contains("does not match its last known state"));
    }

    #[cfg(unix)]
    #[test]
    fn the_log_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let f = fixture(1);
        let mode = fs::metadata(f.log.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_torn_last_write_is_dropped_not_reported() {
        let mut f = fixture(3);
        let mut text = fs::read(f.log.path()).unwrap();
        text.extend_from_slice(b"c2VhbGVk");
        fs::write(f.log.path(), &text).unwrap();
        assert!(check(&f).intact);
        f.head = Some(
            f.log
                .append(&f.sealer, f.head.as_ref(), AuditEvent::DataExported, 9_999)
                .unwrap(),
        );
        let (records, check) = f.log.read_verified(&f.sealer, f.head.as_ref());
        assert!(check.intact, "{check:?}");
        assert_eq!(records.len(), 4);
    }

    #[test]
    fn pruning_keeps_the_chain_verifiable() {
        let mut f = fixture(6);
        // Records are a day apart from t=1000: prune the first three.
        let pruned = f
            .log
            .prune(&f.sealer, f.head.as_ref(), 1_000 + 3 * 86_400)
            .unwrap();
        assert_eq!(pruned, 3);
        let (records, status) = f.log.read_verified(&f.sealer, f.head.as_ref());
        assert!(status.intact, "{status:?}");
        assert_eq!(records.iter().map(|r| r.seq).collect::<Vec<_>>(), [4, 5, 6]);
        f.head = Some(
            f.log
                .append(
                    &f.sealer,
                    f.head.as_ref(),
                    AuditEvent::DataExported,
                    99_999_999,
                )
                .unwrap(),
        );
        assert!(check_after_removal(&f).intact);
        // And tampering after a checkpoint is still caught.
        let mut l = lines(&f);
        l.remove(2);
        rewrite(&f, &l);
        assert_eq!(check(&f).problem_at, Some(5));
    }

    #[test]
    fn events_carry_no_free_text_fields() {
        let json = serde_json::to_string(&AuditEvent::KeySaved {
            provider: Provider::ElevenLabs,
        })
        .unwrap();
        assert_eq!(json, r#"{"kind":"key_saved","provider":"elevenlabs"}"#);
    }
}
