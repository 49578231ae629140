//! When and how long to wait before retrying a request that failed before streaming began:
//! exponential backoff with jitter, or the server's `Retry-After`, bounded either way.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;

/// Backoff timing for retries; how many retries comes from the provider config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay before the first retry; doubled for each further one.
    pub base_delay: Duration,
    /// Longest computed backoff delay.
    pub max_delay: Duration,
    /// Longest delay honoured from a `Retry-After` header.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based): `Retry-After` when given (capped at
    /// `max_retry_after`), else `base_delay * 2^(retry-1)` capped at `max_delay`, times a
    /// random factor in [0.8, 1.2).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(server_delay) = retry_after {
            return server_delay.min(self.max_retry_after);
        }
        let exponent = retry.saturating_sub(1).min(20);
        let backoff = self.base_delay.saturating_mul(1u32 << exponent).min(self.max_delay);
        backoff.mul_f64(0.8 + fastrand::f64() * 0.4)
    }
}

/// Whether an HTTP status is worth retrying: 429 and every 5xx.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// The server's requested delay, from `retry-after-ms` or `retry-after` (seconds).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(millis) = header("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        return duration_from_secs(millis / 1000.0);
    }
    header("retry-after").and_then(|v| v.trim().parse::<f64>().ok()).and_then(duration_from_secs)
}

fn duration_from_secs(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(5),
        };
        for _ in 0..50 {
            let first = policy.delay(1, None);
            assert!(first >= Duration::from_millis(80) && first < Duration::from_millis(120));
            let third = policy.delay(3, None);
            assert!(third >= Duration::from_millis(320) && third < Duration::from_millis(480));
            assert!(policy.delay(30, None) < Duration::from_millis(1200));
        }
        assert_eq!(policy.delay(1, Some(Duration::from_secs(2))), Duration::from_secs(2));
        assert_eq!(policy.delay(1, Some(Duration::from_secs(600))), Duration::from_secs(5));
    }

    #[test]
    fn parses_retry_after_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        headers.clear();
        headers.insert("retry-after", HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn retryable_statuses() {
        assert!(is_retryable_status(StatusCode::TOO_MANY_REQUESTS));
        assert!(is_retryable_status(StatusCode::BAD_GATEWAY));
        assert!(!is_retryable_status(StatusCode::UNAUTHORIZED));
        assert!(!is_retryable_status(StatusCode::BAD_REQUEST));
    }
}
