//! [`ModelStream`]: the live stream of [`ModelEvent`]s for one response. It owns the HTTP
//! response body, so dropping it closes the connection; it enforces the idle timeout, honours
//! cancellation, and turns an early end of the body into an error.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use eventsource_stream::{Event, EventStreamError};
use futures::{Stream, StreamExt};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::chat_api::ChatDecoder;
use crate::error::ModelError;
use crate::event::{ModelEvent, OutputItem, TokenUsage};
use crate::responses_api::ResponsesDecoder;

/// Cap on the idle timeout so deadline arithmetic cannot overflow (about 30 years).
const LONGEST_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// What a decoder says after an SSE event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeFlow {
    /// More events are expected.
    Continue,
    /// The response is complete; nothing more is read.
    Finished,
}

/// The wire-specific decoder of a stream.
#[derive(Debug)]
pub(crate) enum Decoder {
    /// Responses API events.
    Responses(ResponsesDecoder),
    /// Chat Completions chunks.
    Chat(ChatDecoder),
}

impl Decoder {
    fn decode(
        &mut self,
        event: &Event,
        out: &mut VecDeque<ModelEvent>,
    ) -> Result<DecodeFlow, ModelError> {
        match self {
            Decoder::Responses(decoder) => decoder.decode(&event.event, &event.data, out),
            Decoder::Chat(decoder) => decoder.decode(&event.data, out),
        }
    }
}

/// Where a stream is in its life.
enum Phase {
    /// Reading SSE events.
    Reading,
    /// Reading stopped; hand out what is queued, then the error if any, then end.
    Ending(Option<ModelError>),
    /// Nothing more to yield.
    Done,
}

type SseStream<E> = Pin<Box<dyn Stream<Item = Result<Event, EventStreamError<E>>> + Send>>;

/// What woke a stream waiting for its next SSE event.
enum Wake<T> {
    /// The cancellation token fired.
    Cancelled,
    /// The idle timer fired (possibly stale: events may have arrived since it was armed).
    IdleTimer,
    /// The SSE stream produced an item or ended.
    Event(Option<T>),
}

struct StreamState<E> {
    events: Option<SseStream<E>>,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
    idle_timer: Pin<Box<Sleep>>,
    last_event: Instant,
    decoder: Decoder,
    queued: VecDeque<ModelEvent>,
    phase: Phase,
    idle_timeout: Duration,
    provider: String,
}

impl<E: std::fmt::Display> StreamState<E> {
    async fn next_item(&mut self) -> Option<Result<ModelEvent, ModelError>> {
        loop {
            if let Some(event) = self.queued.pop_front() {
                return Some(Ok(event));
            }
            match std::mem::replace(&mut self.phase, Phase::Done) {
                Phase::Done => return None,
                Phase::Ending(error) => return error.map(Err),
                Phase::Reading => self.phase = Phase::Reading,
            }
            let Some(events) = self.events.as_mut() else {
                self.phase = Phase::Done;
                return None;
            };
            let wake = tokio::select! {
                biased;
                () = &mut self.cancelled => Wake::Cancelled,
                () = &mut self.idle_timer => Wake::IdleTimer,
                next = events.next() => Wake::Event(next),
            };
            let next = match wake {
                Wake::Cancelled => {
                    self.finish(Some(ModelError::Cancelled));
                    continue;
                }
                Wake::IdleTimer => {
                    // The timer is only re-armed lazily, when it fires, to keep per-event cost low.
                    let deadline = self.last_event + self.idle_timeout;
                    if Instant::now() >= deadline {
                        self.finish(Some(ModelError::IdleTimeout {
                            provider: self.provider.clone(),
                            timeout: self.idle_timeout,
                        }));
                    } else {
                        self.idle_timer.as_mut().reset(deadline);
                    }
                    continue;
                }
                Wake::Event(next) => {
                    self.last_event = Instant::now();
                    next
                }
            };
            match next {
                None => {
                    self.finish(Some(ModelError::Disconnected { provider: self.provider.clone() }))
                }
                Some(Err(error)) => {
                    let error = match error {
                        EventStreamError::Transport(error) => ModelError::Transport {
                            provider: self.provider.clone(),
                            message: error.to_string(),
                        },
                        other => ModelError::InvalidEvent {
                            provider: self.provider.clone(),
                            event: "sse".to_string(),
                            message: other.to_string(),
                        },
                    };
                    self.finish(Some(error));
                }
                Some(Ok(event)) => match self.decoder.decode(&event, &mut self.queued) {
                    Ok(DecodeFlow::Continue) => {}
                    Ok(DecodeFlow::Finished) => self.finish(None),
                    Err(error) => self.finish(Some(error)),
                },
            }
        }
    }

    /// Stops reading (closing the connection) and schedules `error` after the queued events.
    fn finish(&mut self, error: Option<ModelError>) {
        self.events = None;
        self.phase = Phase::Ending(error);
    }
}

/// A streamed model response: `Stream<Item = Result<ModelEvent, ModelError>>`.
///
/// Ends after `ModelEvent::Completed` or after the first error. Dropping it aborts the HTTP
/// request.
pub struct ModelStream {
    provider: String,
    inner: Pin<Box<dyn Stream<Item = Result<ModelEvent, ModelError>> + Send>>,
}

impl ModelStream {
    /// Wraps an SSE event stream with a decoder, an idle timeout and a cancellation token.
    pub(crate) fn new<E>(
        events: impl Stream<Item = Result<Event, EventStreamError<E>>> + Send + 'static,
        decoder: Decoder,
        idle_timeout: Duration,
        cancel: CancellationToken,
        provider: String,
    ) -> Self
    where
        E: std::fmt::Display + Send + 'static,
    {
        let idle_timeout = idle_timeout.min(LONGEST_IDLE_TIMEOUT);
        let now = Instant::now();
        let state = StreamState {
            events: Some(Box::pin(events)),
            cancelled: Box::pin(cancel.cancelled_owned()),
            idle_timer: Box::pin(tokio::time::sleep_until(now + idle_timeout)),
            last_event: now,
            decoder,
            queued: VecDeque::new(),
            phase: Phase::Reading,
            idle_timeout,
            provider: provider.clone(),
        };
        let inner = futures::stream::unfold(state, |mut state| async move {
            let item = state.next_item().await?;
            Some((item, state))
        });
        Self { provider, inner: Box::pin(inner) }
    }

    /// Reads the stream to its end and gathers the finished items and usage.
    pub async fn collect_response(mut self) -> Result<ModelResponse, ModelError> {
        let mut items = Vec::new();
        while let Some(event) = self.next().await {
            match event? {
                ModelEvent::OutputItemDone(item) => items.push(item),
                ModelEvent::Completed { response_id, usage } => {
                    return Ok(ModelResponse { response_id, items, usage });
                }
                _ => {}
            }
        }
        // Only reachable when polled again after the end.
        Err(ModelError::Disconnected { provider: self.provider })
    }
}

impl std::fmt::Debug for ModelStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelStream").field("provider", &self.provider).finish_non_exhaustive()
    }
}

impl Stream for ModelStream {
    type Item = Result<ModelEvent, ModelError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// A whole response gathered by [`ModelStream::collect_response`].
#[derive(Debug, Clone, PartialEq)]
pub struct ModelResponse {
    /// Provider response id.
    pub response_id: String,
    /// Finished output items, in order.
    pub items: Vec<OutputItem>,
    /// Token counts, when reported.
    pub usage: Option<TokenUsage>,
}

impl ModelResponse {
    /// The text of all message items, concatenated.
    pub fn text(&self) -> String {
        self.items
            .iter()
            .filter_map(|item| match item {
                OutputItem::Message { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}
