//! Compacting a thread inside a turn: token accounting against the automatic limit, the
//! summarisation request, and the replacement of the history (in memory and on disk).
//!
//! The tokens in use are the provider's last reported total plus an estimate (4 bytes a token)
//! of what was added since; with no report yet, an estimate of the whole request. A compaction
//! asks the same provider for a hand-off summary (same instructions and cache key, no tools),
//! dropping the oldest history items while that request itself does not fit; then the history
//! becomes the full initial context, the recent user messages and the summary. It shows as a
//! `contextCompaction` item, which is always completed, also when the compaction fails.

use codex_app_server_protocol::v2::CodexErrorInfo;
use codex_app_server_protocol::v2::ThreadItem;
use codex_app_server_protocol::v2::TokenUsageBreakdown;
use codex_app_server_protocol::v2::TurnError;
use codex_model_client::InputItem;
use codex_model_client::ModelError;
use codex_model_client::ModelEvent;
use codex_model_client::ModelRequest;
use codex_model_client::OutputItem;
use futures::StreamExt;
use tracing::Instrument;

use super::model_failure;
use super::TurnEnd;
use super::TurnTask;
use crate::context::compaction::auto_compact_limit;
use crate::context::compaction::item_tokens;
use crate::context::compaction::kept_user_messages;
use crate::context::compaction::summary_message;
use crate::context::compaction::KEPT_USER_TOKENS;
use crate::context::compaction::SUMMARY_REQUEST;
use crate::context::effective_context_window;
use crate::context::truncate::approx_tokens;
use crate::context::SentContext;
use crate::engine::new_id;
use crate::engine::now_ms;
use crate::engine::HistoryEntry;

/// Why a compaction runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CompactionReason {
    /// The limit was crossed before the turn's first request.
    BeforeTurn,
    /// The limit was crossed after a round of tool calls.
    MidTurn,
    /// The provider refused a request as too long for the window.
    WindowExceeded,
    /// `thread/compact/start`.
    Requested,
}

/// How many times the summary request drops its oldest item and tries again.
const MAX_TRIMMED_RETRIES: usize = 64;

impl TurnTask {
    /// The model's context window: `model_context_window` from config, else the catalog's.
    pub(super) fn context_window(&self) -> Option<u64> {
        let info = self.engine.model_info(&self.model());
        effective_context_window(&info, self.config.agent.model_context_window)
    }

    /// Tokens the next request is expected to use.
    pub(super) fn context_tokens(&self) -> u64 {
        let state = self.thread.lock();
        match state.reported_context {
            Some((reported, history_len)) => {
                let added: u64 = state
                    .history
                    .iter()
                    .skip(history_len)
                    .map(|entry| item_tokens(&entry.item))
                    .sum();
                reported + added
            }
            None => {
                let instructions = state.settings.base_instructions.as_ref().map_or(0, String::len);
                approx_tokens(instructions) as u64
                    + state.history.iter().map(|entry| item_tokens(&entry.item)).sum::<u64>()
            }
        }
    }

    /// Whether the thread crossed its automatic compaction limit.
    pub(super) fn over_compaction_limit(&self) -> bool {
        let limit = auto_compact_limit(
            self.context_window(),
            self.config.agent.model_auto_compact_token_limit,
        );
        limit.is_some_and(|limit| self.context_tokens() >= limit)
    }

    /// Summarises and replaces the thread's history; the turn goes on afterwards.
    pub(super) async fn compact(&mut self, reason: CompactionReason) -> Result<(), TurnEnd> {
        let span = tracing::info_span!(
            "compaction",
            thread.id = %self.thread.id,
            turn.id = %self.turn_id,
            reason = ?reason,
        );
        async {
            let id = new_id();
            let started_ms = now_ms();
            let item = |completed: Option<i64>| ThreadItem::ContextCompaction {
                started_at_ms: Some(started_ms),
                completed_at_ms: completed,
                id: id.clone(),
            };
            self.items.start(item(None), started_ms).await;
            let outcome = self.summarise_and_replace().await;
            // The item always completes, so a client never shows a compaction in progress.
            let completed = self.complete_item(item(Some(now_ms()))).await;
            match &outcome {
                Ok(()) => tracing::info!(tokens = self.context_tokens(), "history compacted"),
                Err(_) => tracing::warn!("compaction failed"),
            }
            outcome.and(completed)
        }
        .instrument(span)
        .await
    }

    async fn summarise_and_replace(&mut self) -> Result<(), TurnEnd> {
        let history: Vec<InputItem> =
            self.thread.lock().history.iter().map(|entry| entry.item.clone()).collect();
        let summary = self.summary_of(&history).await?;
        let fresh = self.context_since(Some(&SentContext::default()))?;
        let mut replacement = fresh.items;
        replacement.extend(kept_user_messages(&history, KEPT_USER_TOKENS));
        replacement.push(summary_message(&summary));
        let entries: Vec<HistoryEntry> = replacement
            .into_iter()
            .map(|item| HistoryEntry { turn_id: self.turn_id.clone(), item })
            .collect();
        let record = {
            let mut state = self.thread.lock();
            state.history = entries.clone();
            state.reported_context = None;
            state.settings.sent_context = fresh.sent;
            state.record.settings =
                serde_json::to_value(&state.settings).unwrap_or(state.record.settings.clone());
            state.record.clone()
        };
        if !self.ephemeral {
            let stored: Vec<(String, serde_json::Value)> = entries
                .iter()
                .map(|entry| {
                    (entry.turn_id.clone(), serde_json::to_value(&entry.item).unwrap_or_default())
                })
                .collect();
            let state = self.engine.state();
            state.replace_history(&self.thread.id, &stored).await.map_err(super::state_failure)?;
            state.upsert_thread(&record).await.map_err(super::state_failure)?;
        }
        let estimate = i64::try_from(self.context_tokens()).unwrap_or(i64::MAX);
        let last = TokenUsageBreakdown {
            cache_write_input_tokens: None,
            cached_input_tokens: 0,
            input_tokens: estimate,
            output_tokens: 0,
            reasoning_output_tokens: 0,
            total_tokens: estimate,
        };
        self.publish_usage(last, false).await;
        Ok(())
    }

    /// Asks the model for a hand-off summary of `history`, dropping its oldest items while the
    /// request does not fit the window.
    async fn summary_of(&mut self, history: &[InputItem]) -> Result<String, TurnEnd> {
        let mut input = history.to_vec();
        for _ in 0..=MAX_TRIMMED_RETRIES {
            let request = self.summary_request(&input);
            match self.stream_summary(&request).await {
                Err(err) if err.is_context_window_exceeded() && input.len() > 1 => {
                    input.remove(0);
                    drop_orphan_outputs(&mut input);
                }
                Err(ModelError::Cancelled) => return Err(TurnEnd::Interrupted),
                Err(err) => {
                    let mut error = model_failure(&err);
                    error.message =
                        format!("compacting the conversation failed: {}", error.message);
                    return Err(TurnEnd::Failed(error));
                }
                Ok(summary) => return Ok(summary),
            }
        }
        Err(TurnEnd::Failed(TurnError {
            additional_details: None,
            codex_error_info: Some(CodexErrorInfo::ContextWindowExceeded),
            message: "compacting the conversation failed: even a shortened history does not fit \
                      the model's context window; start a new thread"
                .to_owned(),
        }))
    }

    fn summary_request(&self, input: &[InputItem]) -> ModelRequest {
        let mut request = self.build_request();
        request.input = input.to_vec();
        request.input.push(InputItem::user(SUMMARY_REQUEST.trim()));
        request.tools = Vec::new();
        request.parallel_tool_calls = false;
        request.output_schema = None;
        request
    }

    /// Streams one summary request and returns the assistant's text.
    async fn stream_summary(&mut self, request: &ModelRequest) -> Result<String, ModelError> {
        let client = match self.model_client().await {
            Ok(client) => client,
            Err(TurnEnd::Interrupted) => return Err(ModelError::Cancelled),
            Err(_) => {
                return Err(ModelError::Disconnected { provider: self.provider_id.clone() });
            }
        };
        let mut stream = tokio::select! {
            biased;
            () = self.cancel.cancelled() => return Err(ModelError::Cancelled),
            stream = client.stream_with_cancel(request, self.cancel.clone()) => stream?,
        };
        let mut streamed = String::new();
        let mut finished = None;
        loop {
            let event = tokio::select! {
                biased;
                () = self.cancel.cancelled() => return Err(ModelError::Cancelled),
                event = stream.next() => event,
            };
            match event {
                None => {
                    return Err(ModelError::Disconnected {
                        provider: client.provider().name.clone(),
                    })
                }
                Some(Err(err)) => return Err(err),
                Some(Ok(ModelEvent::OutputTextDelta { delta, .. })) => streamed.push_str(&delta),
                Some(Ok(ModelEvent::OutputItemDone(OutputItem::Message { text, .. }))) => {
                    finished.get_or_insert_with(String::new).push_str(&text);
                }
                Some(Ok(ModelEvent::Completed { .. })) => return Ok(finished.unwrap_or(streamed)),
                Some(Ok(_)) => {}
            }
        }
    }
}

/// Drops function-call outputs whose call is no longer in `input` (providers refuse them).
fn drop_orphan_outputs(input: &mut Vec<InputItem>) {
    let calls: std::collections::HashSet<String> = input
        .iter()
        .filter_map(|item| match item {
            InputItem::FunctionCall { call_id, .. } => Some(call_id.clone()),
            _ => None,
        })
        .collect();
    input.retain(|item| match item {
        InputItem::FunctionCallOutput { call_id, .. } => calls.contains(call_id),
        _ => true,
    });
}
