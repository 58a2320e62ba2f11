//! Voice: guided exercises and streamed speech. What may be spoken is only the app's own
//! scripts and text the person typed; the key stays in the core and audio passes through
//! it chunk by chunk, never held whole and never written to disk.

pub mod exercises;
pub mod speech;
