//! Daily spending budgets: how much of the person's paid provider usage Serene may spend
//! in a day, whatever the page asks for. The rate limits bound how often; these bound how
//! much (a script calling `speak` at the rate limit with the model's largest request could
//! otherwise spend hundreds of thousands of characters an hour).

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};
use crate::settings::Settings;

/// The longest text typed by the person that one request may speak. Exercises and the
/// preview are Serene's own fixed texts and are counted only against the daily budget.
pub const TYPED_SPEECH_MAX_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spend {
    SpeechCharacters,
    VideoMinutes,
    VoiceMinutes,
}

impl Spend {
    pub fn name(self) -> &'static str {
        match self {
            Spend::SpeechCharacters => "daily_speech_characters",
            Spend::VideoMinutes => "daily_video_minutes",
            Spend::VoiceMinutes => "daily_voice_minutes",
        }
    }

    fn limit(self, settings: &Settings) -> u32 {
        match self {
            Spend::SpeechCharacters => settings.daily_speech_characters,
            Spend::VideoMinutes => settings.daily_video_minutes,
            Spend::VoiceMinutes => settings.daily_voice_minutes,
        }
    }

    fn refusal(self, left: u32) -> String {
        match self {
            Spend::SpeechCharacters => format!(
                "That would pass your daily speech limit ({left} characters left today). You can raise the limit in Settings."
            ),
            Spend::VideoMinutes => format!(
                "That would pass your daily video limit ({left} minutes left today). Choose a shorter session, or raise the limit in Settings."
            ),
            Spend::VoiceMinutes => format!(
                "That would pass your daily voice limit ({left} minutes left today). Choose a shorter conversation, or raise the limit in Settings."
            ),
        }
    }
}

/// What was spent on one (UTC) day. Kept sealed, so a restart does not reset it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyUsage {
    /// Days since the Unix epoch.
    pub day: u64,
    pub speech_characters: u32,
    pub video_minutes: u32,
    pub voice_minutes: u32,
}

impl DailyUsage {
    /// The usage for the day of `now` (seconds since the epoch): a new day starts at zero.
    pub fn for_day(self, now: u64) -> Self {
        let day = now / 86_400;
        if self.day == day {
            self
        } else {
            Self {
                day,
                ..Self::default()
            }
        }
    }

    fn slot(&mut self, spend: Spend) -> &mut u32 {
        match spend {
            Spend::SpeechCharacters => &mut self.speech_characters,
            Spend::VideoMinutes => &mut self.video_minutes,
            Spend::VoiceMinutes => &mut self.voice_minutes,
        }
    }

    pub fn used(&self, spend: Spend) -> u32 {
        match spend {
            Spend::SpeechCharacters => self.speech_characters,
            Spend::VideoMinutes => self.video_minutes,
            Spend::VoiceMinutes => self.voice_minutes,
        }
    }

    pub fn left(&self, spend: Spend, settings: &Settings) -> u32 {
        spend.limit(settings).saturating_sub(self.used(spend))
    }

    /// Adds `amount` if the day's budget allows it; otherwise changes nothing.
    pub fn try_spend(&mut self, spend: Spend, amount: u32, settings: &Settings) -> Result<()> {
        let left = self.left(spend, settings);
        if amount > left {
            return Err(Error::new(ErrorCode::SpendingLimit, spend.refusal(left)));
        }
        *self.slot(spend) += amount;
        Ok(())
    }
}

/// Typed speech longer than one request may be.
pub fn typed_too_long(chars: usize) -> Option<Error> {
    (chars > TYPED_SPEECH_MAX_CHARS).then(|| {
        Error::new(
            ErrorCode::SpendingLimit,
            format!(
                "Serene speaks up to {TYPED_SPEECH_MAX_CHARS} typed characters at a time. Please shorten the text."
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spending_stops_at_the_daily_limit_and_changes_nothing_when_refused() {
        let settings = Settings::default();
        let mut usage = DailyUsage::default().for_day(86_400 * 10);
        let limit = settings.daily_speech_characters;
        usage
            .try_spend(Spend::SpeechCharacters, limit - 10, &settings)
            .unwrap();
        let before = usage.clone();
        let error = usage
            .try_spend(Spend::SpeechCharacters, 11, &settings)
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::SpendingLimit);
        assert!(error.message.contains("10 characters left"));
        assert_eq!(usage, before);
        usage
            .try_spend(Spend::SpeechCharacters, 10, &settings)
            .unwrap();
        assert_eq!(usage.left(Spend::SpeechCharacters, &settings), 0);
    }

    #[test]
    fn each_kind_has_its_own_budget_and_a_new_day_starts_at_zero() {
        let settings = Settings::default();
        let mut usage = DailyUsage::default().for_day(86_400 * 10 + 5);
        usage
            .try_spend(Spend::VideoMinutes, settings.daily_video_minutes, &settings)
            .unwrap();
        assert!(usage.try_spend(Spend::VideoMinutes, 1, &settings).is_err());
        usage.try_spend(Spend::VoiceMinutes, 15, &settings).unwrap();
        let same_day = usage.clone().for_day(86_400 * 11 - 1);
        assert_eq!(same_day, usage);
        let next_day = usage.for_day(86_400 * 11);
        assert_eq!(next_day.video_minutes, 0);
        assert_eq!(next_day.voice_minutes, 0);
    }

    #[test]
    fn typed_speech_has_a_per_request_cap() {
        assert!(typed_too_long(TYPED_SPEECH_MAX_CHARS).is_none());
        assert_eq!(
            typed_too_long(TYPED_SPEECH_MAX_CHARS + 1).unwrap().code,
            ErrorCode::SpendingLimit
        );
    }
}
