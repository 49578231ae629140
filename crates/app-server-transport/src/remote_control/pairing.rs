//! End-to-end authentication of remote clients, so the relay is a pipe that cannot act as anyone.
//!
//! This module owns the wire frames of the stream handshake ([`AuthFrame`]), the cryptography
//! behind them (ed25519 identities, an X25519 exchange per stream, HKDF-SHA256 session keys,
//! HMAC-SHA256 on every later message), and the server's [`RemoteAuthority`]: its identity key,
//! the paired clients (public keys only), the pairing codes, the failed-attempt lockout, and the
//! open streams of each client (so a revocation closes them at once). Storage is the embedder's
//! ([`ClientStore`]); the relay link in [`super`] drives one [`StreamHandshake`] per stream.
//!
//! A stream, as the server sees it:
//! 1. client `hello` with an ephemeral X25519 key;
//! 2. server `challenge`: its id (its ed25519 public key), the stream id, a fresh nonce, its own
//!    ephemeral key, and its signature over the transcript (all of the above);
//! 3. client `proof` (its client id and its signature over the transcript) or `pair` (a new
//!    public key, a signature with it, and an HMAC over the transcript keyed with the pairing
//!    code, so the code itself never crosses the relay);
//! 4. server `accepted`; from then on every message in both directions is a `sealed` frame:
//!    the JSON-RPC text, a sequence number, and an HMAC with the direction's session key.
//!
//! Nothing of a stream reaches the server's processor before step 4.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use curve25519_dalek::montgomery::MontgomeryPoint;
use ed25519_dalek::Signature;
use ed25519_dalek::Signer;
use ed25519_dalek::SigningKey;
use ed25519_dalek::Verifier;
use ed25519_dalek::VerifyingKey;
use futures::future::BoxFuture;
use hmac::Mac;
use serde::Deserialize;
use serde::Serialize;
use sha2::Digest;
use sha2::Sha256;
use tokio_util::sync::CancellationToken;

use super::enroll::unix_now;
use crate::error::TransportError;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Version of the handshake carried in `hello` and `challenge`.
pub const AUTH_VERSION: u32 = 1;
/// How long a pairing code can be claimed.
pub const PAIRING_CODE_TTL: Duration = Duration::from_secs(10 * 60);
/// Failed pairing attempts (any code) before pairing locks.
pub const MAX_FAILED_PAIRING_ATTEMPTS: u32 = 5;
/// How long pairing stays locked after too many failed attempts.
pub const PAIRING_LOCKOUT: Duration = Duration::from_secs(5 * 60);
/// Most codes waiting to be claimed at once.
pub const MAX_PENDING_CODES: usize = 8;
/// Characters of a pairing code (Crockford base32: 5 bits each, 60 bits in all).
pub const PAIRING_CODE_CHARS: usize = 12;
/// Longest display name a pairing client may give.
pub const MAX_CLIENT_NAME_BYTES: usize = 128;
/// Codes remembered after they were claimed or expired, for `remoteControl/pairing/status`.
const SETTLED_CODE_MEMORY: usize = 64;
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const DOMAIN: &[u8] = b"codex-remote-control-auth-v1";

/// The frames of the stream handshake and of an authenticated stream, as JSON objects tagged
/// by `codexRemoteAuth`. Binary values are unpadded base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "codexRemoteAuth", rename_all = "camelCase")]
pub enum AuthFrame {
    /// Client, first frame of a stream: `{"codexRemoteAuth":"hello","version":1,"ephemeralKey":…}`.
    #[serde(rename_all = "camelCase")]
    Hello {
        /// [`AUTH_VERSION`].
        version: u32,
        /// The client's X25519 public key for this stream.
        ephemeral_key: String,
    },
    /// Server, answer to `hello`.
    #[serde(rename_all = "camelCase")]
    Challenge {
        /// [`AUTH_VERSION`].
        version: u32,
        /// The server's id: `rcs_` and its ed25519 public key.
        server_id: String,
        /// The stream id the relay gave this stream (the client cannot know it otherwise).
        stream_id: String,
        /// 32 fresh random bytes.
        nonce: String,
        /// The server's X25519 public key for this stream.
        ephemeral_key: String,
        /// The server's ed25519 signature over the transcript.
        signature: String,
    },
    /// Client, a paired client proving possession of its key.
    #[serde(rename_all = "camelCase")]
    Proof {
        /// The id the server issued at pairing.
        client_id: String,
        /// The client's ed25519 signature over the transcript and its id.
        signature: String,
    },
    /// Client, claiming a pairing code with a new key pair.
    #[serde(rename_all = "camelCase")]
    Pair {
        /// The new ed25519 public key.
        client_key: String,
        /// A display name for `remoteControl/client/list`.
        name: String,
        /// Signature with the new key over the transcript, key and name.
        signature: String,
        /// HMAC-SHA256 keyed with the pairing code over the transcript, key and name.
        code_mac: String,
    },
    /// Server, the stream is authenticated.
    #[serde(rename_all = "camelCase")]
    Accepted {
        /// The client's id (new after pairing).
        client_id: String,
        /// After `proof`: HMAC with the server-to-client session key; after `pair`: HMAC keyed
        /// with the pairing code (the client learns the server knew the code).
        mac: String,
    },
    /// Either side, once authenticated: one JSON-RPC message.
    #[serde(rename_all = "camelCase")]
    Sealed {
        /// 1 for the first message in each direction, then one more per message.
        seq: u64,
        /// The JSON-RPC message as JSON text.
        payload: String,
        /// HMAC-SHA256 with the direction's session key over `seq` and `payload`.
        mac: String,
    },
}

impl AuthFrame {
    /// The frame as a JSON value.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Reads a frame from a JSON value (`None` when it is not one).
    pub fn from_value(value: &serde_json::Value) -> Option<Self> {
        value.get("codexRemoteAuth")?;
        serde_json::from_value(value.clone()).ok()
    }
}

/// Why a stream was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// The stream did not start with `hello` (e.g. an unpaired client sending `initialize`).
    NotAuthenticated,
    /// A frame was malformed or out of place.
    Malformed(String),
    /// The client id is unknown to this server (never paired here, or revoked).
    UnknownClient,
    /// A signature or MAC did not verify.
    BadProof,
    /// No pending pairing code matches.
    BadCode,
    /// Pairing is locked after too many failed attempts.
    PairingLocked {
        /// Seconds until it unlocks.
        seconds: u64,
    },
    /// The pairing could not be stored, or no randomness was available.
    Storage(String),
}

impl AuthFailure {
    /// The message of the JSON-RPC error the client gets before its stream is closed.
    pub fn message(&self) -> String {
        let reason = match self {
            AuthFailure::NotAuthenticated => {
                "this server accepts only paired remote clients: start the stream with a \
                 `hello` frame and prove a paired key (see the README, Remote control)"
                    .to_owned()
            }
            AuthFailure::Malformed(why) => format!("malformed authentication frame: {why}"),
            AuthFailure::UnknownClient => {
                "unknown client: not paired with this server, or revoked".to_owned()
            }
            AuthFailure::BadProof => "the proof of the client key did not verify".to_owned(),
            AuthFailure::BadCode => "no pending pairing code matches".to_owned(),
            AuthFailure::PairingLocked { seconds } => {
                format!("pairing is locked for {seconds} s after too many failed attempts")
            }
            AuthFailure::Storage(why) => format!("the pairing could not be stored: {why}"),
        };
        format!("remote client authentication failed: {reason}; the stream is closed")
    }
}

/// `N` random bytes from the operating system (`None` when it has none to give).
fn random_bytes<const N: usize>() -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    match getrandom::fill(&mut bytes) {
        Ok(()) => Some(bytes),
        Err(err) => {
            tracing::error!("remote control: the operating system gave no random bytes: {err}");
            None
        }
    }
}

const NO_RANDOMNESS: &str = "the operating system gave no random bytes";

fn decode32(text: &str, what: &str) -> Result<[u8; 32], AuthFailure> {
    let bytes =
        B64.decode(text).map_err(|_| AuthFailure::Malformed(format!("{what}: not base64url")))?;
    bytes.try_into().map_err(|_| AuthFailure::Malformed(format!("{what}: not 32 bytes")))
}

fn decode_signature(text: &str) -> Result<Signature, AuthFailure> {
    let bytes =
        B64.decode(text).map_err(|_| AuthFailure::Malformed("signature: not base64url".into()))?;
    Signature::from_slice(&bytes)
        .map_err(|_| AuthFailure::Malformed("signature: not 64 bytes".into()))
}

/// The server id for a public key: `rcs_` and the key in base64url.
pub fn server_id_of(key: &VerifyingKey) -> String {
    format!("rcs_{}", B64.encode(key.as_bytes()))
}

/// The public key a server id names.
pub fn server_key_of(server_id: &str) -> Option<VerifyingKey> {
    let bytes = decode32(server_id.strip_prefix("rcs_")?, "server id").ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// The client id for a public key: `rcc_` and 24 hex digits of its SHA-256.
pub fn client_id_of(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("rcc_{}", hex::encode(&digest[..12]))
}

/// Hash of everything both sides contributed to a stream's handshake.
fn transcript(
    server_id: &str,
    stream_id: &str,
    nonce: &[u8; 32],
    server_ephemeral: &[u8; 32],
    client_ephemeral: &[u8; 32],
) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(DOMAIN);
    for part in
        [server_id.as_bytes(), stream_id.as_bytes(), nonce, server_ephemeral, client_ephemeral]
    {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.finalize().into()
}

/// What a signature or MAC of one role covers: the role, the transcript and extra fields.
fn signed_message(role: &[u8], transcript: &[u8; 32], fields: &[&[u8]]) -> Vec<u8> {
    let mut message = Vec::with_capacity(64 + role.len());
    message.extend_from_slice(DOMAIN);
    message.push(0);
    message.extend_from_slice(role);
    message.push(0);
    message.extend_from_slice(transcript);
    for field in fields {
        message.extend_from_slice(&(field.len() as u64).to_be_bytes());
        message.extend_from_slice(field);
    }
    message
}

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; were one refused, the empty tag would never verify.
    match <HmacSha256 as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Constant-time MAC check.
fn hmac_verify(key: &[u8], message: &[u8], tag: &str) -> bool {
    let Ok(tag) = B64.decode(tag) else { return false };
    let Ok(mut mac) = <HmacSha256 as Mac>::new_from_slice(key) else { return false };
    mac.update(message);
    mac.verify_slice(&tag).is_ok()
}

/// A pairing code without separators, upper case, Crockford's look-alikes mapped.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

fn new_code() -> Option<String> {
    let bytes = random_bytes::<PAIRING_CODE_CHARS>()?;
    let raw: String =
        bytes.iter().map(|byte| char::from(CODE_ALPHABET[usize::from(byte & 31)])).collect();
    Some(
        raw.as_bytes()
            .chunks(4)
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
            .collect::<Vec<_>>()
            .join("-"),
    )
}

/// The session keys of an authenticated stream.
#[derive(Clone)]
struct SessionKeys {
    client_to_server: [u8; 32],
    server_to_client: [u8; 32],
}

fn session_keys(
    own_secret: [u8; 32],
    peer_public: &[u8; 32],
    transcript: &[u8; 32],
) -> Result<SessionKeys, AuthFailure> {
    let shared = MontgomeryPoint(*peer_public).mul_clamped(own_secret).to_bytes();
    if shared == [0u8; 32] {
        return Err(AuthFailure::Malformed("ephemeral key of low order".into()));
    }
    let hkdf = hkdf::Hkdf::<Sha256>::new(Some(transcript), &shared);
    let mut keys = SessionKeys { client_to_server: [0; 32], server_to_client: [0; 32] };
    hkdf.expand(b"client to server", &mut keys.client_to_server)
        .and_then(|()| hkdf.expand(b"server to client", &mut keys.server_to_client))
        .map_err(|_| AuthFailure::Malformed("key derivation failed".into()))?;
    Ok(keys)
}

/// Seals outgoing messages of one direction of an authenticated stream.
#[derive(Clone)]
pub struct Sealer {
    key: [u8; 32],
    next_seq: u64,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Sealer").field("next_seq", &self.next_seq).finish_non_exhaustive()
    }
}

impl Sealer {
    /// The `sealed` frame carrying `payload` (JSON-RPC text).
    pub fn seal(&mut self, payload: String) -> AuthFrame {
        let seq = self.next_seq;
        self.next_seq += 1;
        let mac = B64.encode(hmac(&self.key, &sealed_message(seq, &payload)));
        AuthFrame::Sealed { seq, payload, mac }
    }
}

/// Opens incoming messages of one direction of an authenticated stream: the MAC must verify
/// and the sequence number must be the next one, so nothing can be injected, replayed,
/// reordered or dropped without the stream failing.
#[derive(Clone)]
pub struct Opener {
    key: [u8; 32],
    next_seq: u64,
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Opener").field("next_seq", &self.next_seq).finish_non_exhaustive()
    }
}

impl Opener {
    /// The payload of `frame`, when it is the next sealed frame and its MAC verifies.
    pub fn open(&mut self, frame: &serde_json::Value) -> Result<String, AuthFailure> {
        let Some(AuthFrame::Sealed { seq, payload, mac }) = AuthFrame::from_value(frame) else {
            return Err(AuthFailure::Malformed("expected a sealed frame".into()));
        };
        if seq != self.next_seq || !hmac_verify(&self.key, &sealed_message(seq, &payload), &mac) {
            return Err(AuthFailure::BadProof);
        }
        self.next_seq += 1;
        Ok(payload)
    }
}

fn sealed_message(seq: u64, payload: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(payload.len() + 16);
    message.extend_from_slice(b"sealed");
    message.extend_from_slice(&seq.to_be_bytes());
    message.extend_from_slice(payload.as_bytes());
    message
}

/// A paired client as the server stores it (only the public half of its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairedClient {
    /// `rcc_…`, derived from the public key.
    pub client_id: String,
    /// The ed25519 public key, base64url.
    pub public_key: String,
    /// The name the client gave when pairing.
    pub display_name: String,
    /// When it paired, seconds since the Unix epoch.
    pub paired_at: i64,
    /// When it last authenticated a stream, seconds since the Unix epoch.
    pub last_seen_at: Option<i64>,
}

/// Where the server keeps paired clients (the app-server: its state database).
pub trait ClientStore: Send + Sync + std::fmt::Debug {
    /// Stores a newly paired client.
    fn insert(&self, client: PairedClient) -> BoxFuture<'static, Result<(), String>>;
    /// Forgets a client.
    fn remove(&self, client_id: String) -> BoxFuture<'static, Result<(), String>>;
    /// Records that a client authenticated a stream at `at`.
    fn seen(&self, client_id: String, at: i64) -> BoxFuture<'static, Result<(), String>>;
}

/// Lifecycle of a pairing code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairingState {
    /// Waiting to be claimed.
    Pending,
    /// Claimed by the client with this id.
    Claimed(String),
    /// Expired unclaimed, or burned by the failed-attempt lockout.
    Expired,
}

/// A pairing code just issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairingCode {
    /// The code as shown to the user (`XXXX-XXXX-XXXX`).
    pub code: String,
    /// When it stops being claimable, seconds since the Unix epoch.
    pub expires_at: i64,
}

/// Why a pairing code could not be issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairingStartError {
    /// Pairing is locked after too many failed attempts.
    Locked {
        /// Seconds until it unlocks.
        seconds: u64,
    },
    /// The operating system gave no random bytes.
    NoRandomness,
}

#[derive(Debug)]
struct CodeEntry {
    /// Normalized (no separators).
    code: String,
    expires_at: i64,
    state: PairingState,
}

#[derive(Debug, Default)]
struct AuthorityInner {
    clients: HashMap<String, PairedClient>,
    codes: VecDeque<CodeEntry>,
    failed_attempts: u32,
    locked_until: i64,
    /// Open streams per client id, cancelled on revocation.
    streams: HashMap<String, Vec<CancellationToken>>,
}

impl AuthorityInner {
    /// Marks codes past their expiry as expired and forgets old settled ones.
    fn settle(&mut self, now: i64) {
        for entry in &mut self.codes {
            if entry.state == PairingState::Pending && entry.expires_at <= now {
                entry.state = PairingState::Expired;
            }
        }
        while self.codes.len() > SETTLED_CODE_MEMORY {
            match self.codes.iter().position(|entry| entry.state != PairingState::Pending) {
                Some(index) => {
                    self.codes.remove(index);
                }
                None => break,
            }
        }
    }

    fn pending(&self) -> usize {
        self.codes.iter().filter(|entry| entry.state == PairingState::Pending).count()
    }

    fn fail_attempt(&mut self, now: i64) {
        self.failed_attempts += 1;
        if self.failed_attempts >= MAX_FAILED_PAIRING_ATTEMPTS {
            tracing::warn!(
                "remote control: {} failed pairing attempts; pending codes burned, pairing locked for {} s",
                self.failed_attempts,
                PAIRING_LOCKOUT.as_secs()
            );
            self.failed_attempts = 0;
            self.locked_until = now + PAIRING_LOCKOUT.as_secs() as i64;
            for entry in &mut self.codes {
                if entry.state == PairingState::Pending {
                    entry.state = PairingState::Expired;
                }
            }
        }
    }
}

/// The server side of end-to-end remote-client authentication: identity key, paired clients,
/// pairing codes, lockout and open streams. Shared by the relay link and the request handlers.
pub struct RemoteAuthority {
    key: SigningKey,
    server_id: String,
    store: Arc<dyn ClientStore>,
    inner: Mutex<AuthorityInner>,
}

impl std::fmt::Debug for RemoteAuthority {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RemoteAuthority")
            .field("server_id", &self.server_id)
            .finish_non_exhaustive()
    }
}

/// A fresh server identity key (32 secret bytes) for [`RemoteAuthority::new`].
pub fn new_server_secret() -> Result<[u8; 32], TransportError> {
    random_bytes().ok_or_else(|| client_error(NO_RANDOMNESS))
}

impl RemoteAuthority {
    /// An authority with the identity `secret` (kept by the embedder), the clients paired so
    /// far, and `store` to keep later changes.
    pub fn new(secret: [u8; 32], clients: Vec<PairedClient>, store: Arc<dyn ClientStore>) -> Self {
        let key = SigningKey::from_bytes(&secret);
        let server_id = server_id_of(&key.verifying_key());
        let clients =
            clients.into_iter().map(|client| (client.client_id.clone(), client)).collect();
        Self {
            key,
            server_id,
            store,
            inner: Mutex::new(AuthorityInner { clients, ..AuthorityInner::default() }),
        }
    }

    /// This server's id (`rcs_` and its public key): what paired clients expect.
    pub fn server_id(&self) -> &str {
        &self.server_id
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AuthorityInner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Issues a pairing code claimable once within `ttl`. The oldest pending code is dropped
    /// when [`MAX_PENDING_CODES`] are pending.
    pub fn start_pairing(&self, ttl: Duration) -> Result<PairingCode, PairingStartError> {
        let now = unix_now();
        let mut inner = self.lock();
        if inner.locked_until > now {
            return Err(PairingStartError::Locked { seconds: (inner.locked_until - now) as u64 });
        }
        inner.settle(now);
        if inner.pending() >= MAX_PENDING_CODES {
            if let Some(oldest) =
                inner.codes.iter_mut().find(|entry| entry.state == PairingState::Pending)
            {
                oldest.state = PairingState::Expired;
            }
        }
        let code = new_code().ok_or(PairingStartError::NoRandomness)?;
        let expires_at = now + ttl.as_secs().max(1) as i64;
        inner.codes.push_back(CodeEntry {
            code: normalize_code(&code),
            expires_at,
            state: PairingState::Pending,
        });
        Ok(PairingCode { code, expires_at })
    }

    /// The state of a code issued by [`RemoteAuthority::start_pairing`] (`None`: not known).
    pub fn pairing_state(&self, code: &str) -> Option<PairingState> {
        let wanted = normalize_code(code);
        let mut inner = self.lock();
        inner.settle(unix_now());
        inner
            .codes
            .iter()
            .find(|entry| {
                constant_time_eq::constant_time_eq(entry.code.as_bytes(), wanted.as_bytes())
            })
            .map(|entry| entry.state.clone())
    }

    /// Every paired client, oldest pairing first.
    pub fn clients(&self) -> Vec<PairedClient> {
        let mut clients: Vec<PairedClient> = self.lock().clients.values().cloned().collect();
        clients.sort_by(|a, b| a.paired_at.cmp(&b.paired_at).then(a.client_id.cmp(&b.client_id)));
        clients
    }

    /// Forgets `client_id` and closes its open streams at once. False when it was not paired.
    pub async fn revoke(&self, client_id: &str) -> Result<bool, String> {
        let (removed, streams) = {
            let mut inner = self.lock();
            (inner.clients.remove(client_id), inner.streams.remove(client_id).unwrap_or_default())
        };
        for stream in streams {
            stream.cancel();
        }
        if removed.is_none() {
            return Ok(false);
        }
        tracing::info!(%client_id, "remote control: client revoked");
        self.store.remove(client_id.to_owned()).await?;
        Ok(true)
    }

    /// Registers an authenticated stream of `client_id` (cancelled on revocation). False when
    /// the client was revoked meanwhile (the stream must not open).
    pub(crate) fn register_stream(&self, client_id: &str, cancel: CancellationToken) -> bool {
        let mut inner = self.lock();
        if !inner.clients.contains_key(client_id) {
            return false;
        }
        let streams = inner.streams.entry(client_id.to_owned()).or_default();
        streams.retain(|stream| !stream.is_cancelled());
        streams.push(cancel);
        true
    }

    /// Answers a stream's `hello` with a challenge.
    pub(crate) fn hello(
        &self,
        stream_id: &str,
        frame: &serde_json::Value,
    ) -> Result<(StreamHandshake, AuthFrame), AuthFailure> {
        let Some(AuthFrame::Hello { version, ephemeral_key }) = AuthFrame::from_value(frame) else {
            return Err(AuthFailure::NotAuthenticated);
        };
        if version != AUTH_VERSION {
            return Err(AuthFailure::Malformed(format!(
                "handshake version {version} is not supported (this server speaks {AUTH_VERSION})"
            )));
        }
        let client_ephemeral = decode32(&ephemeral_key, "ephemeralKey")?;
        let no_randomness = || AuthFailure::Storage(NO_RANDOMNESS.into());
        let secret = random_bytes::<32>().ok_or_else(no_randomness)?;
        let server_ephemeral = MontgomeryPoint::mul_base_clamped(secret).to_bytes();
        let nonce = random_bytes::<32>().ok_or_else(no_randomness)?;
        let transcript =
            transcript(&self.server_id, stream_id, &nonce, &server_ephemeral, &client_ephemeral);
        let keys = session_keys(secret, &client_ephemeral, &transcript)?;
        let signature = self.key.sign(&signed_message(b"server", &transcript, &[]));
        let challenge = AuthFrame::Challenge {
            version: AUTH_VERSION,
            server_id: self.server_id.clone(),
            stream_id: stream_id.to_owned(),
            nonce: B64.encode(nonce),
            ephemeral_key: B64.encode(server_ephemeral),
            signature: B64.encode(signature.to_bytes()),
        };
        Ok((StreamHandshake { transcript, keys }, challenge))
    }

    /// Checks a stream's `proof` or `pair` frame. On success: the client id, the `accepted`
    /// frame to send, and the stream's sealer (server to client) and opener (client to server).
    pub(crate) async fn finish(
        &self,
        handshake: StreamHandshake,
        frame: &serde_json::Value,
    ) -> Result<(String, AuthFrame, Sealer, Opener), AuthFailure> {
        let StreamHandshake { transcript, keys } = handshake;
        let (client_id, mac) = match AuthFrame::from_value(frame) {
            Some(AuthFrame::Proof { client_id, signature }) => {
                let public_key = self
                    .lock()
                    .clients
                    .get(&client_id)
                    .map(|client| client.public_key.clone())
                    .ok_or(AuthFailure::UnknownClient)?;
                let key = VerifyingKey::from_bytes(&decode32(&public_key, "stored key")?)
                    .map_err(|_| AuthFailure::UnknownClient)?;
                let signature = decode_signature(&signature)?;
                key.verify(
                    &signed_message(b"client", &transcript, &[client_id.as_bytes()]),
                    &signature,
                )
                .map_err(|_| AuthFailure::BadProof)?;
                let mac = hmac(
                    &keys.server_to_client,
                    &signed_message(b"accepted", &transcript, &[client_id.as_bytes()]),
                );
                let at = unix_now();
                if let Some(client) = self.lock().clients.get_mut(&client_id) {
                    client.last_seen_at = Some(at);
                }
                // Recorded in the background: the stream does not wait for the disk.
                let seen = self.store.seen(client_id.clone(), at);
                let who = client_id.clone();
                tokio::spawn(async move {
                    if let Err(err) = seen.await {
                        tracing::warn!("remote control: recording when {who} was seen: {err}");
                    }
                });
                (client_id, mac)
            }
            Some(AuthFrame::Pair { client_key, name, signature, code_mac }) => {
                self.claim(&transcript, &client_key, &name, &signature, &code_mac).await?
            }
            Some(_) => return Err(AuthFailure::Malformed("expected proof or pair".into())),
            None => return Err(AuthFailure::NotAuthenticated),
        };
        let accepted = AuthFrame::Accepted { client_id: client_id.clone(), mac: B64.encode(mac) };
        Ok((
            client_id,
            accepted,
            Sealer { key: keys.server_to_client, next_seq: 1 },
            Opener { key: keys.client_to_server, next_seq: 1 },
        ))
    }

    /// Claims a pending code for a new key: returns its client id and the `accepted` MAC.
    async fn claim(
        &self,
        transcript: &[u8; 32],
        client_key: &str,
        name: &str,
        signature: &str,
        code_mac: &str,
    ) -> Result<(String, Vec<u8>), AuthFailure> {
        let now = unix_now();
        let key_bytes = decode32(client_key, "clientKey")?;
        let key = VerifyingKey::from_bytes(&key_bytes)
            .map_err(|_| AuthFailure::Malformed("clientKey: not an ed25519 key".into()))?;
        if name.len() > MAX_CLIENT_NAME_BYTES || name.chars().any(char::is_control) {
            return Err(AuthFailure::Malformed(format!(
                "name: at most {MAX_CLIENT_NAME_BYTES} bytes, no control characters"
            )));
        }
        let signature = decode_signature(signature)?;
        let covered = [key_bytes.as_slice(), name.as_bytes()];
        let client_id = client_id_of(&key);
        let client = {
            let mut inner = self.lock();
            if inner.locked_until > now {
                return Err(AuthFailure::PairingLocked {
                    seconds: (inner.locked_until - now) as u64,
                });
            }
            inner.settle(now);
            // Every pending code is tried, each with a constant-time MAC check.
            let matched = inner.codes.iter().position(|entry| {
                entry.state == PairingState::Pending
                    && hmac_verify(
                        entry.code.as_bytes(),
                        &signed_message(b"pair", transcript, &covered),
                        code_mac,
                    )
            });
            let Some(index) = matched else {
                inner.fail_attempt(now);
                return Err(AuthFailure::BadCode);
            };
            if key.verify(&signed_message(b"pair-key", transcript, &covered), &signature).is_err() {
                inner.fail_attempt(now);
                return Err(AuthFailure::BadProof);
            }
            let entry = &mut inner.codes[index];
            entry.state = PairingState::Claimed(client_id.clone());
            let code = entry.code.clone();
            let client = PairedClient {
                client_id: client_id.clone(),
                public_key: client_key.to_owned(),
                display_name: name.to_owned(),
                paired_at: now,
                last_seen_at: Some(now),
            };
            inner.failed_attempts = 0;
            inner.clients.insert(client_id.clone(), client.clone());
            (client, code)
        };
        let (client, code) = client;
        if let Err(err) = self.store.insert(client).await {
            self.lock().clients.remove(&client_id);
            return Err(AuthFailure::Storage(err));
        }
        tracing::info!(%client_id, %name, "remote control: client paired");
        let mac = hmac(
            code.as_bytes(),
            &signed_message(
                b"paired",
                transcript,
                &[client_id.as_bytes(), self.server_id.as_bytes()],
            ),
        );
        Ok((client_id, mac))
    }
}

/// A stream between `hello` and `proof`/`pair`.
pub(crate) struct StreamHandshake {
    transcript: [u8; 32],
    keys: SessionKeys,
}

impl std::fmt::Debug for StreamHandshake {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("StreamHandshake").finish_non_exhaustive()
    }
}

/// What a remote client keeps after pairing: its key pair, its id, and the server it paired
/// with. Serializable (keep the file private: it holds the secret key). `Debug` omits the key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientCredential {
    /// The id the server knows this client by.
    pub client_id: String,
    /// The server's id (`rcs_…`, its public key).
    pub server_id: String,
    /// The client's ed25519 secret key, base64url.
    pub secret_key: String,
}

impl std::fmt::Debug for ClientCredential {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ClientCredential")
            .field("client_id", &self.client_id)
            .field("server_id", &self.server_id)
            .finish_non_exhaustive()
    }
}

fn client_error(why: impl Into<String>) -> TransportError {
    TransportError::RemoteAuth(why.into())
}

/// The client side of one stream's handshake, without I/O: make the `hello`, answer the
/// `challenge` with a proof or a pairing claim, check the `accepted`, then seal and open.
pub struct ClientHandshake {
    secret: [u8; 32],
    public: [u8; 32],
}

impl std::fmt::Debug for ClientHandshake {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("ClientHandshake").finish_non_exhaustive()
    }
}

/// A challenge the client answered, waiting for `accepted`.
pub struct AnsweredChallenge {
    transcript: [u8; 32],
    keys: SessionKeys,
    server_id: String,
    expected: Expected,
}

impl std::fmt::Debug for AnsweredChallenge {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("AnsweredChallenge")
            .field("server_id", &self.server_id)
            .finish_non_exhaustive()
    }
}

enum Expected {
    Proof { client_id: String },
    Pair { code: String, credential: ClientCredential },
}

/// A challenge as the client reads it.
struct ReadChallenge {
    server_id: String,
    transcript: [u8; 32],
    keys: SessionKeys,
}

impl ClientHandshake {
    /// A handshake with a fresh ephemeral key, and its `hello` frame.
    pub fn start() -> Result<(Self, AuthFrame), TransportError> {
        let secret = random_bytes::<32>().ok_or_else(|| client_error(NO_RANDOMNESS))?;
        let public = MontgomeryPoint::mul_base_clamped(secret).to_bytes();
        let hello = AuthFrame::Hello { version: AUTH_VERSION, ephemeral_key: B64.encode(public) };
        Ok((Self { secret, public }, hello))
    }

    fn read(&self, challenge: &serde_json::Value) -> Result<ReadChallenge, TransportError> {
        let frame = AuthFrame::from_value(challenge);
        let Some(AuthFrame::Challenge {
            version,
            server_id,
            stream_id,
            nonce,
            ephemeral_key,
            signature,
        }) = frame
        else {
            return Err(client_error(format!("expected a challenge, got {challenge}")));
        };
        if version != AUTH_VERSION {
            return Err(client_error(format!("server speaks handshake version {version}")));
        }
        let bad = |failure: AuthFailure| client_error(failure.message());
        let server_key =
            server_key_of(&server_id).ok_or_else(|| client_error("challenge: bad server id"))?;
        let nonce = decode32(&nonce, "nonce").map_err(bad)?;
        let server_ephemeral = decode32(&ephemeral_key, "ephemeralKey").map_err(bad)?;
        let transcript =
            transcript(&server_id, &stream_id, &nonce, &server_ephemeral, &self.public);
        let signature = decode_signature(&signature).map_err(bad)?;
        server_key
            .verify(&signed_message(b"server", &transcript, &[]), &signature)
            .map_err(|_| client_error("the challenge's server signature did not verify"))?;
        let keys = session_keys(self.secret, &server_ephemeral, &transcript).map_err(bad)?;
        Ok(ReadChallenge { server_id, transcript, keys })
    }

    /// Answers `challenge` with a proof of `credential`. Refuses a challenge of another server
    /// than the one the credential was paired with.
    pub fn prove(
        self,
        challenge: &serde_json::Value,
        credential: &ClientCredential,
    ) -> Result<(AuthFrame, AnsweredChallenge), TransportError> {
        let read = self.read(challenge)?;
        if read.server_id != credential.server_id {
            return Err(client_error(format!(
                "the challenge comes from {}, not from the server this credential belongs to ({})",
                read.server_id, credential.server_id
            )));
        }
        let key = SigningKey::from_bytes(
            &decode32(&credential.secret_key, "secret key")
                .map_err(|f| client_error(f.message()))?,
        );
        let signature = key.sign(&signed_message(
            b"client",
            &read.transcript,
            &[credential.client_id.as_bytes()],
        ));
        let proof = AuthFrame::Proof {
            client_id: credential.client_id.clone(),
            signature: B64.encode(signature.to_bytes()),
        };
        Ok((
            proof,
            AnsweredChallenge {
                transcript: read.transcript,
                keys: read.keys,
                server_id: read.server_id,
                expected: Expected::Proof { client_id: credential.client_id.clone() },
            },
        ))
    }

    /// Answers `challenge` by claiming pairing `code` with a new key pair named `name`.
    pub fn pair(
        self,
        challenge: &serde_json::Value,
        code: &str,
        name: &str,
    ) -> Result<(AuthFrame, AnsweredChallenge), TransportError> {
        let read = self.read(challenge)?;
        let secret = random_bytes::<32>().ok_or_else(|| client_error(NO_RANDOMNESS))?;
        let key = SigningKey::from_bytes(&secret);
        let public = key.verifying_key().to_bytes();
        let covered = [public.as_slice(), name.as_bytes()];
        let code = normalize_code(code);
        let signature = key.sign(&signed_message(b"pair-key", &read.transcript, &covered));
        let code_mac = hmac(code.as_bytes(), &signed_message(b"pair", &read.transcript, &covered));
        let frame = AuthFrame::Pair {
            client_key: B64.encode(public),
            name: name.to_owned(),
            signature: B64.encode(signature.to_bytes()),
            code_mac: B64.encode(code_mac),
        };
        let credential = ClientCredential {
            client_id: client_id_of(&key.verifying_key()),
            server_id: read.server_id.clone(),
            secret_key: B64.encode(secret),
        };
        Ok((
            frame,
            AnsweredChallenge {
                transcript: read.transcript,
                keys: read.keys,
                server_id: read.server_id,
                expected: Expected::Pair { code, credential },
            },
        ))
    }
}

/// An authenticated stream, client side.
#[derive(Debug)]
pub struct ClientSession {
    /// Seals messages to the server.
    pub sealer: Sealer,
    /// Opens messages from the server.
    pub opener: Opener,
    /// The credential: the one used, or the one a pairing created.
    pub credential: Option<ClientCredential>,
}

impl AnsweredChallenge {
    /// Checks the server's `accepted` (or reports its error) and returns the session.
    pub fn accept(self, reply: &serde_json::Value) -> Result<ClientSession, TransportError> {
        let Some(AuthFrame::Accepted { client_id, mac }) = AuthFrame::from_value(reply) else {
            let reason = reply
                .pointer("/error/message")
                .and_then(serde_json::Value::as_str)
                .map_or_else(|| format!("unexpected reply {reply}"), str::to_owned);
            return Err(client_error(reason));
        };
        let credential = match self.expected {
            Expected::Proof { client_id: expected } => {
                let message = signed_message(b"accepted", &self.transcript, &[expected.as_bytes()]);
                if client_id != expected
                    || !hmac_verify(&self.keys.server_to_client, &message, &mac)
                {
                    return Err(client_error("the server's acceptance did not verify"));
                }
                None
            }
            Expected::Pair { code, credential } => {
                let message = signed_message(
                    b"paired",
                    &self.transcript,
                    &[credential.client_id.as_bytes(), self.server_id.as_bytes()],
                );
                if client_id != credential.client_id
                    || !hmac_verify(code.as_bytes(), &message, &mac)
                {
                    return Err(client_error(
                        "the pairing acceptance did not verify: whoever answered does not know the code",
                    ));
                }
                Some(credential)
            }
        };
        Ok(ClientSession {
            sealer: Sealer { key: self.keys.client_to_server, next_seq: 1 },
            opener: Opener { key: self.keys.server_to_client, next_seq: 1 },
            credential,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default)]
    struct Memory;

    impl ClientStore for Memory {
        fn insert(&self, _client: PairedClient) -> BoxFuture<'static, Result<(), String>> {
            Box::pin(async { Ok(()) })
        }
        fn remove(&self, _client_id: String) -> BoxFuture<'static, Result<(), String>> {
            Box::pin(async { Ok(()) })
        }
        fn seen(&self, _client_id: String, _at: i64) -> BoxFuture<'static, Result<(), String>> {
            Box::pin(async { Ok(()) })
        }
    }

    fn authority() -> RemoteAuthority {
        RemoteAuthority::new(new_server_secret().unwrap(), Vec::new(), Arc::new(Memory))
    }

    #[tokio::test]
    async fn pairing_then_proof_then_sealed_messages_round_trip() {
        let authority = authority();
        let code = authority.start_pairing(PAIRING_CODE_TTL).unwrap();
        assert_eq!(code.code.len(), PAIRING_CODE_CHARS + 2);
        let (client, hello) = ClientHandshake::start().unwrap();
        let (handshake, challenge) = authority.hello("s1", &hello.to_value()).unwrap();
        let (pair, answered) =
            client.pair(&challenge.to_value(), &code.code.to_lowercase(), "phone").unwrap();
        let (client_id, accepted, _, _) =
            authority.finish(handshake, &pair.to_value()).await.unwrap();
        let session = answered.accept(&accepted.to_value()).unwrap();
        let credential = session.credential.unwrap();
        assert_eq!(credential.client_id, client_id);
        assert_eq!(
            authority.pairing_state(&code.code),
            Some(PairingState::Claimed(client_id.clone()))
        );

        let (client, hello) = ClientHandshake::start().unwrap();
        let (handshake, challenge) = authority.hello("s2", &hello.to_value()).unwrap();
        let (proof, answered) = client.prove(&challenge.to_value(), &credential).unwrap();
        let (_, accepted, mut server_sealer, mut server_opener) =
            authority.finish(handshake, &proof.to_value()).await.unwrap();
        let mut session = answered.accept(&accepted.to_value()).unwrap();
        let sealed = session.sealer.seal("{\"id\":1}".into()).to_value();
        assert_eq!(server_opener.open(&sealed).unwrap(), "{\"id\":1}");
        // A replayed (or injected) frame fails.
        assert_eq!(server_opener.open(&sealed), Err(AuthFailure::BadProof));
        let back = server_sealer.seal("{\"id\":2}".into()).to_value();
        assert_eq!(session.opener.open(&back).unwrap(), "{\"id\":2}");
    }

    #[tokio::test]
    async fn wrong_codes_lock_pairing_and_burn_pending_codes() {
        let authority = authority();
        let code = authority.start_pairing(PAIRING_CODE_TTL).unwrap();
        for attempt in 0..MAX_FAILED_PAIRING_ATTEMPTS {
            let (client, hello) = ClientHandshake::start().unwrap();
            let (handshake, challenge) = authority.hello("s", &hello.to_value()).unwrap();
            let (pair, _) = client.pair(&challenge.to_value(), "0000-0000-0000", "x").unwrap();
            let failure = authority.finish(handshake, &pair.to_value()).await.unwrap_err();
            assert_eq!(failure, AuthFailure::BadCode, "attempt {attempt}");
        }
        assert_eq!(authority.pairing_state(&code.code), Some(PairingState::Expired));
        // The right code is refused now too, without being checked.
        let (client, hello) = ClientHandshake::start().unwrap();
        let (handshake, challenge) = authority.hello("s", &hello.to_value()).unwrap();
        let (pair, _) = client.pair(&challenge.to_value(), &code.code, "x").unwrap();
        let failure = authority.finish(handshake, &pair.to_value()).await.unwrap_err();
        assert!(matches!(failure, AuthFailure::PairingLocked { .. }), "{failure:?}");
        assert!(matches!(
            authority.start_pairing(PAIRING_CODE_TTL),
            Err(PairingStartError::Locked { .. })
        ));
    }

    #[test]
    fn codes_normalize_separators_case_and_look_alikes() {
        assert_eq!(normalize_code(" abcd-efgh-ijkl "), "ABCDEFGH1JK1");
        assert_eq!(normalize_code("O0o0"), "0000");
    }
}
