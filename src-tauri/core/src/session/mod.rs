//! Live sessions. A Tavus conversation bills from the moment it exists, so every one that
//! is created is journaled first and ended on every path out.

pub mod room_url;
