//! The sealed-file opener (`privacy::sealed::Sealer::open`) under a fixed data key, with
//! every purpose the app seals under, then (as `Sealer::read_json` does) the JSON of the
//! file that purpose belongs to. Never panics; whatever opens under one purpose opens
//! under no other; and sealing any bytes then opening them gives the bytes back.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serene_core::privacy::consent::ConsentRecord;
use serene_core::privacy::sealed::{OpenFailure, Sealer};
use serene_core::service::JournalEntry;
use serene_core::settings::Settings;
use serene_core_fuzz::{sealer, AUDIT_PURPOSE, CONSENT_PURPOSE, JOURNAL_PURPOSE, SETTINGS_PURPOSE};

const PURPOSES: [&str; 4] = [
    SETTINGS_PURPOSE,
    CONSENT_PURPOSE,
    JOURNAL_PURPOSE,
    AUDIT_PURPOSE,
];

fn fixed_sealer() -> &'static Sealer {
    static SEALER: OnceLock<Sealer> = OnceLock::new();
    SEALER.get_or_init(sealer)
}

fuzz_target!(|data: &[u8]| {
    let sealer = fixed_sealer();
    let mut opened = 0;
    for purpose in PURPOSES {
        match sealer.open(purpose, data) {
            Ok(plain) => {
                opened += 1;
                match purpose {
                    SETTINGS_PURPOSE => drop(serde_json::from_slice::<Settings>(&plain)),
                    CONSENT_PURPOSE => drop(serde_json::from_slice::<ConsentRecord>(&plain)),
                    JOURNAL_PURPOSE => drop(serde_json::from_slice::<Vec<JournalEntry>>(&plain)),
                    _ => {}
                }
            }
            Err(OpenFailure::Malformed | OpenFailure::Tampered | OpenFailure::RolledBack) => {}
        }
    }
    assert!(opened <= 1, "one sealed file opened under two purposes");

    // Sealing is the inverse of opening, for any plaintext and purpose.
    let sealed = sealer.seal(SETTINGS_PURPOSE, data).expect("seals");
    assert_eq!(sealer.open(SETTINGS_PURPOSE, &sealed).as_deref(), Ok(data));
    assert_eq!(
        sealer.open(CONSENT_PURPOSE, &sealed),
        Err(OpenFailure::Tampered)
    );
});
