//! The API key a user signs in with (`account/login/start` with `type: apiKey`), stored in
//! `$CODEX_HOME/auth.json` as `{"OPENAI_API_KEY": "…"}` with mode 0600, and the key lookup the
//! model clients use: a stored key answers `OPENAI_API_KEY` (the key of the built-in `openai`
//! provider, and of any provider whose `env_key` names it) before the environment does.

use std::io::Write as _;
use std::path::Path;
use std::path::PathBuf;

/// The file holding the stored credentials, inside `$CODEX_HOME`.
pub const AUTH_FILE: &str = "auth.json";
/// The variable (and `auth.json` field) of the OpenAI API key.
pub const OPENAI_API_KEY: &str = "OPENAI_API_KEY";

/// The stored API key, if a user signed in with one.
pub fn stored_api_key(codex_home: &Path) -> Option<String> {
    let text = std::fs::read_to_string(codex_home.join(AUTH_FILE)).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let key = value.get(OPENAI_API_KEY)?.as_str()?.trim();
    (!key.is_empty()).then(|| key.to_owned())
}

/// Stores `key` as the signed-in API key, replacing whatever `auth.json` held; the file is
/// written beside the old one with mode 0600 and renamed over it, so it is never readable by
/// others nor half written.
pub fn store_api_key(codex_home: &Path, key: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(codex_home)?;
    let text = serde_json::to_string_pretty(&serde_json::json!({ OPENAI_API_KEY: key }))
        .map_err(std::io::Error::other)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".auth.json.");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut file = builder.tempfile_in(codex_home)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.as_file().sync_all()?;
    file.persist(codex_home.join(AUTH_FILE)).map_err(|err| err.error)?;
    Ok(())
}

/// Removes the stored credentials; true when there were any.
pub fn remove_auth(codex_home: &Path) -> std::io::Result<bool> {
    match std::fs::remove_file(codex_home.join(AUTH_FILE)) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err),
    }
}

/// How model clients read their API key: `OPENAI_API_KEY` from `auth.json` first, then every
/// variable from the environment. The file is read at each request, so a sign-in or sign-out
/// takes effect on the next one.
pub fn key_lookup(codex_home: PathBuf) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    move |name| {
        let stored = (name == OPENAI_API_KEY).then(|| stored_api_key(&codex_home)).flatten();
        stored.or_else(|| std::env::var(name).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_key_is_private_found_first_and_removable() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(stored_api_key(home.path()), None);
        store_api_key(home.path(), "sk-one").unwrap();
        store_api_key(home.path(), "sk-two").unwrap();
        assert_eq!(stored_api_key(home.path()).as_deref(), Some("sk-two"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(home.path().join(AUTH_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let lookup = key_lookup(home.path().to_path_buf());
        assert_eq!(lookup(OPENAI_API_KEY).as_deref(), Some("sk-two"));
        assert!(remove_auth(home.path()).unwrap());
        assert!(!remove_auth(home.path()).unwrap());
        assert_eq!(stored_api_key(home.path()), None);
    }
}
