//! Server-initiated requests (approvals) and the matching of client responses to them.
//!
//! Every request the server sends gets a server-side id unique in this process. A response is
//! accepted only from a connection the request was sent to; the first accepted answer wins and
//! resolves the waiting producer. Responses for ids we never sent, already answered, or from a
//! connection that was not asked are dropped with a debug log.

use std::collections::HashMap;
use std::sync::atomic::AtomicI64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;

use codex_app_server_protocol::JsonRpcErrorObject;
use codex_app_server_protocol::RequestId;
use codex_app_server_transport::ConnectionId;
use serde_json::Value;
use tokio::sync::oneshot;

/// A client's answer to a server request.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerRequestAnswer {
    /// The connection that answered.
    pub connection: ConnectionId,
    /// The result, or the client's error.
    pub result: Result<Value, JsonRpcErrorObject>,
}

#[derive(Debug)]
struct Pending {
    recipients: Vec<ConnectionId>,
    answer: oneshot::Sender<ServerRequestAnswer>,
}

/// Outstanding server requests, keyed by their server-side id.
#[derive(Debug, Clone, Default)]
pub struct PendingServerRequests {
    next_id: Arc<AtomicI64>,
    pending: Arc<Mutex<HashMap<RequestId, Pending>>>,
}

impl PendingServerRequests {
    /// Allocates an id for a request sent to `recipients`; the receiver resolves with the first answer.
    pub fn register(
        &self,
        recipients: Vec<ConnectionId>,
    ) -> (RequestId, oneshot::Receiver<ServerRequestAnswer>) {
        let id = RequestId::Integer(self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        let (answer, receiver) = oneshot::channel();
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(id.clone(), Pending { recipients, answer });
        }
        (id, receiver)
    }

    /// Adds connections that should also be able to answer (e.g. a client that resumed the thread).
    pub fn add_recipient(&self, id: &RequestId, connection: ConnectionId) {
        if let Ok(mut pending) = self.pending.lock() {
            if let Some(entry) = pending.get_mut(id) {
                if !entry.recipients.contains(&connection) {
                    entry.recipients.push(connection);
                }
            }
        }
    }

    /// Routes a client response; returns the other recipients when it was accepted.
    pub fn resolve(
        &self,
        connection: ConnectionId,
        id: &RequestId,
        result: Result<Value, JsonRpcErrorObject>,
    ) -> Option<Vec<ConnectionId>> {
        let Ok(mut pending) = self.pending.lock() else {
            return None;
        };
        let accepted = pending.get(id).is_some_and(|entry| entry.recipients.contains(&connection));
        if !accepted {
            tracing::debug!(%connection, %id, "dropping response to a server request we did not send to this connection");
            return None;
        }
        let entry = pending.remove(id)?;
        let _ = entry.answer.send(ServerRequestAnswer { connection, result });
        Some(entry.recipients)
    }

    /// Drops a request nobody will answer (for example its turn was interrupted).
    pub fn cancel(&self, id: &RequestId) -> Option<Vec<ConnectionId>> {
        self.pending
            .lock()
            .ok()
            .and_then(|mut pending| pending.remove(id))
            .map(|entry| entry.recipients)
    }

    /// Ids of outstanding requests that were sent to `connection`.
    pub fn sent_to(&self, connection: ConnectionId) -> Vec<RequestId> {
        self.pending
            .lock()
            .map(|pending| {
                pending
                    .iter()
                    .filter(|(_, entry)| entry.recipients.contains(&connection))
                    .map(|(id, _)| id.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn first_answer_from_a_recipient_wins_and_strangers_are_ignored() {
        let requests = PendingServerRequests::default();
        let (a, b, stranger) = (ConnectionId(1), ConnectionId(2), ConnectionId(3));
        let (id, mut receiver) = requests.register(vec![a, b]);
        assert_eq!(requests.resolve(stranger, &id, Ok(json!("x"))), None);
        assert!(receiver.try_recv().is_err());
        assert_eq!(requests.resolve(b, &id, Ok(json!({"decision": "accept"}))), Some(vec![a, b]));
        assert_eq!(requests.resolve(a, &id, Ok(json!({"decision": "decline"}))), None);
        let answer = receiver.try_recv().unwrap();
        assert_eq!(answer.connection, b);
        assert_eq!(answer.result, Ok(json!({"decision": "accept"})));
        assert_eq!(requests.resolve(a, &RequestId::Integer(999), Ok(json!(1))), None);
    }
}
