//! Per-server multiplexing: one server socket, many client sockets, the envelopes between them,
//! de-duplication of re-sent server messages, and frames held while a server is away.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;

use axum::extract::ws::Message;
use axum::extract::ws::WebSocket;
use codex_app_server_transport::remote_control::split_into_chunks;
use codex_app_server_transport::remote_control::PongStatus;
use codex_app_server_transport::remote_control::Reassembly;
use codex_app_server_transport::remote_control::RelayToServer;
use codex_app_server_transport::remote_control::ServerToRelay;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::Relay;

/// Capacity of each socket's outbound queue, in frames (bytes are bounded separately).
const SOCKET_QUEUE: usize = 4096;

/// The sending side of a socket's outbound queue, bounded in frames and in bytes.
#[derive(Debug, Clone)]
pub(crate) struct FrameSender {
    sender: mpsc::Sender<String>,
    bytes: Arc<AtomicUsize>,
    budget: usize,
}

impl FrameSender {
    /// Queues `frame`; false when the queue is full in frames or bytes, or closed.
    fn try_send(&self, frame: String) -> bool {
        let length = frame.len();
        let before = self.bytes.fetch_add(length, Ordering::SeqCst);
        if before + length > self.budget || self.sender.try_send(frame).is_err() {
            self.bytes.fetch_sub(length, Ordering::SeqCst);
            return false;
        }
        true
    }
}

/// The receiving side of a socket's outbound queue.
#[derive(Debug)]
pub(crate) struct FrameReceiver {
    receiver: mpsc::Receiver<String>,
    bytes: Arc<AtomicUsize>,
}

impl FrameReceiver {
    async fn recv(&mut self) -> Option<String> {
        let frame = self.receiver.recv().await?;
        self.bytes.fetch_sub(frame.len(), Ordering::SeqCst);
        Some(frame)
    }

    fn try_recv(&mut self) -> Option<String> {
        let frame = self.receiver.try_recv().ok()?;
        self.bytes.fetch_sub(frame.len(), Ordering::SeqCst);
        Some(frame)
    }
}

/// A socket's outbound queue holding at most `budget` bytes.
fn frame_queue(budget: usize) -> (FrameSender, FrameReceiver) {
    let (sender, receiver) = mpsc::channel(SOCKET_QUEUE);
    let bytes = Arc::new(AtomicUsize::new(0));
    (FrameSender { sender, bytes: Arc::clone(&bytes), budget }, FrameReceiver { receiver, bytes })
}

type StreamKey = (String, String);

#[derive(Debug, Default)]
struct Hub {
    /// The connected server socket: its generation and frame queue.
    server: Option<(u64, FrameSender)>,
    generation: u64,
    /// The server's current session (a new one means the server restarted or was re-enabled).
    session: String,
    clients: HashMap<StreamKey, FrameSender>,
    /// Frames for the server held while it is away, and their total size.
    pending: VecDeque<String>,
    pending_bytes: usize,
    /// Highest server sequence number delivered in this session.
    last_seq: u64,
    /// The one chunked server message being reassembled (the server sends its envelopes in
    /// order, so the pieces of one message never interleave with another's); bounded by
    /// `max_message_bytes`.
    assembling: Option<(u64, Reassembly)>,
    /// A copy of every frame queued for the server (see [`Hubs::tap`]).
    tap: Option<mpsc::UnboundedSender<String>>,
}

/// Every server's hub.
#[derive(Debug, Default)]
pub(crate) struct Hubs {
    hubs: Mutex<HashMap<String, Hub>>,
}

impl Hubs {
    fn with<R>(&self, server_id: &str, f: impl FnOnce(&mut Hub) -> R) -> Option<R> {
        let mut hubs = self.hubs.lock().ok()?;
        Some(f(hubs.entry(server_id.to_owned()).or_default()))
    }

    fn with_existing<R>(&self, server_id: &str, f: impl FnOnce(&mut Hub) -> R) -> Option<R> {
        let mut hubs = self.hubs.lock().ok()?;
        hubs.get_mut(server_id).map(f)
    }

    /// Drops the hubs of servers whose enrollment was forgotten (their sockets close).
    pub(crate) fn forget(&self, server_ids: &[String]) {
        if let Ok(mut hubs) = self.hubs.lock() {
            for server_id in server_ids {
                hubs.remove(server_id);
            }
        }
    }

    /// Number of hubs held (one per server seen since its enrollment).
    pub(crate) fn len(&self) -> usize {
        self.hubs.lock().map(|hubs| hubs.len()).unwrap_or(0)
    }

    /// Copies every frame later queued for `server_id` to the returned receiver.
    pub(crate) fn tap(&self, server_id: &str) -> mpsc::UnboundedReceiver<String> {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.with(server_id, |hub| hub.tap = Some(sender));
        receiver
    }

    /// Queues `frame` for the server; false when it cannot be held (the sender should give up).
    pub(crate) fn to_server(&self, server_id: &str, frame: String, limits: PendingLimits) -> bool {
        self.with_existing(server_id, |hub| {
            if let Some(tap) = &hub.tap {
                let _ = tap.send(frame.clone());
            }
            if let Some((_, server)) = &hub.server {
                return server.try_send(frame);
            }
            if hub.pending.len() >= limits.frames || hub.pending_bytes + frame.len() > limits.bytes
            {
                return false;
            }
            hub.pending_bytes += frame.len();
            hub.pending.push_back(frame);
            true
        })
        .unwrap_or(false)
    }

    /// Drops the server's socket queue (its task ends and the socket closes).
    pub(crate) fn disconnect_server(&self, server_id: &str) -> bool {
        self.with_existing(server_id, |hub| hub.server.take().is_some()).unwrap_or(false)
    }

    /// Number of server sockets `server_id` opened.
    pub(crate) fn generation(&self, server_id: &str) -> u64 {
        self.with_existing(server_id, |hub| hub.generation).unwrap_or(0)
    }

    /// Drops every socket's queue so their tasks end.
    pub(crate) fn close_all(&self) {
        if let Ok(mut hubs) = self.hubs.lock() {
            hubs.clear();
        }
    }
}

/// How much a hub holds for a server that is away.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PendingLimits {
    frames: usize,
    bytes: usize,
}

impl PendingLimits {
    pub(crate) fn of(relay: &Relay) -> Self {
        Self { frames: relay.options.max_pending_frames, bytes: relay.options.max_queued_bytes }
    }
}

fn envelope_text<T: serde::Serialize>(envelope: &T) -> String {
    serde_json::to_string(envelope).unwrap_or_default()
}

/// Serves one server socket until it drops or a newer socket of the same server replaces it.
pub(crate) async fn serve_server(
    relay: Arc<Relay>,
    server_id: String,
    session: String,
    socket: WebSocket,
) {
    let (queue, mut frames) = frame_queue(relay.options.max_queued_bytes);
    let generation = relay.hubs.with(&server_id, |hub| {
        if hub.session != session {
            if !hub.session.is_empty() {
                // The previous server session's clients lost their state: close them.
                hub.clients.clear();
                hub.pending.clear();
                hub.pending_bytes = 0;
            }
            hub.last_seq = 0;
            hub.assembling = None;
            hub.session = session.clone();
        }
        // Both are bounded by the same byte budget, so the held frames fit the new queue.
        hub.pending_bytes = 0;
        for frame in hub.pending.drain(..) {
            let _ = queue.try_send(frame);
        }
        hub.generation += 1;
        hub.server = Some((hub.generation, queue));
        hub.generation
    });
    let Some(generation) = generation else { return };
    tracing::info!(%server_id, "server connected");
    let (mut sink, mut stream) = socket.split();
    let mut ping = tokio::time::interval(relay.options.ping_interval);
    ping.tick().await;
    let expiry = tokio::time::sleep_until(token_deadline(&relay, &server_id));
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            () = &mut expiry => {
                // A refresh moves the deadline; a token left to expire ends the socket.
                let deadline = token_deadline(&relay, &server_id);
                if deadline > tokio::time::Instant::now() {
                    expiry.as_mut().reset(deadline);
                    continue;
                }
                tracing::info!(%server_id, "server token expired unrefreshed: closing its socket");
                let _ = sink.send(Message::Close(None)).await;
                break;
            }
            frame = frames.recv() => match frame {
                Some(frame) => {
                    if sink.send(Message::Text(frame.into())).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    for reply in handle_server_frame(&relay, &server_id, text.as_str()) {
                        if sink.send(Message::Text(reply.into())).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                let frame = envelope_text(&RelayToServer::Ping { client_id: None, stream_id: None });
                if sink.send(Message::Text(frame.into())).await.is_err() {
                    break;
                }
            }
        }
    }
    relay.hubs.with_existing(&server_id, |hub| {
        if hub.server.as_ref().is_some_and(|(current, _)| *current == generation) {
            hub.server = None;
        }
        if hub.server.is_none() {
            // Frames not yet written wait for the next socket, oldest first.
            let mut unsent = Vec::new();
            while let Some(frame) = frames.try_recv() {
                unsent.push(frame);
            }
            for frame in unsent.into_iter().rev() {
                hub.pending_bytes += frame.len();
                hub.pending.push_front(frame);
            }
        }
    });
    tracing::info!(%server_id, "server disconnected");
}

/// When the token of `server_id` expires, as an instant (now when unknown or already past).
fn token_deadline(relay: &Relay, server_id: &str) -> tokio::time::Instant {
    let now = tokio::time::Instant::now();
    let Some(expires_at) = relay.token_expires_at(server_id) else { return now };
    let Ok(since_epoch) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) else {
        return now;
    };
    let expires = std::time::Duration::from_secs(expires_at.max(0) as u64);
    now + expires.saturating_sub(since_epoch)
}

/// Applies one server envelope; returns the acknowledgements to send back.
fn handle_server_frame(relay: &Relay, server_id: &str, text: &str) -> Vec<String> {
    let envelope = match serde_json::from_str::<ServerToRelay>(text) {
        Ok(envelope) => envelope,
        Err(err) => {
            tracing::warn!(%server_id, "ignoring malformed server envelope: {err}");
            return Vec::new();
        }
    };
    let limit = relay.options.max_message_bytes;
    relay
        .hubs
        .with_existing(server_id, |hub| match envelope {
            ServerToRelay::ServerMessage { client_id, stream_id, seq_id, message } => {
                if seq_id > hub.last_seq {
                    deliver(hub, (client_id, stream_id), message.to_string());
                    hub.last_seq = seq_id;
                }
                vec![envelope_text(&RelayToServer::Ack { seq_id, segment_id: None })]
            }
            ServerToRelay::ServerMessageChunk {
                client_id,
                stream_id,
                seq_id,
                segment_id,
                segment_count,
                message_size_bytes,
                message_chunk_base64,
            } => {
                if seq_id <= hub.last_seq {
                    return vec![envelope_text(&RelayToServer::Ack { seq_id, segment_id: None })];
                }
                if hub.assembling.as_ref().is_some_and(|(open, _)| *open != seq_id) {
                    tracing::warn!(%server_id, seq_id, "a new chunked message replaces an unfinished one");
                    hub.assembling = None;
                }
                let (_, assembly) =
                    hub.assembling.get_or_insert_with(|| (seq_id, Reassembly::default()));
                let result = assembly.add(
                    segment_id,
                    segment_count,
                    message_size_bytes,
                    &message_chunk_base64,
                    limit,
                );
                match result {
                    Ok(None) => vec![envelope_text(&RelayToServer::Ack {
                        seq_id,
                        segment_id: Some(segment_id),
                    })],
                    Ok(Some(bytes)) => {
                        hub.assembling = None;
                        deliver(hub, (client_id, stream_id), String::from_utf8_lossy(&bytes).into_owned());
                        hub.last_seq = seq_id;
                        vec![envelope_text(&RelayToServer::Ack { seq_id, segment_id: None })]
                    }
                    Err(err) => {
                        tracing::warn!(%server_id, seq_id, "dropping chunked server message: {err}");
                        hub.assembling = None;
                        hub.last_seq = seq_id;
                        vec![envelope_text(&RelayToServer::Ack { seq_id, segment_id: None })]
                    }
                }
            }
            ServerToRelay::Pong { client_id: Some(client_id), stream_id: Some(stream_id), status: PongStatus::Unknown, .. } => {
                hub.clients.remove(&(client_id, stream_id));
                Vec::new()
            }
            ServerToRelay::Pong { .. } => Vec::new(),
        })
        .unwrap_or_default()
}

/// Hands a message to a client; a client whose queue is full is disconnected.
fn deliver(hub: &mut Hub, key: StreamKey, text: String) {
    let full = match hub.clients.get(&key) {
        Some(client) => !client.try_send(text),
        None => false,
    };
    if full {
        tracing::warn!(client_id = %key.0, "disconnecting a client that stopped reading");
        hub.clients.remove(&key);
    }
}

/// The envelopes carrying one client message, chunked when it exceeds the frame limit.
fn client_envelopes(key: &StreamKey, text: &str, message: Value, max_frame: usize) -> Vec<String> {
    let whole = envelope_text(&RelayToServer::ClientMessage {
        client_id: key.0.clone(),
        stream_id: key.1.clone(),
        message,
    });
    if whole.len() <= max_frame {
        return vec![whole];
    }
    let pieces = split_into_chunks(text.as_bytes(), max_frame);
    let segment_count = pieces.len() as u32;
    pieces
        .into_iter()
        .enumerate()
        .map(|(index, piece)| {
            envelope_text(&RelayToServer::ClientMessageChunk {
                client_id: key.0.clone(),
                stream_id: key.1.clone(),
                segment_id: index as u32,
                segment_count,
                message_size_bytes: text.len() as u64,
                message_chunk_base64: piece,
            })
        })
        .collect()
}

/// Serves one remote client's socket, multiplexed onto its server.
pub(crate) async fn serve_client(
    relay: Arc<Relay>,
    server_id: String,
    client_id: String,
    token: String,
    socket: WebSocket,
    _slot: crate::ClientSlot,
) {
    // A revoked client token ends its open sockets too, at the next check.
    let mut recheck = tokio::time::interval(relay.options.ping_interval);
    recheck.tick().await;
    let key: StreamKey = (client_id, format!("str_{}", uuid::Uuid::new_v4().simple()));
    let (queue, mut frames) = frame_queue(relay.options.max_queued_bytes);
    relay.hubs.with(&server_id, |hub| hub.clients.insert(key.clone(), queue));
    tracing::debug!(%server_id, client_id = %key.0, "client connected");
    let (mut sink, mut stream) = socket.split();
    let max_frame = relay.options.max_frame_bytes;
    let max_pending = PendingLimits::of(&relay);
    loop {
        tokio::select! {
            _ = recheck.tick() => {
                if relay.client_token_server(&token).as_deref() != Some(server_id.as_str()) {
                    tracing::info!(%server_id, client_id = %key.0, "client token revoked: closing its socket");
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
            }
            frame = frames.recv() => match frame {
                Some(frame) => {
                    if sink.send(Message::Text(frame.into())).await.is_err() {
                        break;
                    }
                }
                None => {
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
            },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let message = match serde_json::from_str::<Value>(text.as_str()) {
                        Ok(message) => message,
                        Err(err) => {
                            let error = serde_json::json!({
                                "jsonrpc": "2.0",
                                "id": null,
                                "error": {"code": -32700, "message": format!("Parse error: {err}")},
                            });
                            if sink.send(Message::Text(error.to_string().into())).await.is_err() {
                                break;
                            }
                            continue;
                        }
                    };
                    let mut overflow = false;
                    for frame in client_envelopes(&key, text.as_str(), message, max_frame) {
                        if !relay.hubs.to_server(&server_id, frame, max_pending) {
                            overflow = true;
                            break;
                        }
                    }
                    if overflow {
                        tracing::warn!(%server_id, "server unavailable and its queue is full: closing client");
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    relay.hubs.with_existing(&server_id, |hub| hub.clients.remove(&key));
    let closed =
        envelope_text(&RelayToServer::ClientClosed { client_id: key.0.clone(), stream_id: key.1 });
    let _ = relay.hubs.to_server(&server_id, closed, max_pending);
    tracing::debug!(%server_id, client_id = %key.0, "client disconnected");
}
