//! Rolling-window rate limits, checked before a request leaves the core. The clock is
//! passed in, so tests need no sleeping.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// At most `limit` events in any `window`.
pub struct RollingWindow {
    limit: usize,
    window: Duration,
    events: Mutex<VecDeque<Instant>>,
}

impl RollingWindow {
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit,
            window,
            events: Mutex::new(VecDeque::with_capacity(limit)),
        }
    }

    /// Upstream calls: 10 a minute (the original security guideline).
    pub fn upstream_calls() -> Self {
        Self::new(10, Duration::from_secs(60))
    }

    /// Commands whose only effect is local and audited (consent, export): 20 in 10
    /// minutes, far more than a person clicks, far fewer than a flood.
    pub fn locally_audited() -> Self {
        Self::new(20, Duration::from_secs(600))
    }

    /// Conversation starts: 5 in 5 minutes.
    pub fn conversation_starts() -> Self {
        Self::new(5, Duration::from_secs(300))
    }

    /// Records an event at `now`, or refuses with the whole seconds until one is allowed.
    pub fn try_acquire(&self, now: Instant) -> Result<()> {
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        while events
            .front()
            .is_some_and(|oldest| now.saturating_duration_since(*oldest) >= self.window)
        {
            events.pop_front();
        }
        if events.len() < self.limit {
            events.push_back(now);
            return Ok(());
        }
        let oldest = *events.front().expect("limit is above zero");
        let wait = self.window - now.saturating_duration_since(oldest);
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        tracing::info!(
            retry_after_seconds = seconds,
            "local rate limit refused a call"
        );
        Err(Error::rate_limited(seconds.max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn allows_up_to_the_limit_then_refuses_with_retry_after() {
        let limit = RollingWindow::upstream_calls();
        let start = Instant::now();
        for i in 0..10 {
            limit.try_acquire(start + Duration::from_secs(i)).unwrap();
        }
        let error = limit
            .try_acquire(start + Duration::from_secs(15))
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::RateLimited);
        assert_eq!(error.retry_after_seconds, Some(45));
    }

    #[test]
    fn the_window_rolls() {
        let limit = RollingWindow::conversation_starts();
        let start = Instant::now();
        for _ in 0..5 {
            limit.try_acquire(start).unwrap();
        }
        assert!(limit.try_acquire(start + Duration::from_secs(299)).is_err());
        limit.try_acquire(start + Duration::from_secs(300)).unwrap();
    }

    #[test]
    fn refusals_do_not_consume_the_budget() {
        let limit = RollingWindow::new(1, Duration::from_secs(10));
        let start = Instant::now();
        limit.try_acquire(start).unwrap();
        for s in 1..10 {
            assert!(limit.try_acquire(start + Duration::from_secs(s)).is_err());
        }
        limit.try_acquire(start + Duration::from_secs(10)).unwrap();
    }

    #[test]
    fn retry_after_rounds_up() {
        let limit = RollingWindow::new(1, Duration::from_secs(10));
        let start = Instant::now();
        limit.try_acquire(start).unwrap();
        let error = limit
            .try_acquire(start + Duration::from_millis(9_500))
            .unwrap_err();
        assert_eq!(error.retry_after_seconds, Some(1));
    }
}
