//! Enrollment with a relay over HTTP: `POST {base}/wham/remote/control/server/enroll` issues a
//! server id and a token, `POST {base}/wham/remote/control/server/refresh` renews the token, and
//! [`RelayUrl`] decides which base URLs are acceptable (https, or http on loopback only).

use std::time::Duration;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use serde::Deserialize;
use serde::Serialize;

use crate::error::TransportError;

/// Path of the enrollment endpoint below the base URL.
pub const ENROLL_PATH: &str = "/wham/remote/control/server/enroll";
/// Path of the token refresh endpoint below the base URL.
pub const REFRESH_PATH: &str = "/wham/remote/control/server/refresh";
/// Path of the server websocket below the base URL.
pub const SERVER_SOCKET_PATH: &str = "/wham/remote/control/server";
/// Request header of the server websocket naming this link's session (a new one per start).
pub const SESSION_HEADER: &str = "x-remote-control-session";
/// Response header of the websocket upgrade naming the relay's frame limit in bytes.
pub const MAX_FRAME_HEADER: &str = "x-remote-control-max-frame-bytes";

/// A validated relay base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayUrl {
    http_base: String,
    ws_base: String,
}

impl RelayUrl {
    /// Accepts `https://HOST[:PORT][/PREFIX]`, or `http://` when the host is a loopback address.
    pub fn parse(raw: &str) -> Result<Self, TransportError> {
        let invalid =
            |why: &str| TransportError::RemoteControl(format!("relay url {raw:?}: {why}"));
        let trimmed = raw.trim().trim_end_matches('/');
        let (scheme, rest) = trimmed.split_once("://").ok_or_else(|| invalid("no scheme"))?;
        let host_port = rest.split('/').next().unwrap_or_default();
        if host_port.is_empty() || host_port.contains('@') {
            return Err(invalid("no host (or credentials in the URL)"));
        }
        let ws_scheme = match scheme {
            "https" => "wss",
            "http" if is_loopback_host(host_port) => "ws",
            "http" => {
                return Err(invalid(
                    "plain http is allowed only for loopback hosts (127.0.0.1, [::1], localhost); use https",
                ))
            }
            _ => return Err(invalid("scheme must be https (or http on loopback)")),
        };
        Ok(Self { http_base: trimmed.to_owned(), ws_base: format!("{ws_scheme}://{rest}") })
    }

    /// `{base}{path}` over http(s).
    pub fn http(&self, path: &str) -> String {
        format!("{}{path}", self.http_base)
    }

    /// `{base}{path}` over ws(s).
    pub fn websocket(&self, path: &str) -> String {
        format!("{}{path}", self.ws_base)
    }

    /// Whether the relay is reached over TLS.
    pub fn is_https(&self) -> bool {
        self.http_base.starts_with("https://")
    }

    /// The base URL as configured (without a trailing slash).
    pub fn as_str(&self) -> &str {
        &self.http_base
    }
}

fn is_loopback_host(host_port: &str) -> bool {
    let host = if let Some(rest) = host_port.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host_port.rsplit_once(':').map_or(host_port, |(host, _)| host)
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Who the server is, sent on enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerIdentity {
    /// Display name (host name by default).
    pub name: String,
    /// `std::env::consts::OS`.
    pub os: String,
    /// `std::env::consts::ARCH`.
    pub arch: String,
    /// This server's version.
    pub app_server_version: String,
    /// The persistent installation id.
    pub installation_id: String,
}

/// What the relay issued on enrollment (or refresh); the server stores it. `Debug` leaves the
/// token out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    /// The relay's id for this server.
    pub server_id: String,
    /// The environment clients see this server in.
    pub environment_id: String,
    /// Bearer token for the server websocket and refresh.
    pub remote_control_token: String,
    /// When the token expires, seconds since the Unix epoch. On the wire an RFC 3339 timestamp
    /// (`"2026-12-03T07:55:27Z"`, as the reference relay sends it); an integer of seconds is
    /// accepted too.
    #[serde(with = "expires_at")]
    pub expires_at: i64,
}

/// `expires_at` on the wire: written as an RFC 3339 timestamp in UTC, read from an RFC 3339
/// timestamp (any offset, fractions of a second dropped) or from integer seconds since the epoch.
mod expires_at {
    use serde::Deserializer;
    use serde::Serializer;

    pub(super) fn serialize<S: Serializer>(
        seconds: &i64,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let timestamp = jiff::Timestamp::from_second(*seconds)
            .map_err(|err| serde::ser::Error::custom(format!("expires_at {seconds}: {err}")))?;
        serializer.collect_str(&timestamp)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        deserializer.deserialize_any(Visitor)
    }

    struct Visitor;

    impl serde::de::Visitor<'_> for Visitor {
        type Value = i64;

        fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str("an RFC 3339 timestamp or seconds since the Unix epoch")
        }

        fn visit_i64<E: serde::de::Error>(self, seconds: i64) -> Result<i64, E> {
            Ok(seconds)
        }

        fn visit_u64<E: serde::de::Error>(self, seconds: u64) -> Result<i64, E> {
            i64::try_from(seconds)
                .map_err(|_| E::custom(format!("expires_at {seconds} is too large")))
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<i64, E> {
            text.parse::<jiff::Timestamp>().map(|timestamp| timestamp.as_second()).map_err(|err| {
                E::custom(format!("expires_at {text:?} is not an RFC 3339 timestamp: {err}"))
            })
        }
    }
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Enrollment")
            .field("server_id", &self.server_id)
            .field("environment_id", &self.environment_id)
            .field("remote_control_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Enrollment {
    /// Whether the token expires within `margin_seconds`.
    pub fn expires_within(&self, margin_seconds: i64) -> bool {
        self.expires_at - unix_now() <= margin_seconds
    }

    /// How long from now to refresh the token: `margin` before it expires, or half-way through
    /// what is left when that is shorter (short-lived tokens); zero once it is due.
    pub fn refresh_after(&self, margin: Duration) -> Duration {
        let Ok(since_epoch) = SystemTime::now().duration_since(UNIX_EPOCH) else {
            return Duration::ZERO;
        };
        let left = Duration::from_secs(self.expires_at.max(0) as u64).saturating_sub(since_epoch);
        left.saturating_sub(margin.min(left / 2))
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[derive(Serialize)]
struct RefreshRequest<'a> {
    server_id: &'a str,
    installation_id: &'a str,
}

/// Why an HTTP call to the relay failed.
#[derive(Debug)]
pub(crate) enum HttpFailure {
    /// The relay refused the credentials (401/403/404): enroll anew.
    Refused(String),
    /// Anything else (network, 5xx, bad body): retry later.
    Other(String),
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpFailure::Refused(why) | HttpFailure::Other(why) => f.write_str(why),
        }
    }
}

/// Largest enrollment or refresh answer read from a relay.
pub const MAX_ENROLL_RESPONSE_BYTES: usize = 64 * 1024;

/// The HTTP client for a relay: no redirects (an https relay could otherwise send the token to
/// plain http, or anywhere), https only for an https relay, and no proxy from the environment
/// for a loopback http relay (the token would leave the machine in clear).
pub(crate) fn http_client(url: &RelayUrl) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none());
    if url.is_https() {
        builder = builder.https_only(true);
    } else {
        builder = builder.no_proxy();
    }
    builder.build().unwrap_or_else(|err| {
        tracing::warn!(
            "remote control: building the relay http client failed ({err}): using a proxy-less one"
        );
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}

/// Enrolls `identity` with the relay. With `previous`, the request carries its token as
/// `Authorization: Bearer`: the proof of possession that lets the relay keep its server id (a
/// relay gives an installation that cannot prove it a fresh server id).
pub(crate) async fn enroll(
    http: &reqwest::Client,
    url: &RelayUrl,
    identity: &ServerIdentity,
    previous: Option<&Enrollment>,
) -> Result<Enrollment, HttpFailure> {
    let mut request = http.post(url.http(ENROLL_PATH)).json(identity);
    if let Some(previous) = previous {
        request = request.bearer_auth(&previous.remote_control_token);
    }
    post(request).await
}

/// Renews the token of `enrollment`.
pub(crate) async fn refresh(
    http: &reqwest::Client,
    url: &RelayUrl,
    enrollment: &Enrollment,
    installation_id: &str,
) -> Result<Enrollment, HttpFailure> {
    let body = RefreshRequest { server_id: &enrollment.server_id, installation_id };
    post(
        http.post(url.http(REFRESH_PATH)).bearer_auth(&enrollment.remote_control_token).json(&body),
    )
    .await
}

async fn post(request: reqwest::RequestBuilder) -> Result<Enrollment, HttpFailure> {
    let response = request
        .send()
        .await
        .map_err(|err| HttpFailure::Other(format!("relay unreachable: {err}")))?;
    let status = response.status();
    if matches!(status.as_u16(), 401 | 403 | 404) {
        return Err(HttpFailure::Refused(format!("relay refused the request ({status})")));
    }
    if !status.is_success() {
        return Err(HttpFailure::Other(format!("relay answered {status}")));
    }
    if response.content_length().is_some_and(|length| length > MAX_ENROLL_RESPONSE_BYTES as u64) {
        return Err(HttpFailure::Other("relay sent an oversized enrollment".into()));
    }
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| HttpFailure::Other(format!("reading the relay's answer: {err}")))?
    {
        if body.len() + chunk.len() > MAX_ENROLL_RESPONSE_BYTES {
            return Err(HttpFailure::Other("relay sent an oversized enrollment".into()));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice::<Enrollment>(&body)
        .map_err(|err| HttpFailure::Other(format!("relay sent an unreadable enrollment: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-shot HTTP server on 127.0.0.1 answering every request with `answer`; counts requests.
    async fn answering(answer: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use tokio::io::AsyncReadExt;
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buffer = vec![0u8; 16 * 1024];
                let _ = socket.read(&mut buffer).await;
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            }
        });
        (base, hits)
    }

    fn identity() -> ServerIdentity {
        ServerIdentity {
            name: "n".into(),
            os: "linux".into(),
            arch: "x86_64".into(),
            app_server_version: "0".into(),
            installation_id: "i".into(),
        }
    }

    #[tokio::test]
    async fn a_relay_cannot_redirect_the_token_elsewhere() {
        let (elsewhere, hits) =
            answering("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".into()).await;
        let redirect = format!(
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: {elsewhere}{ENROLL_PATH}\r\ncontent-length: 0\r\n\r\n"
        );
        let (relay, _) = answering(redirect).await;
        let url = RelayUrl::parse(&relay).unwrap();
        let previous = Enrollment {
            server_id: "srv".into(),
            environment_id: "env".into(),
            remote_control_token: "secret".into(),
            expires_at: 0,
        };
        let result = enroll(&http_client(&url), &url, &identity(), Some(&previous)).await;
        assert!(result.is_err());
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0, "the redirect was followed");
    }

    #[tokio::test]
    async fn an_oversized_enrollment_answer_is_refused() {
        let body = format!(
            r#"{{"server_id":"s","environment_id":"e","remote_control_token":"t","expires_at":1,"pad":"{}"}}"#,
            "x".repeat(MAX_ENROLL_RESPONSE_BYTES)
        );
        for header in [format!("content-length: {}\r\n", body.len()), String::new()] {
            let answer = format!("HTTP/1.1 200 OK\r\n{header}connection: close\r\n\r\n{body}");
            let (relay, _) = answering(answer).await;
            let url = RelayUrl::parse(&relay).unwrap();
            let result = enroll(&http_client(&url), &url, &identity(), None).await;
            assert!(
                matches!(&result, Err(HttpFailure::Other(why)) if why.contains("oversized")),
                "{result:?}"
            );
        }
    }

    #[test]
    fn expires_at_is_rfc3339_on_the_wire_and_integers_are_still_read() {
        let reference = r#"{"server_id":"srv_1","environment_id":"env_1","remote_control_token":"tok","expires_at":"2026-12-03T07:55:27Z"}"#;
        let enrollment: Enrollment = serde_json::from_str(reference).unwrap();
        assert_eq!(enrollment.expires_at, 1_796_284_527);
        let written = serde_json::to_value(&enrollment).unwrap();
        assert_eq!(written["expires_at"], "2026-12-03T07:55:27Z");
        let legacy: Enrollment = serde_json::from_str(
            r#"{"server_id":"s","environment_id":"e","remote_control_token":"t","expires_at":1796284527}"#,
        )
        .unwrap();
        assert_eq!(legacy, enrollment_with("t", 1_796_284_527));
        for (text, seconds) in [
            ("2026-12-03T08:55:27.999+01:00", 1_796_284_527),
            ("2026-12-03T07:55:27.123456Z", 1_796_284_527),
        ] {
            let body = format!(
                r#"{{"server_id":"s","environment_id":"e","remote_control_token":"t","expires_at":"{text}"}}"#
            );
            let parsed: Enrollment = serde_json::from_str(&body).unwrap();
            assert_eq!(parsed.expires_at, seconds, "{text}");
        }
        for bad in [r#""tomorrow""#, r#""2026-12-03 07:55:27""#, "1.5", "null", "-1e400"] {
            let body = format!(
                r#"{{"server_id":"s","environment_id":"e","remote_control_token":"t","expires_at":{bad}}}"#
            );
            assert!(serde_json::from_str::<Enrollment>(&body).is_err(), "{bad} accepted");
        }
    }

    fn enrollment_with(token: &str, expires_at: i64) -> Enrollment {
        Enrollment {
            server_id: "s".into(),
            environment_id: "e".into(),
            remote_control_token: token.into(),
            expires_at,
        }
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let enrollment = Enrollment {
            server_id: "srv".into(),
            environment_id: "env".into(),
            remote_control_token: "very-secret-token".into(),
            expires_at: 1,
        };
        let url = RelayUrl::parse("http://127.0.0.1:1").unwrap();
        let identity = ServerIdentity {
            name: "n".into(),
            os: "linux".into(),
            arch: "x86_64".into(),
            app_server_version: "0".into(),
            installation_id: "i".into(),
        };
        let mut options = super::super::RemoteControlOptions::new(url, identity);
        options.enrollment = Some(enrollment.clone());
        for shown in [format!("{enrollment:?}"), format!("{options:?}")] {
            assert!(!shown.contains("very-secret-token"), "{shown}");
            assert!(shown.contains("srv"), "{shown}");
        }
    }

    #[test]
    fn refresh_is_due_before_expiry_even_for_short_lived_tokens() {
        let enrollment = |seconds_left: i64| Enrollment {
            server_id: "srv".into(),
            environment_id: "env".into(),
            remote_control_token: "token".into(),
            expires_at: unix_now() + seconds_left,
        };
        let margin = Duration::from_secs(60);
        let hour = enrollment(3600).refresh_after(margin);
        assert!(hour <= Duration::from_secs(3540) && hour > Duration::from_secs(3500), "{hour:?}");
        let short = enrollment(4).refresh_after(margin);
        assert!(short <= Duration::from_secs(2) && short > Duration::ZERO, "{short:?}");
        assert_eq!(enrollment(-5).refresh_after(margin), Duration::ZERO);
    }

    #[test]
    fn only_https_or_loopback_http_is_accepted() {
        let url = RelayUrl::parse("https://relay.example/prefix/").unwrap();
        assert_eq!(
            url.websocket(SERVER_SOCKET_PATH),
            "wss://relay.example/prefix/wham/remote/control/server"
        );
        assert_eq!(
            url.http(ENROLL_PATH),
            "https://relay.example/prefix/wham/remote/control/server/enroll"
        );
        let local = RelayUrl::parse("http://127.0.0.1:9000").unwrap();
        assert_eq!(local.websocket("/x"), "ws://127.0.0.1:9000/x");
        assert!(RelayUrl::parse("http://[::1]:9000").is_ok());
        assert!(RelayUrl::parse("http://localhost:9000").is_ok());
        for bad in [
            "http://relay.example",
            "http://10.0.0.1:80",
            "http://127.0.0.1.evil.example",
            "ftp://127.0.0.1",
            "ws://127.0.0.1",
            "https://user@relay.example",
            "relay.example",
        ] {
            assert!(RelayUrl::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
