//! Policy applied before any upstream request: rate limits and text limits.

pub mod rate_limit;
pub mod text;
