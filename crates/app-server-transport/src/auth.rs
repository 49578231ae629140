//! Websocket authentication, checked during the HTTP upgrade: a capability
//! token compared by SHA-256 digest in constant time, or an HS256-signed JWT.
//! The client sends `Authorization: Bearer <token>`; failures become HTTP 401.

use std::path::Path;
use std::time::Duration;

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use jsonwebtoken::Algorithm;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::Validation;
use sha2::Digest;
use sha2::Sha256;

use crate::error::TransportError;

/// Shortest accepted shared secret for signed bearer tokens, in bytes.
pub const MIN_SHARED_SECRET_BYTES: usize = 32;
/// Default clock skew tolerated when checking `exp`/`nbf`.
pub const DEFAULT_MAX_CLOCK_SKEW: Duration = Duration::from_secs(30);

/// How websocket clients must authenticate.
#[derive(Clone, Default)]
pub enum WebsocketAuth {
    /// No authentication (allowed only on loopback TCP addresses and the Unix socket).
    #[default]
    None,
    /// A shared capability token, stored as its SHA-256 digest.
    CapabilityToken {
        /// SHA-256 of the expected token.
        sha256: [u8; 32],
    },
    /// An HS256 JWT signed with a shared secret.
    SignedBearerToken(SignedBearerTokenConfig),
}

/// Settings for HS256 signed bearer tokens.
#[derive(Clone)]
pub struct SignedBearerTokenConfig {
    secret: Vec<u8>,
    /// Required `iss`, if any.
    pub issuer: Option<String>,
    /// Required `aud`, if any.
    pub audience: Option<String>,
    /// Tolerated clock skew for `exp` and `nbf`.
    pub max_clock_skew: Duration,
}

impl std::fmt::Debug for WebsocketAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print digests or secrets.
        f.write_str(match self {
            WebsocketAuth::None => "WebsocketAuth::None",
            WebsocketAuth::CapabilityToken { .. } => "WebsocketAuth::CapabilityToken",
            WebsocketAuth::SignedBearerToken(_) => "WebsocketAuth::SignedBearerToken",
        })
    }
}

/// Why an upgrade request was refused (the client gets 401 without detail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthRejection {
    /// No `Authorization: Bearer` header.
    MissingBearer,
    /// The token did not match or did not verify.
    InvalidToken,
}

impl WebsocketAuth {
    /// Capability-token auth reading the token from an absolute file path (whitespace trimmed).
    pub fn capability_token_from_file(path: &Path) -> Result<Self, TransportError> {
        let token = read_secret_file(path, "--ws-token-file")?;
        let token = std::str::from_utf8(&token)
            .map_err(|_| invalid(format!("{} is not UTF-8 text", path.display())))?
            .trim();
        if token.is_empty() {
            return Err(invalid(format!("token file {} is empty", path.display())));
        }
        Ok(WebsocketAuth::CapabilityToken { sha256: Sha256::digest(token.as_bytes()).into() })
    }

    /// Capability-token auth from the hex SHA-256 digest of the token.
    pub fn capability_token_from_sha256_hex(digest: &str) -> Result<Self, TransportError> {
        let mut sha256 = [0_u8; 32];
        hex::decode_to_slice(digest.trim(), &mut sha256).map_err(|err| {
            invalid(format!("--ws-token-sha256 must be 64 hex digits (a SHA-256 digest): {err}"))
        })?;
        Ok(WebsocketAuth::CapabilityToken { sha256 })
    }

    /// Signed-bearer-token auth with the secret read from a file (at least 32 bytes, trimmed).
    pub fn signed_bearer_token_from_secret_file(
        path: &Path,
        issuer: Option<String>,
        audience: Option<String>,
        max_clock_skew: Duration,
    ) -> Result<Self, TransportError> {
        let mut secret = read_secret_file(path, "--ws-shared-secret-file")?;
        let trimmed_len = secret.trim_ascii_end().len();
        secret.truncate(trimmed_len);
        Self::signed_bearer_token(secret, issuer, audience, max_clock_skew)
    }

    /// Signed-bearer-token auth with the secret given directly (at least 32 bytes).
    pub fn signed_bearer_token(
        secret: Vec<u8>,
        issuer: Option<String>,
        audience: Option<String>,
        max_clock_skew: Duration,
    ) -> Result<Self, TransportError> {
        if secret.len() < MIN_SHARED_SECRET_BYTES {
            return Err(invalid(format!(
                "the shared secret is {} bytes; at least {MIN_SHARED_SECRET_BYTES} are required",
                secret.len()
            )));
        }
        Ok(WebsocketAuth::SignedBearerToken(SignedBearerTokenConfig {
            secret,
            issuer,
            audience,
            max_clock_skew,
        }))
    }

    /// Whether any authentication is required.
    pub fn is_enabled(&self) -> bool {
        !matches!(self, WebsocketAuth::None)
    }

    /// Checks an upgrade request's headers.
    pub fn authorize(&self, headers: &HeaderMap) -> Result<(), AuthRejection> {
        if let WebsocketAuth::None = self {
            return Ok(());
        }
        let token = bearer_token(headers).ok_or(AuthRejection::MissingBearer)?;
        match self {
            WebsocketAuth::None => Ok(()),
            WebsocketAuth::CapabilityToken { sha256 } => {
                let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
                if constant_time_eq::constant_time_eq_32(&presented, sha256) {
                    Ok(())
                } else {
                    Err(AuthRejection::InvalidToken)
                }
            }
            WebsocketAuth::SignedBearerToken(config) => config.verify(token),
        }
    }
}

impl SignedBearerTokenConfig {
    fn verify(&self, token: &str) -> Result<(), AuthRejection> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_required_spec_claims(&["exp"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = self.max_clock_skew.as_secs();
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
        }
        match &self.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        let key = DecodingKey::from_secret(&self.secret);
        jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).map(|_| ()).map_err(
            |err| {
                tracing::debug!("rejected signed bearer token: {err}");
                AuthRejection::InvalidToken
            },
        )
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

fn read_secret_file(path: &Path, flag: &str) -> Result<Vec<u8>, TransportError> {
    if !path.is_absolute() {
        return Err(invalid(format!("{flag} must be an absolute path, got {}", path.display())));
    }
    std::fs::read(path)
        .map_err(|err| TransportError::io(format!("reading {}", path.display()), err))
}

fn invalid(message: String) -> TransportError {
    TransportError::InvalidAuthConfig(message)
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;
    use std::time::UNIX_EPOCH;

    use axum::http::HeaderValue;
    use jsonwebtoken::EncodingKey;
    use jsonwebtoken::Header;
    use serde_json::json;

    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    fn now() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    fn jwt(claims: serde_json::Value, secret: &[u8]) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret),
        )
        .unwrap()
    }

    #[test]
    fn capability_token_matches_only_the_right_token() {
        let digest = hex::encode(Sha256::digest(b"s3cret"));
        let auth = WebsocketAuth::capability_token_from_sha256_hex(&digest).unwrap();
        assert_eq!(auth.authorize(&headers("Bearer s3cret")), Ok(()));
        assert_eq!(auth.authorize(&headers("bearer s3cret")), Ok(()));
        assert_eq!(auth.authorize(&headers("Bearer s3cre")), Err(AuthRejection::InvalidToken));
        assert_eq!(auth.authorize(&headers("Basic s3cret")), Err(AuthRejection::MissingBearer));
        assert_eq!(auth.authorize(&HeaderMap::new()), Err(AuthRejection::MissingBearer));
        assert!(WebsocketAuth::capability_token_from_sha256_hex("abc").is_err());
    }

    #[test]
    fn token_file_must_be_absolute_and_is_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  tok\n").unwrap();
        let auth = WebsocketAuth::capability_token_from_file(&path).unwrap();
        assert_eq!(auth.authorize(&headers("Bearer tok")), Ok(()));
        assert!(WebsocketAuth::capability_token_from_file(Path::new("relative/token")).is_err());
    }

    #[test]
    fn signed_bearer_token_checks_signature_expiry_issuer_and_audience() {
        let auth = WebsocketAuth::signed_bearer_token(
            SECRET.to_vec(),
            Some("issuer-a".into()),
            Some("aud-a".into()),
            Duration::from_secs(0),
        )
        .unwrap();
        let ok = json!({"exp": now() + 600, "iss": "issuer-a", "aud": "aud-a"});
        assert_eq!(
            auth.authorize(&headers(&format!("Bearer {}", jwt(ok.clone(), SECRET)))),
            Ok(())
        );
        let rejected = [
            jwt(json!({"exp": now() - 600, "iss": "issuer-a", "aud": "aud-a"}), SECRET),
            jwt(json!({"iss": "issuer-a", "aud": "aud-a"}), SECRET),
            jwt(json!({"exp": now() + 600, "iss": "issuer-b", "aud": "aud-a"}), SECRET),
            jwt(json!({"exp": now() + 600, "iss": "issuer-a", "aud": "aud-b"}), SECRET),
            jwt(ok, b"another-secret-another-secret-another"),
            "garbage".to_owned(),
        ];
        for token in rejected {
            assert_eq!(
                auth.authorize(&headers(&format!("Bearer {token}"))),
                Err(AuthRejection::InvalidToken),
                "{token}"
            );
        }
    }

    #[test]
    fn short_secret_is_refused() {
        let err =
            WebsocketAuth::signed_bearer_token(vec![1; 31], None, None, DEFAULT_MAX_CLOCK_SKEW)
                .err()
                .unwrap();
        assert!(err.to_string().contains("at least 32"), "{err}");
    }
}
