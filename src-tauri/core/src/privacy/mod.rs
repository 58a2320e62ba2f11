//! What Serene keeps about a person, and how: sealed at rest, verifiable, exportable and
//! removable in one action. Nothing of a conversation is ever stored.

pub mod app_lock;
pub mod audit;
pub mod consent;
pub mod local;
pub mod local_keys;
pub mod sealed;
pub mod versions;

/// The consent record, sealed, in the data directory.
pub const CONSENT_FILE: &str = "consent.sealed";
/// Conversation ids still open on Tavus (ended on start-up; deleted by "Delete everything").
pub const JOURNAL_FILE: &str = "journal.sealed";
/// What was spent today against the daily budgets (characters and minutes, nothing else).
pub const USAGE_FILE: &str = "usage.sealed";
/// The to-do list of an unfinished "Delete everything", sealed, in the data directory.
pub const DELETION_FILE: &str = "deletion.sealed";
