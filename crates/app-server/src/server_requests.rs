//! Server-initiated requests (approvals) and the matching of client responses to them.
//!
//! Every request the server sends gets a server-side id unique in this process. A response is
//! accepted only from a connection the request was sent to; the first accepted answer wins and
//! resolves the waiting producer. Responses for ids we never sent, already answered, or from a
//! connection that was not asked are dropped with a debug log.

use std::collections::HashMap;
use std::collections::VecDeque;
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

/// Checks a client's `result` before it may resolve a request; `Err` says why it is refused.
pub type AnswerCheck = Box<dyn Fn(&Value) -> Result<(), String> + Send + Sync>;

struct Pending {
    recipients: Vec<ConnectionId>,
    answer: oneshot::Sender<ServerRequestAnswer>,
    check: Option<AnswerCheck>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").field("recipients", &self.recipients).finish_non_exhaustive()
    }
}

/// What became of a client's response to a server request.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// It answered the request; these connections had been sent it.
    Accepted(Vec<ConnectionId>),
    /// Its result failed the request's check; the request stays pending.
    Refused(String),
    /// The request was sent to this connection but is no longer pending (answered by someone
    /// else first, or cancelled).
    AlreadyResolved,
    /// No request with this id was ever sent to this connection (or it was forgotten).
    Unknown,
}

/// How many finished requests are remembered to tell late answers from stray ones.
const FINISHED_MEMORY: usize = 1024;

/// Recently finished requests and who had been sent them.
#[derive(Debug, Default)]
struct Finished {
    order: VecDeque<RequestId>,
    recipients: HashMap<RequestId, Vec<ConnectionId>>,
}

impl Finished {
    fn remember(&mut self, id: RequestId, recipients: Vec<ConnectionId>) {
        if self.order.len() >= FINISHED_MEMORY {
            if let Some(oldest) = self.order.pop_front() {
                self.recipients.remove(&oldest);
            }
        }
        self.order.push_back(id.clone());
        self.recipients.insert(id, recipients);
    }
}

/// Outstanding server requests, keyed by their server-side id.
#[derive(Debug, Clone, Default)]
pub struct PendingServerRequests {
    next_id: Arc<AtomicI64>,
    pending: Arc<Mutex<HashMap<RequestId, Pending>>>,
    finished: Arc<Mutex<Finished>>,
}

impl PendingServerRequests {
    /// Allocates an id for a request sent to `recipients`; the receiver resolves with the first answer.
    pub fn register(
        &self,
        recipients: Vec<ConnectionId>,
    ) -> (RequestId, oneshot::Receiver<ServerRequestAnswer>) {
        self.register_checked(recipients, None)
    }

    /// Like [`Self::register`]; a successful result must also pass `check` to resolve the
    /// request (a refused one leaves it pending).
    pub fn register_checked(
        &self,
        recipients: Vec<ConnectionId>,
        check: Option<AnswerCheck>,
    ) -> (RequestId, oneshot::Receiver<ServerRequestAnswer>) {
        let id = RequestId::Integer(self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        let (answer, receiver) = oneshot::channel();
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(id.clone(), Pending { recipients, answer, check });
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

    /// Routes a client response: the first one that passes the request's check wins.
    pub fn resolve(
        &self,
        connection: ConnectionId,
        id: &RequestId,
        result: Result<Value, JsonRpcErrorObject>,
    ) -> Resolution {
        let Ok(mut pending) = self.pending.lock() else {
            return Resolution::Unknown;
        };
        let Some(entry) = pending.get(id).filter(|entry| entry.recipients.contains(&connection))
        else {
            tracing::debug!(%connection, %id, "response to a server request that is not pending for this connection");
            let late = self.finished.lock().is_ok_and(|finished| {
                finished.recipients.get(id).is_some_and(|sent| sent.contains(&connection))
            });
            return if late { Resolution::AlreadyResolved } else { Resolution::Unknown };
        };
        if let (Ok(value), Some(check)) = (&result, &entry.check) {
            if let Err(reason) = check(value) {
                return Resolution::Refused(reason);
            }
        }
        let Some(entry) = pending.remove(id) else { return Resolution::Unknown };
        drop(pending);
        let _ = entry.answer.send(ServerRequestAnswer { connection, result });
        if let Ok(mut finished) = self.finished.lock() {
            finished.remember(id.clone(), entry.recipients.clone());
        }
        Resolution::Accepted(entry.recipients)
    }

    /// Drops a request nobody will answer (for example its turn was interrupted).
    pub fn cancel(&self, id: &RequestId) -> Option<Vec<ConnectionId>> {
        let recipients = self
            .pending
            .lock()
            .ok()
            .and_then(|mut pending| pending.remove(id))
            .map(|entry| entry.recipients)?;
        if let Ok(mut finished) = self.finished.lock() {
            finished.remember(id.clone(), recipients.clone());
        }
        Some(recipients)
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
        assert_eq!(requests.resolve(stranger, &id, Ok(json!("x"))), Resolution::Unknown);
        assert!(receiver.try_recv().is_err());
        assert_eq!(
            requests.resolve(b, &id, Ok(json!({"decision": "accept"}))),
            Resolution::Accepted(vec![a, b])
        );
        assert_eq!(
            requests.resolve(a, &id, Ok(json!({"decision": "decline"}))),
            Resolution::AlreadyResolved
        );
        assert_eq!(requests.resolve(stranger, &id, Ok(json!("x"))), Resolution::Unknown);
        let answer = receiver.try_recv().unwrap();
        assert_eq!(answer.connection, b);
        assert_eq!(answer.result, Ok(json!({"decision": "accept"})));
        assert_eq!(
            requests.resolve(a, &RequestId::Integer(999), Ok(json!(1))),
            Resolution::Unknown
        );
    }

    #[test]
    fn a_refused_answer_leaves_the_request_pending() {
        let requests = PendingServerRequests::default();
        let a = ConnectionId(1);
        let check: AnswerCheck = Box::new(|value| {
            if value["decision"] == "accept" {
                Ok(())
            } else {
                Err("only accept".into())
            }
        });
        let (id, mut receiver) = requests.register_checked(vec![a], Some(check));
        assert_eq!(
            requests.resolve(a, &id, Ok(json!({"decision": "bogus"}))),
            Resolution::Refused("only accept".into())
        );
        assert!(receiver.try_recv().is_err());
        assert_eq!(
            requests.resolve(a, &id, Ok(json!({"decision": "accept"}))),
            Resolution::Accepted(vec![a])
        );
        assert!(receiver.try_recv().is_ok());
    }
}
