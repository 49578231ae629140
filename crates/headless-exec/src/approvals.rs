//! Answering the server's requests in a run nobody can be asked anything: approval requests are
//! decided by the policy the user chose on the command line (`--approve-all` accepts, otherwise
//! decline), every other server request gets a JSON-RPC error. Nothing here ever waits.

use codex_app_server_protocol::error_codes;
use codex_app_server_protocol::v2::CommandExecutionApprovalDecision;
use codex_app_server_protocol::v2::CommandExecutionRequestApprovalResponse;
use codex_app_server_protocol::v2::FileChangeApprovalDecision;
use codex_app_server_protocol::v2::FileChangeRequestApprovalResponse;
use codex_app_server_protocol::ServerRequest;
use codex_app_server_protocol::ServerRequestResponse;

/// How approval requests are decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ApprovalDecider {
    /// Decline every request (the default: nobody is there to ask).
    #[default]
    DeclineAll,
    /// Accept every request (`--approve-all`).
    ApproveAll,
}

/// What was decided for one approval request, for the progress output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalNote {
    /// The item the request is about.
    pub item_id: String,
    /// `commandExecution` or `fileChange`.
    pub kind: &'static str,
    /// What was asked (the command, or the reason given for a file change).
    pub subject: String,
    /// Whether it was accepted.
    pub accepted: bool,
}

impl ApprovalNote {
    /// A one-line human explanation.
    pub fn message(&self) -> String {
        let what = match self.kind {
            "commandExecution" => format!("command `{}`", self.subject),
            _ if self.subject.is_empty() => "file change".to_owned(),
            _ => format!("file change ({})", self.subject),
        };
        if self.accepted {
            format!("approved {what} (--approve-all)")
        } else {
            format!(
                "declined {what}: approvals cannot be asked for in `codex exec`; pass \
                 --approve-all to accept them, or --ask-for-approval never"
            )
        }
    }
}

/// The answer to one server request.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerRequestAnswer {
    /// An approval decision.
    Decision {
        /// The typed response to send.
        response: ServerRequestResponse,
        /// What was decided, for the output.
        note: ApprovalNote,
    },
    /// A JSON-RPC error (a request this client does not serve).
    Refusal {
        /// The error code.
        code: i64,
        /// The error message.
        message: String,
    },
}

impl ApprovalDecider {
    /// Decides `request`.
    pub fn answer(self, request: &ServerRequest) -> ServerRequestAnswer {
        let accepted = self == ApprovalDecider::ApproveAll;
        match request {
            ServerRequest::CommandExecutionRequestApproval(params) => {
                let decision = if accepted {
                    CommandExecutionApprovalDecision::Accept
                } else {
                    CommandExecutionApprovalDecision::Decline
                };
                ServerRequestAnswer::Decision {
                    response: ServerRequestResponse::CommandExecutionRequestApproval(
                        CommandExecutionRequestApprovalResponse { decision },
                    ),
                    note: ApprovalNote {
                        item_id: params.item_id.clone(),
                        kind: "commandExecution",
                        subject: params.command.clone().unwrap_or_default(),
                        accepted,
                    },
                }
            }
            ServerRequest::FileChangeRequestApproval(params) => {
                let decision = if accepted {
                    FileChangeApprovalDecision::Accept
                } else {
                    FileChangeApprovalDecision::Decline
                };
                ServerRequestAnswer::Decision {
                    response: ServerRequestResponse::FileChangeRequestApproval(
                        FileChangeRequestApprovalResponse { decision },
                    ),
                    note: ApprovalNote {
                        item_id: params.item_id.clone(),
                        kind: "fileChange",
                        subject: params.reason.clone().unwrap_or_default(),
                        accepted,
                    },
                }
            }
            #[allow(unreachable_patterns)]
            other => ServerRequestAnswer::Refusal {
                code: error_codes::METHOD_NOT_FOUND,
                message: format!(
                    "codex exec does not handle the server request {}",
                    other.method()
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use codex_app_server_protocol::RequestId;
    use serde_json::json;

    use super::*;

    fn command_request() -> ServerRequest {
        ServerRequest::parse(
            "item/commandExecution/requestApproval",
            Some(json!({
                "itemId": "call_1", "threadId": "t", "turnId": "u", "startedAtMs": 1,
                "command": "rm -rf build", "cwd": "/tmp"
            })),
        )
        .unwrap()
    }

    fn file_request() -> ServerRequest {
        ServerRequest::parse(
            "item/fileChange/requestApproval",
            Some(json!({
                "itemId": "call_2", "threadId": "t", "turnId": "u", "startedAtMs": 1,
                "reason": "write outside the workspace"
            })),
        )
        .unwrap()
    }

    fn wire(answer: &ServerRequestAnswer) -> serde_json::Value {
        match answer {
            ServerRequestAnswer::Decision { response, .. } => response.to_value(),
            ServerRequestAnswer::Refusal { .. } => panic!("expected a decision"),
        }
    }

    #[test]
    fn the_default_declines_both_kinds_and_says_how_to_allow() {
        for request in [command_request(), file_request()] {
            let answer = ApprovalDecider::default().answer(&request);
            assert_eq!(wire(&answer), json!({"decision": "decline"}));
            // The answer is what the server expects for this method.
            request.parse_response(wire(&answer)).unwrap();
            let ServerRequestAnswer::Decision { note, .. } = answer else { unreachable!() };
            assert!(!note.accepted);
            assert!(note.message().contains("--approve-all"), "{}", note.message());
        }
        let ServerRequestAnswer::Decision { note, .. } =
            ApprovalDecider::DeclineAll.answer(&command_request())
        else {
            unreachable!()
        };
        assert_eq!(note.item_id, "call_1");
        assert!(note.message().contains("`rm -rf build`"), "{}", note.message());
    }

    #[test]
    fn approve_all_accepts_both_kinds() {
        for request in [command_request(), file_request()] {
            let answer = ApprovalDecider::ApproveAll.answer(&request);
            assert_eq!(wire(&answer), json!({"decision": "accept"}));
            request.parse_response(wire(&answer)).unwrap();
            let ServerRequestAnswer::Decision { note, .. } = answer else { unreachable!() };
            assert!(note.accepted);
            assert!(note.message().starts_with("approved"), "{}", note.message());
        }
    }

    #[test]
    fn an_answer_is_a_valid_json_rpc_response_for_the_request_id() {
        let answer = ApprovalDecider::DeclineAll.answer(&file_request());
        let message =
            codex_app_server_protocol::JsonRpcResponse::new(RequestId::Integer(7), wire(&answer));
        let text = codex_app_server_protocol::JsonRpcMessage::from(message).to_json_string();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value, json!({"jsonrpc": "2.0", "id": 7, "result": {"decision": "decline"}}));
    }
}
