//! The audit log reader (`privacy::audit::AuditLog`): `read_verified`, `last_head`, `prune`
//! and `append`, on a log file built from the input. Never panics; a verdict is
//! self-consistent; pruning an intact log keeps it intact with the same newer records; an
//! append after an intact read (repairing the head the way the service does) stays intact.
//!
//! Each line of the log is sealed on its own, and records carry HMACs, so random bytes
//! would never get past the first check. The input is therefore a recipe:
//!
//! ```text
//! byte 0          flags (below)
//! line 1          the head as the keychain keeps it, "SEQ:MAC" (empty: no head)
//! further lines   the plaintext JSON of one log line, sealed and base64-encoded here;
//!                 a line starting with '!' is written as it is (after the '!')
//! ```
//!
//! Flags: 1 re-sign each line's MAC under the audit key; 2 re-chain each record's `prev`
//! to the MAC before it; 4 leave the last line without its newline (a torn write); 8 the
//! head's MAC is the one the file gives its sequence number (so the head can match);
//! 16 prune; 32 append; bits 6-7 pick the prune cutoff.

#![no_main]

use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use ring::hmac;
use serde_json::Value;
use serene_core::privacy::audit::{AuditCheck, AuditEvent, AuditLog, AuditRecord, Head};
use serene_core::privacy::sealed::Sealer;
use serene_core::ErrorCode;
use serene_core_fuzz::{sealer, AUDIT_KEY, AUDIT_PURPOSE};

const RESIGN: u8 = 1;
const RECHAIN: u8 = 2;
const TORN: u8 = 4;
const HEAD_FOLLOWS: u8 = 8;
const PRUNE: u8 = 16;
const APPEND: u8 = 32;

struct Fixture {
    dir: PathBuf,
    sealer: Sealer,
    key: hmac::Key,
}

/// The same MACs `AuditLog` computes (its helpers are private).
fn record_mac(key: &hmac::Key, record: &AuditRecord, prev: &str) -> String {
    let body = serde_json::to_vec(&(record, prev)).expect("serialises");
    STANDARD.encode(hmac::sign(key, &body).as_ref())
}

fn checkpoint_mac(key: &hmac::Key, through_seq: u64, last_mac: &str) -> String {
    let body = format!("checkpoint:{through_seq}:{last_mac}");
    STANDARD.encode(hmac::sign(key, body.as_bytes()).as_ref())
}

/// Checks that this harness seals and signs lines as the core does, on a log the core
/// wrote, so a change in the core fails loudly here instead of quietly fuzzing nothing.
fn self_check(fixture: &Fixture) {
    let dir = fixture.dir.join("self-check");
    fs::create_dir_all(&dir).expect("scratch directory");
    let log = AuditLog::new(&dir, &AUDIT_KEY);
    let _ = fs::remove_file(log.path());
    let head = log
        .append(&fixture.sealer, None, AuditEvent::DataExported, 1_000)
        .expect("append");
    log.append(
        &fixture.sealer,
        Some(&head),
        AuditEvent::DeletedEverything,
        2_000,
    )
    .expect("append");
    let text = fs::read_to_string(log.path()).expect("the log");
    let mut prev = String::new();
    for line in text.lines() {
        let sealed = STANDARD.decode(line).expect("base64");
        let plain = fixture
            .sealer
            .open(AUDIT_PURPOSE, &sealed)
            .expect("harness out of date: audit lines no longer open with AUDIT_PURPOSE");
        let value: Value = serde_json::from_slice(&plain).expect("JSON");
        assert_eq!(value["line"], "record", "harness out of date: line tag");
        let record: AuditRecord = serde_json::from_value(value["record"].clone()).unwrap();
        assert_eq!(value["prev"], prev.as_str(), "harness out of date: prev");
        let mac = record_mac(&fixture.key, &record, &prev);
        assert_eq!(
            value["mac"],
            mac.as_str(),
            "harness out of date: record MAC"
        );
        prev = mac;
    }
    fs::remove_dir_all(&dir).expect("clean up");
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // scripts/fuzz.sh points TMPDIR at a scratch directory (on tmpfs when there is
        // one: prune and append fsync).
        let dir = std::env::temp_dir().join(format!("serene-fuzz-audit-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("scratch directory");
        let fixture = Fixture {
            dir,
            sealer: sealer(),
            key: hmac::Key::new(hmac::HMAC_SHA256, &AUDIT_KEY),
        };
        self_check(&fixture);
        fixture
    })
}

/// Turns the input's line recipes into the bytes of a log file, and returns the MAC the
/// chain reaches at each sequence number, in file order.
fn build_log(fixture: &Fixture, flags: u8, recipes: &[&[u8]]) -> (Vec<u8>, Vec<(u64, String)>) {
    let mut text = Vec::new();
    let mut running = String::new();
    let mut macs = Vec::new();
    for recipe in recipes {
        if let Some(raw) = recipe.strip_prefix(b"!") {
            text.extend_from_slice(raw);
        } else {
            let mut plain = recipe.to_vec();
            if flags & (RESIGN | RECHAIN) != 0 {
                if let Ok(mut value) = serde_json::from_slice::<Value>(recipe) {
                    if let Some(seq) = fix_line(fixture, flags, &mut value, &mut running) {
                        macs.push((seq, running.clone()));
                    }
                    plain = serde_json::to_vec(&value).expect("serialises");
                }
            }
            let sealed = fixture.sealer.seal(AUDIT_PURPOSE, &plain).expect("seals");
            text.extend_from_slice(STANDARD.encode(sealed).as_bytes());
        }
        text.push(b'\n');
    }
    if flags & TORN != 0 && text.last() == Some(&b'\n') {
        text.pop();
    }
    (text, macs)
}

/// Re-signs and re-chains one line; returns the sequence number the chain then stands at.
fn fix_line(fixture: &Fixture, flags: u8, value: &mut Value, running: &mut String) -> Option<u64> {
    match value.get("line").and_then(Value::as_str) {
        Some("record") => {
            let record = value
                .get("record")
                .and_then(|r| serde_json::from_value::<AuditRecord>(r.clone()).ok())?;
            if flags & RECHAIN != 0 {
                value["prev"] = Value::from(running.as_str());
            }
            let prev = value.get("prev").and_then(Value::as_str).unwrap_or("");
            let prev = prev.to_owned();
            if flags & RESIGN != 0 {
                value["mac"] = Value::from(record_mac(&fixture.key, &record, &prev));
            }
            *running = value
                .get("mac")
                .and_then(Value::as_str)
                .unwrap_or("")
                .into();
            Some(record.seq)
        }
        Some("checkpoint") => {
            let through = value.get("through_seq").and_then(Value::as_u64);
            let last_mac = value
                .get("last_mac")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if let (Some(through), Some(last_mac)) = (through, last_mac) {
                if flags & RESIGN != 0 {
                    value["mac"] = Value::from(checkpoint_mac(&fixture.key, through, &last_mac));
                }
                *running = last_mac;
                return Some(through);
            }
            None
        }
        _ => None,
    }
}

fn check_verdict(records: &[AuditRecord], check: &AuditCheck, head: Option<&Head>) {
    assert_eq!(check.records, records.len());
    assert_eq!(check.intact, check.problem.is_none(), "{check:?}");
    assert_eq!(
        check.problem.is_some(),
        check.problem_at.is_some(),
        "{check:?}"
    );
    for pair in records.windows(2) {
        assert_eq!(
            pair[0].seq.checked_add(1),
            Some(pair[1].seq),
            "records skip"
        );
    }
    if check.intact && head.is_none() {
        assert!(records.is_empty(), "records verified without a head");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let fixture = fixture();
    let mut lines = rest.split(|b| *b == b'\n');
    let head_line = lines.next().unwrap_or_default();
    let recipes: Vec<&[u8]> = lines.collect();
    let (text, macs) = build_log(fixture, flags, &recipes);

    let mut head = std::str::from_utf8(head_line).ok().and_then(Head::decode);
    if flags & HEAD_FOLLOWS != 0 {
        if let Some(head) = head.as_mut() {
            if let Some((_, mac)) = macs.iter().rev().find(|(seq, _)| *seq == head.seq) {
                head.mac = mac.clone();
            }
        }
    }

    let log = AuditLog::new(&fixture.dir, &AUDIT_KEY);
    fs::write(log.path(), &text).expect("write the log");
    let sealer = &fixture.sealer;

    let (records, check) = log.read_verified(sealer, head.as_ref());
    check_verdict(&records, &check, head.as_ref());

    let last = log.last_head(sealer);
    if check.intact && flags & TORN == 0 {
        if let Some(newest) = records.last() {
            assert_eq!(
                last.as_ref().map(|h| h.seq),
                Some(newest.seq),
                "last_head disagrees"
            );
        }
    }

    if flags & PRUNE != 0 {
        let cutoff = match flags >> 6 {
            0 => 0,
            1 => u64::MAX,
            2 => records.get(records.len() / 2).map_or(0, |r| r.at),
            _ => records.last().map_or(0, |r| r.at),
        };
        match log.prune(sealer, head.as_ref(), cutoff) {
            Ok(pruned) => {
                assert!(check.intact, "pruned a log that failed verification");
                assert_eq!(pruned, records.iter().take_while(|r| r.at < cutoff).count());
                let (kept, after) = log.read_verified(sealer, head.as_ref());
                assert!(after.intact, "pruning broke the chain: {after:?}");
                assert_eq!(kept, records[pruned..], "pruning changed the records kept");
            }
            Err(error) => {
                assert!(!check.intact, "an intact log was not pruned: {error:?}");
                assert_eq!(error.code, ErrorCode::NotAllowed);
            }
        }
        // Pruning rewrote the file: verify again, for the append below.
        let (records, check) = log.read_verified(sealer, head.as_ref());
        check_verdict(&records, &check, head.as_ref());
    }

    if flags & APPEND != 0 {
        let (before, check) = log.read_verified(sealer, head.as_ref());
        // As the service's `record_at` does (written there as `last.seq == h.seq + 1`):
        // a file one record past the head means the head update after an append was lost.
        let mut repaired = head.clone();
        if let Some(last) = log.last_head(sealer) {
            if repaired
                .as_ref()
                .is_none_or(|h| h.seq.checked_add(1) == Some(last.seq))
            {
                repaired = Some(last);
            }
        }
        if let Ok(new_head) = log.append(
            sealer,
            repaired.as_ref(),
            AuditEvent::DataExported,
            2_000_000_000,
        ) {
            let (after, verdict) = log.read_verified(sealer, Some(&new_head));
            check_verdict(&after, &verdict, Some(&new_head));
            if check.intact {
                assert!(
                    verdict.intact,
                    "an append after an intact log broke it: {verdict:?}"
                );
                assert_eq!(after.len(), before.len() + 1);
            }
        }
    }
});
