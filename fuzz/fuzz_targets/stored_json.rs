//! The other sealed JSON files, once opened: the consent record (`consent.sealed`,
//! `ConsentRecord`) and the journal of open conversations (`journal.sealed`,
//! `Vec<JournalEntry>`). Never panic, and what parses survives a write and re-read.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serene_core::privacy::consent::{ConsentRecord, CONSENT_VERSION};
use serene_core::service::JournalEntry;

fn round_trips<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let written = serde_json::to_vec(value).expect("serialises");
    let reread: T = serde_json::from_slice(&written).expect("what was written parses");
    assert_eq!(&reread, value, "changed through a save and load");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = serde_json::from_slice::<ConsentRecord>(data) {
        assert_eq!(record.is_current(), record.version == CONSENT_VERSION);
        round_trips(&record);
    }
    if let Ok(entries) = serde_json::from_slice::<Vec<JournalEntry>>(data) {
        round_trips(&entries);
    }
});
