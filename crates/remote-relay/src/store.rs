//! The relay's persistent state under `--state-dir`: enrolled servers (`servers.json`, token
//! digests only) and operator-issued client tokens (`client_tokens.json`, digests only). Files are
//! written atomically with mode 0600.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde::Serialize;
use sha2::Digest;
use sha2::Sha256;

use crate::RelayError;

/// File of enrolled servers.
pub const SERVERS_FILE: &str = "servers.json";
/// File of client tokens.
pub const CLIENT_TOKENS_FILE: &str = "client_tokens.json";
/// Lock file serialising changes to the client tokens (operators may run several commands).
pub const CLIENT_TOKENS_LOCK_FILE: &str = "client_tokens.lock";

/// One enrolled server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRecord {
    /// The installation that enrolled.
    pub installation_id: String,
    /// The environment its clients see.
    pub environment_id: String,
    /// Its display name.
    pub name: String,
    /// Hex SHA-256 of its current token.
    pub token_sha256: String,
    /// Hex SHA-256 of the token it replaced (a server whose refresh answer was lost holds it).
    #[serde(default)]
    pub previous_token_sha256: String,
    /// Token expiry, seconds since the Unix epoch.
    pub expires_at: i64,
}

impl ServerRecord {
    /// Whether `token` is this server's current token.
    pub fn holds_current(&self, token: &str) -> bool {
        digest_matches(&self.token_sha256, token)
    }

    /// Whether `token` is this server's current or immediately previous token.
    pub fn holds(&self, token: &str) -> bool {
        self.holds_current(token) || digest_matches(&self.previous_token_sha256, token)
    }
}

fn digest_matches(stored: &str, token: &str) -> bool {
    !stored.is_empty()
        && constant_time_eq::constant_time_eq(stored.as_bytes(), token_digest(token).as_bytes())
}

/// One operator-issued client token (stored by digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientTokenRecord {
    /// The server this token may reach.
    pub server_id: String,
    /// When it was issued, seconds since the Unix epoch.
    pub issued_at: i64,
}

/// The public id of the client token whose digest is `digest` (also its client id on the relay).
pub fn client_token_id(digest: &str) -> String {
    format!("cli_{}", digest.get(..16).unwrap_or(digest))
}

/// Hex SHA-256 of a token.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh random token (256 bits from the OS generator).
pub fn new_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

fn read_map<T: DeserializeOwned>(path: &Path) -> Result<BTreeMap<String, T>, RelayError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|err| RelayError::Store(format!("{} is unreadable: {err}", path.display()))),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(err) => Err(RelayError::Store(format!("reading {}: {err}", path.display()))),
    }
}

fn write_map<T: Serialize>(path: &Path, map: &BTreeMap<String, T>) -> Result<(), RelayError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let fail =
        |err: std::io::Error| RelayError::Store(format!("writing {}: {err}", path.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let bytes = serde_json::to_vec_pretty(map)
        .map_err(|err| RelayError::Store(format!("serialising {}: {err}", path.display())))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    file.as_file().set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
    file.write_all(&bytes).map_err(fail)?;
    file.as_file().sync_all().map_err(fail)?;
    file.persist(path).map_err(|err| fail(err.error))?;
    Ok(())
}

/// What identifies one version of a state file without reading it (files are replaced, never
/// rewritten in place, so a new version has a new inode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    inode: u64,
    length: u64,
    modified: Option<std::time::SystemTime>,
}

fn file_stamp(path: &Path) -> Result<Option<FileStamp>, RelayError> {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(metadata) => Ok(Some(FileStamp {
            inode: metadata.ino(),
            length: metadata.len(),
            modified: metadata.modified().ok(),
        })),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(RelayError::Store(format!("reading {}: {err}", path.display()))),
    }
}

/// The client tokens held in memory, by digest; reloaded only when the file changes (the
/// operator issues tokens from another process).
#[derive(Debug, Default)]
pub struct ClientTokenCache {
    loaded: bool,
    stamp: Option<FileStamp>,
    by_digest: std::collections::HashMap<String, String>,
}

/// The state directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Every enrolled server, by server id.
    pub fn servers(&self) -> Result<BTreeMap<String, ServerRecord>, RelayError> {
        read_map(&self.dir.join(SERVERS_FILE))
    }

    /// Replaces the enrolled servers.
    pub fn save_servers(&self, servers: &BTreeMap<String, ServerRecord>) -> Result<(), RelayError> {
        write_map(&self.dir.join(SERVERS_FILE), servers)
    }

    /// Every client token, by digest.
    pub fn client_tokens(&self) -> Result<BTreeMap<String, ClientTokenRecord>, RelayError> {
        read_map(&self.dir.join(CLIENT_TOKENS_FILE))
    }

    /// Applies `change` to the client tokens under an exclusive file lock, then saves them.
    fn change_client_tokens<R>(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, ClientTokenRecord>) -> R,
    ) -> Result<R, RelayError> {
        let lock_path = self.dir.join(CLIENT_TOKENS_LOCK_FILE);
        let fail = |err: std::io::Error| {
            RelayError::Store(format!("locking {}: {err}", lock_path.display()))
        };
        std::fs::create_dir_all(&self.dir).map_err(fail)?;
        let lock = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .mode(0o600)
                .open(&lock_path)
                .map_err(fail)?
        };
        lock.lock().map_err(fail)?;
        let mut tokens = self.client_tokens()?;
        let result = change(&mut tokens);
        write_map(&self.dir.join(CLIENT_TOKENS_FILE), &tokens)?;
        drop(lock);
        Ok(result)
    }

    /// Issues a client token for `server_id`; returns the token (only its digest is stored).
    pub fn issue_client_token(&self, server_id: &str) -> Result<String, RelayError> {
        if server_id.is_empty()
            || server_id.len() > 128
            || server_id.chars().any(|c| c.is_control() || c == '/')
        {
            return Err(RelayError::Store(
                "server id must be 1-128 characters, without '/' or control characters".into(),
            ));
        }
        let token = new_token();
        let record = ClientTokenRecord {
            server_id: server_id.to_owned(),
            issued_at: codex_app_server_transport::remote_control::unix_now(),
        };
        self.change_client_tokens(|tokens| tokens.insert(token_digest(&token), record))?;
        Ok(token)
    }

    /// Every client token as `(id, record)`; the id (`cli_` and 16 hex digits of its digest) is
    /// what the relay logs as the client id and what [`Store::revoke_client_token`] takes.
    pub fn list_client_tokens(&self) -> Result<Vec<(String, ClientTokenRecord)>, RelayError> {
        Ok(self
            .client_tokens()?
            .into_iter()
            .map(|(digest, record)| (client_token_id(&digest), record))
            .collect())
    }

    /// Revokes the client tokens whose id (see [`Store::list_client_tokens`]) or token is
    /// `id_or_token`; returns how many were removed. New sockets with them are refused at once.
    pub fn revoke_client_token(&self, id_or_token: &str) -> Result<usize, RelayError> {
        let digest = token_digest(id_or_token);
        self.change_client_tokens(|tokens| {
            let before = tokens.len();
            tokens.retain(|stored, _| *stored != digest && client_token_id(stored) != id_or_token);
            before - tokens.len()
        })
    }

    /// The server a client token may reach, looked up in `cache` (reloaded when the file changed).
    pub fn cached_client_token_server(
        &self,
        cache: &mut ClientTokenCache,
        token: &str,
    ) -> Result<Option<String>, RelayError> {
        let path = self.dir.join(CLIENT_TOKENS_FILE);
        let stamp = file_stamp(&path)?;
        if !cache.loaded || stamp != cache.stamp {
            let tokens = self.client_tokens()?;
            cache.by_digest =
                tokens.into_iter().map(|(digest, record)| (digest, record.server_id)).collect();
            cache.stamp = stamp;
            cache.loaded = true;
        }
        Ok(cache.by_digest.get(&token_digest(token)).cloned())
    }

    /// The server a client token may reach, if the token is known.
    pub fn client_token_server(&self, token: &str) -> Result<Option<String>, RelayError> {
        let digest = token_digest(token);
        let tokens = self.client_tokens()?;
        Ok(tokens.iter().find_map(|(stored, record)| {
            constant_time_eq::constant_time_eq(stored.as_bytes(), digest.as_bytes())
                .then(|| record.server_id.clone())
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_are_stored_by_digest_with_private_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let token = store.issue_client_token("srv-1").unwrap();
        assert_eq!(store.client_token_server(&token).unwrap().as_deref(), Some("srv-1"));
        assert_eq!(store.client_token_server("nope").unwrap(), None);
        let text = std::fs::read_to_string(dir.path().join(CLIENT_TOKENS_FILE)).unwrap();
        assert!(!text.contains(&token), "token stored in clear");
        let mode =
            std::fs::metadata(dir.path().join(CLIENT_TOKENS_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn client_tokens_are_listed_by_id_and_revoked_by_id_or_token() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let first = store.issue_client_token("srv-1").unwrap();
        let second = store.issue_client_token("srv-2").unwrap();
        assert!(store.issue_client_token("a/b").is_err());
        let listed = store.list_client_tokens().unwrap();
        assert_eq!(listed.len(), 2);
        let first_id = client_token_id(&token_digest(&first));
        assert!(listed.iter().any(|(id, record)| *id == first_id && record.server_id == "srv-1"));
        assert!(listed.iter().all(|(id, _)| !id.contains(&first) && !id.contains(&second)));
        assert_eq!(store.revoke_client_token("cli_unknown").unwrap(), 0);
        assert_eq!(store.revoke_client_token(&first_id).unwrap(), 1);
        assert_eq!(store.revoke_client_token(&second).unwrap(), 1);
        assert!(store.list_client_tokens().unwrap().is_empty());
        assert_eq!(store.client_token_server(&first).unwrap(), None);
    }

    #[test]
    fn concurrent_issuers_lose_no_token() {
        let dir = tempfile::tempdir().unwrap();
        let issuers: Vec<_> = (0..8)
            .map(|n| {
                let store = Store::new(dir.path());
                std::thread::spawn(move || {
                    (0..5)
                        .map(|_| store.issue_client_token(&format!("srv-{n}")).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let tokens: Vec<String> = issuers.into_iter().flat_map(|t| t.join().unwrap()).collect();
        let store = Store::new(dir.path());
        for token in &tokens {
            assert!(
                store.client_token_server(token).unwrap().is_some(),
                "a concurrent issue was lost"
            );
        }
    }

    #[test]
    fn the_client_token_cache_sees_tokens_issued_after_it_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let mut cache = ClientTokenCache::default();
        assert_eq!(store.cached_client_token_server(&mut cache, "nope").unwrap(), None);
        let first = store.issue_client_token("srv-1").unwrap();
        assert_eq!(
            store.cached_client_token_server(&mut cache, &first).unwrap().as_deref(),
            Some("srv-1")
        );
        let second = Store::new(dir.path()).issue_client_token("srv-2").unwrap();
        assert_eq!(
            store.cached_client_token_server(&mut cache, &second).unwrap().as_deref(),
            Some("srv-2")
        );
    }
}
