//! Questions the agent puts to a thread's users (approval requests), as server requests.
//!
//! [`Questions::ask`] sends the request to every subscriber of the thread with the ordered
//! `availableDecisions` it offers, and waits. The first answer that names one of those decisions
//! wins (an answer naming another decision is refused with a JSON-RPC error and the request
//! stays pending, see [`crate::server_requests`]); every recipient then gets
//! `serverRequest/resolved`. While the request waits, a client that resumes the thread is sent
//! it too ([`Questions::resend`]); if every subscriber disconnects it simply keeps waiting. A
//! turn interrupt cancels it (recipients get `serverRequest/resolved`), and wins over an answer
//! that races it; so does dropping the wait (the request is withdrawn the same way).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;

use codex_app_server_protocol::v2::ServerRequestResolvedNotification;
use codex_app_server_protocol::JsonRpcMessage;
use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::ServerRequest;
use codex_app_server_transport::ConnectionId;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use codex_agent::host::Expect;
use codex_agent::host::NoAnswer;

use crate::agent_host::notify_connection;
use crate::processor::ServerShared;
use crate::server_requests::AnswerCheck;
use crate::server_requests::ServerRequestAnswer;

/// A request waiting for an answer.
#[derive(Debug)]
struct Waiting {
    thread_id: String,
    request: ServerRequest,
    recipients: Vec<ConnectionId>,
}

/// The questions waiting for an answer, by server-request id.
#[derive(Debug, Default)]
pub struct Questions {
    waiting: Mutex<HashMap<RequestId, Waiting>>,
}

/// The wire name of a decision (`"accept"`, `"acceptWithExecpolicyAmendment"`, …).
fn decision_kind(decision: &Value) -> Option<String> {
    match decision {
        Value::String(kind) => Some(kind.clone()),
        Value::Object(map) if map.len() == 1 => map.keys().next().cloned(),
        _ => None,
    }
}

/// The wire name of the decision that carries a prefix rule.
const AMENDMENT_DECISION: &str = "acceptWithExecpolicyAmendment";

/// The `execpolicy_amendment` words of an `acceptWithExecpolicyAmendment` decision.
fn amendment_words(decision: &Value) -> Option<Vec<String>> {
    let words = decision.get(AMENDMENT_DECISION)?.get("execpolicy_amendment")?;
    serde_json::from_value(words.clone()).ok()
}

/// A check refusing answers whose decision is not one of `offered`, and prefix-rule answers
/// whose rule is broader than the proposed one (it must start with the proposed words).
fn offered_check(offered: Vec<Value>) -> AnswerCheck {
    let kinds: Vec<String> = offered.iter().filter_map(decision_kind).collect();
    let proposed: Option<Vec<String>> = offered.iter().find_map(amendment_words);
    Box::new(move |result: &Value| {
        let decision = result.get("decision").ok_or_else(|| {
            "the answer has no `decision`; answer with one of availableDecisions".to_owned()
        })?;
        match decision_kind(decision) {
            Some(kind) if kind == AMENDMENT_DECISION && kinds.contains(&kind) => {
                let proposed = proposed.as_deref().unwrap_or_default();
                match amendment_words(decision) {
                    Some(words) if !words.is_empty() && words.starts_with(proposed) => Ok(()),
                    _ => Err(format!(
                        "acceptWithExecpolicyAmendment must carry the proposed \
                         execpolicy_amendment {} (or a longer, more specific one); the request \
                         is still pending",
                        serde_json::to_string(proposed).unwrap_or_default()
                    )),
                }
            }
            Some(kind) if kinds.contains(&kind) => Ok(()),
            _ => Err(format!(
                "decision {decision} is not one of this request's availableDecisions ({}); the \
                 request is still pending",
                kinds.join(", ")
            )),
        }
    })
}

impl Questions {
    fn waiting(&self) -> MutexGuard<'_, HashMap<RequestId, Waiting>> {
        self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends `request` to the thread's subscribers and waits for the accepted answer's
    /// `decision` value (`Err` with the decision when there is none to read).
    pub async fn ask(
        &self,
        shared: &Arc<ServerShared>,
        thread_id: &str,
        request: ServerRequest,
        expect: Expect,
        cancel: CancellationToken,
    ) -> Result<Value, NoAnswer> {
        let recipients = shared.subscribers(thread_id);
        let check = match &expect {
            Expect::Decision(offered) => Some(offered_check(offered.clone())),
            Expect::Result => None,
        };
        let (id, answer) = shared.server_requests.register_checked(recipients.clone(), check);
        self.waiting().insert(
            id.clone(),
            Waiting {
                thread_id: thread_id.to_owned(),
                request: request.clone(),
                recipients: recipients.clone(),
            },
        );
        // If this future is dropped while waiting (the turn gave up on the tool), the guard
        // withdraws the request and tells its recipients it is resolved.
        let guard = WithdrawOnDrop {
            questions: self,
            shared: Arc::clone(shared),
            id: id.clone(),
            thread_id: thread_id.to_owned(),
            armed: true,
        };
        for connection in recipients {
            send_request(shared, connection, &request, &id).await;
        }
        let answer = answer_unless_cancelled(answer, &cancel).await;
        guard.disarm();
        if answer.is_none() {
            shared.server_requests.cancel(&id);
        }
        let recipients = self.waiting().remove(&id).map(|w| w.recipients).unwrap_or_default();
        let resolved =
            ServerNotification::ServerRequestResolved(ServerRequestResolvedNotification {
                request_id: id,
                thread_id: thread_id.to_owned(),
            });
        for connection in recipients {
            notify_connection(shared, connection, &resolved).await;
        }
        match answer {
            None => Err(NoAnswer::Interrupted),
            Some(answer) => match (answer.result, expect) {
                (Ok(result), Expect::Decision(_)) => {
                    result.get("decision").cloned().ok_or(NoAnswer::Declined)
                }
                (Ok(result), Expect::Result) => Ok(result),
                // A client that answers with an error declines.
                (Err(_), _) => Err(NoAnswer::Declined),
            },
        }
    }

    /// Re-sends the thread's waiting requests to `connection` (it resumed the thread).
    pub async fn resend(
        &self,
        shared: &Arc<ServerShared>,
        thread_id: &str,
        connection: ConnectionId,
    ) {
        let to_send: Vec<(RequestId, ServerRequest)> = {
            let mut waiting = self.waiting();
            waiting
                .iter_mut()
                .filter(|(_, w)| w.thread_id == thread_id && !w.recipients.contains(&connection))
                .map(|(id, w)| {
                    w.recipients.push(connection);
                    (id.clone(), w.request.clone())
                })
                .collect()
        };
        for (id, request) in to_send {
            shared.server_requests.add_recipient(&id, connection);
            send_request(shared, connection, &request, &id).await;
        }
    }
}

/// Withdraws a waiting request whose `ask` future is dropped before it finished: removes it from
/// the waiting list and the pending server requests and sends `serverRequest/resolved` to its
/// recipients (from a spawned task, as `Drop` cannot wait).
struct WithdrawOnDrop<'a> {
    questions: &'a Questions,
    shared: Arc<ServerShared>,
    id: RequestId,
    thread_id: String,
    armed: bool,
}

impl WithdrawOnDrop<'_> {
    /// The request finished normally; dropping the guard does nothing.
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for WithdrawOnDrop<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        self.shared.server_requests.cancel(&self.id);
        let recipients =
            self.questions.waiting().remove(&self.id).map(|w| w.recipients).unwrap_or_default();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let resolved =
            ServerNotification::ServerRequestResolved(ServerRequestResolvedNotification {
                request_id: self.id.clone(),
                thread_id: self.thread_id.clone(),
            });
        let shared = Arc::clone(&self.shared);
        runtime.spawn(async move {
            for connection in recipients {
                notify_connection(&shared, connection, &resolved).await;
            }
        });
    }
}

/// Waits for the answer unless the turn is cancelled first; a cancel wins over an answer that
/// is ready at the same time, and an answer that arrived after the cancel counts for nothing.
async fn answer_unless_cancelled(
    answer: oneshot::Receiver<ServerRequestAnswer>,
    cancel: &CancellationToken,
) -> Option<ServerRequestAnswer> {
    tokio::select! {
        biased;
        () = cancel.cancelled() => None,
        answer = answer => answer.ok().filter(|_| !cancel.is_cancelled()),
    }
}

async fn send_request(
    shared: &ServerShared,
    connection: ConnectionId,
    request: &ServerRequest,
    id: &RequestId,
) {
    let message = JsonRpcMessage::Request(request.to_request(id.clone()));
    if let Err(err) = shared.router.send(connection, message).await {
        tracing::debug!(%connection, "approval request not delivered: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cancel_beats_an_answer_that_is_ready_at_the_same_time() {
        for _ in 0..64 {
            let (sender, receiver) = oneshot::channel();
            let answer = ServerRequestAnswer {
                connection: ConnectionId(1),
                result: Ok(serde_json::json!({"decision": "accept"})),
            };
            sender.send(answer).unwrap();
            let cancel = CancellationToken::new();
            cancel.cancel();
            assert_eq!(answer_unless_cancelled(receiver, &cancel).await, None);
        }
        let (sender, receiver) = oneshot::channel();
        let answer =
            ServerRequestAnswer { connection: ConnectionId(1), result: Ok(serde_json::json!(1)) };
        sender.send(answer.clone()).unwrap();
        assert_eq!(
            answer_unless_cancelled(receiver, &CancellationToken::new()).await,
            Some(answer)
        );
    }

    #[tokio::test]
    async fn a_dropped_wait_withdraws_its_request() {
        let home = tempfile::tempdir().unwrap();
        let questions = Questions::default();
        let (running_turns, _) = tokio::sync::watch::channel(0);
        let codex_home = codex_app_server_protocol::AbsolutePath::new(home.path()).unwrap();
        let shared = Arc::new(ServerShared {
            options: crate::processor::ProcessorOptions::new(codex_home),
            router: crate::outbound::OutboundRouter::default(),
            subscriptions: Mutex::new(crate::subscriptions::Subscriptions::default()),
            server_requests: crate::server_requests::PendingServerRequests::default(),
            questions: Questions::default(),
            running_turns,
            lifecycle: tokio::sync::watch::channel(crate::processor::ServerLifecycle::Serving).0,
        });
        let client = ConnectionId(7);
        let request = ServerRequest::FileChangeRequestApproval(
            codex_app_server_protocol::v2::FileChangeRequestApprovalParams {
                grant_root: None,
                item_id: "item".into(),
                reason: None,
                started_at_ms: 0,
                thread_id: "thread".into(),
                turn_id: "turn".into(),
            },
        );
        let (id, _answer) = shared.server_requests.register(vec![client]);
        questions.waiting().insert(
            id.clone(),
            Waiting { thread_id: "thread".into(), request, recipients: vec![client] },
        );
        let guard = WithdrawOnDrop {
            questions: &questions,
            shared: Arc::clone(&shared),
            id: id.clone(),
            thread_id: "thread".into(),
            armed: true,
        };
        drop(guard);
        assert!(questions.waiting().is_empty(), "the waiting entry leaked");
        assert!(shared.server_requests.sent_to(client).is_empty(), "the server request leaked");
        let late = shared.server_requests.resolve(client, &id, Ok(serde_json::json!({})));
        assert_eq!(late, crate::server_requests::Resolution::AlreadyResolved);
    }
}
