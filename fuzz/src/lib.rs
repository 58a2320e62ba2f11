//! Fixtures shared by the fuzz targets: the fixed keys the committed seeds were sealed
//! under, and the purposes (associated data) the core seals each file with.

use serene_core::privacy::sealed::Sealer;
use serene_core::Sensitive;

/// The data key every sealed seed in `corpus/` was sealed under (as in
/// `core/tests/properties.rs`).
pub const DATA_KEY: [u8; 32] = [7; 32];
/// The audit key the `audit_log` target chains records under.
pub const AUDIT_KEY: [u8; 32] = [3; 32];

/// The purpose each sealed file is opened with, and so the AEAD associated data. These
/// mirror private constants in the core; the `audit_log` target checks its own against a
/// log the core wrote, and the `sealed_open` seeds only open if these are right.
pub const SETTINGS_PURPOSE: &str = "settings";
pub const CONSENT_PURPOSE: &str = "consent";
pub const JOURNAL_PURPOSE: &str = "journal";
pub const AUDIT_PURPOSE: &str = "audit-record";

pub fn sealer() -> Sealer {
    Sealer::new(&Sensitive::new(DATA_KEY.to_vec())).expect("a 32-byte key makes a sealer")
}
