//! The enrolled servers held in memory, indexed by token digest so that authenticating a request
//! is one hash of the presented token and one map lookup, whatever the number of servers.

use std::collections::BTreeMap;
use std::collections::HashMap;

use crate::store::ServerRecord;

/// Which of a server's tokens a digest matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenMatch {
    /// Its current token.
    Current,
    /// The token its current one replaced (held by a server whose refresh answer was lost).
    Previous,
}

/// Enrolled servers by id, with an index from token digest to server id.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    servers: BTreeMap<String, ServerRecord>,
    by_digest: HashMap<String, String>,
}

impl Registry {
    /// A registry of `servers`.
    pub(crate) fn new(servers: BTreeMap<String, ServerRecord>) -> Self {
        let mut registry = Self::default();
        for (id, record) in servers {
            registry.insert(id, record);
        }
        registry
    }

    /// The record of `server_id`.
    pub(crate) fn get(&self, server_id: &str) -> Option<&ServerRecord> {
        self.servers.get(server_id)
    }

    /// Adds or replaces the record of `server_id`.
    pub(crate) fn insert(&mut self, server_id: String, record: ServerRecord) {
        self.unindex(&server_id);
        for digest in [&record.token_sha256, &record.previous_token_sha256] {
            if !digest.is_empty() {
                self.by_digest.insert(digest.clone(), server_id.clone());
            }
        }
        self.servers.insert(server_id, record);
    }

    /// Forgets `server_id`.
    pub(crate) fn remove(&mut self, server_id: &str) {
        self.unindex(server_id);
        self.servers.remove(server_id);
    }

    fn unindex(&mut self, server_id: &str) {
        let Some(old) = self.servers.get(server_id) else { return };
        for digest in [&old.token_sha256, &old.previous_token_sha256] {
            if self.by_digest.get(digest).is_some_and(|id| id == server_id) {
                self.by_digest.remove(digest);
            }
        }
    }

    /// The server holding the token whose digest is `digest`, and which of its tokens it is.
    pub(crate) fn by_token_digest(
        &self,
        digest: &str,
    ) -> Option<(&str, &ServerRecord, TokenMatch)> {
        let id = self.by_digest.get(digest)?;
        let record = self.servers.get(id)?;
        let matched = if record.token_sha256 == digest {
            TokenMatch::Current
        } else if record.previous_token_sha256 == digest {
            TokenMatch::Previous
        } else {
            return None;
        };
        Some((id.as_str(), record, matched))
    }

    /// Number of enrolled servers.
    pub(crate) fn len(&self) -> usize {
        self.servers.len()
    }

    /// Every record.
    pub(crate) fn values(&self) -> impl Iterator<Item = &ServerRecord> {
        self.servers.values()
    }

    /// Forgets every server `expired` says is dead; returns their ids.
    pub(crate) fn forget_where(&mut self, expired: impl Fn(&ServerRecord) -> bool) -> Vec<String> {
        let dead: Vec<String> = self
            .servers
            .iter()
            .filter(|(_, record)| expired(record))
            .map(|(id, _)| id.clone())
            .collect();
        for id in &dead {
            self.remove(id);
        }
        dead
    }

    /// A copy of every record, by id (what the state file holds).
    pub(crate) fn snapshot(&self) -> BTreeMap<String, ServerRecord> {
        self.servers.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(current: &str, previous: &str) -> ServerRecord {
        ServerRecord {
            installation_id: "i".into(),
            environment_id: "e".into(),
            name: "n".into(),
            token_sha256: current.into(),
            previous_token_sha256: previous.into(),
            expires_at: 0,
        }
    }

    #[test]
    fn replaced_tokens_leave_the_index() {
        let mut registry = Registry::default();
        registry.insert("a".into(), record("d1", ""));
        registry.insert("a".into(), record("d2", "d1"));
        assert_eq!(registry.by_token_digest("d1").map(|found| found.2), Some(TokenMatch::Previous));
        registry.insert("a".into(), record("d3", ""));
        assert!(registry.by_token_digest("d1").is_none());
        assert!(registry.by_token_digest("d2").is_none());
        assert_eq!(registry.by_token_digest("d3").map(|found| found.0), Some("a"));
        registry.remove("a");
        assert!(registry.by_token_digest("d3").is_none());
        assert_eq!(registry.len(), 0);
    }
}
