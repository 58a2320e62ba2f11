//! Policy applied before any upstream request: rate limits, spending budgets and text limits.

pub mod budget;
pub mod rate_limit;
pub mod text;
