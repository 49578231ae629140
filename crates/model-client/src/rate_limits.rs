//! The rate limits a provider reports in its response headers (`x-ratelimit-limit-requests`,
//! `x-ratelimit-remaining-tokens`, `x-ratelimit-reset-requests`, …), as the last successful
//! response of a [`crate::ModelClient`] carried them.

use std::time::Duration;
use std::time::SystemTime;

use reqwest::header::HeaderMap;

/// The prefix of the rate-limit headers.
const PREFIX: &str = "x-ratelimit-";

/// The `x-ratelimit-*` headers of one response and when it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitHeaders {
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// When the response arrived.
    pub received_at: SystemTime,
}

/// One limit (requests or tokens) as the headers state it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitReading {
    /// The limit of the window.
    pub limit: u64,
    /// What is left of it.
    pub remaining: u64,
    /// How long until the window resets, when stated.
    pub reset: Option<Duration>,
}

impl RateLimitReading {
    /// The share of the window used, in percent (0–100).
    pub fn used_percent(&self) -> u64 {
        if self.limit == 0 {
            return 100;
        }
        let used = self.limit.saturating_sub(self.remaining.min(self.limit));
        (used * 100 + self.limit / 2) / self.limit
    }
}

impl RateLimitHeaders {
    /// The rate-limit headers of `headers`, if there are any.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let found: Vec<(String, String)> = headers
            .iter()
            .filter(|(name, _)| name.as_str().starts_with(PREFIX))
            .filter_map(|(name, value)| {
                value.to_str().ok().map(|value| (name.as_str().to_owned(), value.trim().to_owned()))
            })
            .collect();
        (!found.is_empty()).then(|| Self { headers: found, received_at: SystemTime::now() })
    }

    /// The value of `x-ratelimit-<suffix>`.
    pub fn get(&self, suffix: &str) -> Option<&str> {
        let name = format!("{PREFIX}{suffix}");
        self.headers.iter().find(|(key, _)| *key == name).map(|(_, value)| value.as_str())
    }

    /// The `kind` (`requests` or `tokens`) limit, when its limit and remaining are stated.
    pub fn reading(&self, kind: &str) -> Option<RateLimitReading> {
        let limit = self.get(&format!("limit-{kind}"))?.parse().ok()?;
        let remaining = self.get(&format!("remaining-{kind}"))?.parse().ok()?;
        let reset = self.get(&format!("reset-{kind}")).and_then(parse_reset);
        Some(RateLimitReading { limit, remaining, reset })
    }
}

/// Reads a reset duration as providers write it: `20ms`, `1s`, `6m0s`, `1h2m3.5s`, or plain
/// seconds (`12`, `0.5`).
pub fn parse_reset(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return (seconds >= 0.0 && seconds.is_finite()).then(|| Duration::from_secs_f64(seconds));
    }
    let mut total = 0.0_f64;
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let value: f64 = number.parse().ok()?;
        number.clear();
        let unit = match c {
            'h' => 3600.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0.001
            }
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        total += value * unit;
        any = true;
    }
    (any && number.is_empty() && total.is_finite()).then(|| Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_durations_parse_in_every_spelling() {
        assert_eq!(parse_reset("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(parse_reset("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_reset("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(parse_reset("1h2m3.5s"), Some(Duration::from_millis(3_723_500)));
        assert_eq!(parse_reset("12"), Some(Duration::from_secs(12)));
        assert_eq!(parse_reset("soon"), None);
        assert_eq!(parse_reset("5x"), None);
        assert_eq!(parse_reset("5"), Some(Duration::from_secs(5)));
    }

    #[test]
    fn readings_come_from_limit_and_remaining() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-limit-requests", "200".parse().unwrap());
        headers.insert("x-ratelimit-remaining-requests", "150".parse().unwrap());
        headers.insert("x-ratelimit-reset-requests", "30s".parse().unwrap());
        headers.insert("content-type", "text/event-stream".parse().unwrap());
        let limits = RateLimitHeaders::from_headers(&headers).unwrap();
        assert_eq!(limits.headers.len(), 3);
        let requests = limits.reading("requests").unwrap();
        assert_eq!(requests.used_percent(), 25);
        assert_eq!(requests.reset, Some(Duration::from_secs(30)));
        assert_eq!(limits.reading("tokens"), None);
        assert!(RateLimitHeaders::from_headers(&HeaderMap::new()).is_none());
    }
}
