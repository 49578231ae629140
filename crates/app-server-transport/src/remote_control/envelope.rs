//! The relay wire format: JSON envelopes exchanged between an app-server and a remote-control
//! relay, plus splitting large messages into chunk envelopes and putting them back together.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;

/// Bytes of envelope overhead (ids, field names) reserved below the frame limit for a chunk.
const CHUNK_ENVELOPE_OVERHEAD: usize = 1024;
/// The smallest frame limit chunking supports.
pub const MIN_FRAME_BYTES: usize = 2048;

/// Envelopes the relay sends to the app-server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RelayToServer {
    /// A whole JSON-RPC message from a remote client.
    ClientMessage {
        /// The remote client.
        client_id: String,
        /// The client's stream (one websocket session of that client).
        stream_id: String,
        /// The JSON-RPC message.
        message: Value,
    },
    /// One piece of a client message too large for one frame.
    ClientMessageChunk {
        /// The remote client.
        client_id: String,
        /// The client's stream.
        stream_id: String,
        /// Index of this piece, from 0.
        segment_id: u32,
        /// Number of pieces.
        segment_count: u32,
        /// Size of the whole message in bytes.
        message_size_bytes: u64,
        /// This piece, base64.
        message_chunk_base64: String,
    },
    /// The relay has taken responsibility for the server envelope `seq_id` (and, without
    /// `segment_id`, every envelope before it).
    Ack {
        /// The acknowledged sequence number.
        seq_id: u64,
        /// The acknowledged piece of a chunked message, if only that piece.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        segment_id: Option<u32>,
    },
    /// Liveness probe; names a stream when the relay asks whether that stream is still known.
    Ping {
        /// The remote client asked about, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        /// The stream asked about, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stream_id: Option<String>,
    },
    /// A remote client went away.
    ClientClosed {
        /// The remote client.
        client_id: String,
        /// The stream that ended.
        stream_id: String,
    },
}

/// Whether the server knows the stream a ping asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PongStatus {
    /// The stream (or the server, for a plain ping) is active.
    Active,
    /// The server does not know that stream.
    Unknown,
}

/// Envelopes the app-server sends to the relay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerToRelay {
    /// A whole JSON-RPC message for a remote client.
    ServerMessage {
        /// The remote client.
        client_id: String,
        /// The client's stream.
        stream_id: String,
        /// Sequence number, increasing across the server's whole relay session.
        seq_id: u64,
        /// The JSON-RPC message.
        message: Value,
    },
    /// One piece of a server message too large for one frame.
    ServerMessageChunk {
        /// The remote client.
        client_id: String,
        /// The client's stream.
        stream_id: String,
        /// Sequence number of the whole message.
        seq_id: u64,
        /// Index of this piece, from 0.
        segment_id: u32,
        /// Number of pieces.
        segment_count: u32,
        /// Size of the whole message in bytes.
        message_size_bytes: u64,
        /// This piece, base64.
        message_chunk_base64: String,
    },
    /// Answer to a ping: `{"type":"pong","client_id":"c1","stream_id":"s1","seq_id":4,
    /// "status":"unknown"}`, numbered like every other server envelope (the next number; it is
    /// written after every envelope numbered before it, and never re-sent).
    Pong {
        /// The remote client asked about, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        /// The stream asked about, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stream_id: Option<String>,
        /// Sequence number (0 from a server that did not number its pongs).
        #[serde(default)]
        seq_id: u64,
        /// Whether it is known.
        status: PongStatus,
    },
}

impl ServerToRelay {
    /// The sequence number and segment of a message envelope.
    pub fn seq(&self) -> Option<(u64, Option<u32>)> {
        match self {
            ServerToRelay::ServerMessage { seq_id, .. } => Some((*seq_id, None)),
            ServerToRelay::ServerMessageChunk { seq_id, segment_id, .. } => {
                Some((*seq_id, Some(*segment_id)))
            }
            ServerToRelay::Pong { seq_id, .. } => Some((*seq_id, None)),
        }
    }

    /// Whether this is a pong (written once, never kept for re-sending).
    pub fn is_pong(&self) -> bool {
        matches!(self, ServerToRelay::Pong { .. })
    }
}

/// How many raw bytes go into one chunk so its envelope fits in `max_frame_bytes`.
pub fn chunk_payload_bytes(max_frame_bytes: usize) -> usize {
    let room = max_frame_bytes.max(MIN_FRAME_BYTES) - CHUNK_ENVELOPE_OVERHEAD;
    // base64 turns 3 bytes into 4.
    (room / 4) * 3
}

/// Splits `bytes` into base64 pieces that each fit a frame of `max_frame_bytes`.
pub fn split_into_chunks(bytes: &[u8], max_frame_bytes: usize) -> Vec<String> {
    bytes.chunks(chunk_payload_bytes(max_frame_bytes).max(1)).map(|c| BASE64.encode(c)).collect()
}

/// Why a chunked message could not be put back together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReassemblyError {
    /// The announced size is above the limit.
    #[error("chunked message of {size} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Announced size.
        size: u64,
        /// Limit.
        limit: usize,
    },
    /// A piece disagrees with the others, is not base64, or the sizes do not add up.
    #[error("malformed chunked message: {0}")]
    Malformed(String),
}

/// Most pieces one chunked message may announce.
pub const MAX_SEGMENTS: u32 = 1 << 16;

/// Collects the pieces of one chunked message (pieces may repeat after a reconnect).
///
/// Every piece is non-empty and every piece but the last has the same length, so a sender can
/// neither announce more pieces than its bytes fill nor make bookkeeping outgrow the message.
#[derive(Debug, Default)]
pub struct Reassembly {
    segment_count: u32,
    message_size_bytes: u64,
    /// Length of every piece but the last, once one of them arrived.
    piece_bytes: Option<u64>,
    received: usize,
    pieces: BTreeMap<u32, Vec<u8>>,
}

impl Reassembly {
    /// Adds one piece; returns the whole message once every piece arrived.
    pub fn add(
        &mut self,
        segment_id: u32,
        segment_count: u32,
        message_size_bytes: u64,
        chunk_base64: &str,
        limit: usize,
    ) -> Result<Option<Vec<u8>>, ReassemblyError> {
        if message_size_bytes > limit as u64 {
            return Err(ReassemblyError::TooLarge { size: message_size_bytes, limit });
        }
        if segment_count == 0
            || segment_id >= segment_count
            || segment_count > MAX_SEGMENTS
            || u64::from(segment_count) > message_size_bytes
        {
            return Err(ReassemblyError::Malformed(format!(
                "segment {segment_id} of {segment_count} for {message_size_bytes} bytes"
            )));
        }
        if self.pieces.is_empty() && self.segment_count == 0 {
            self.segment_count = segment_count;
            self.message_size_bytes = message_size_bytes;
        } else if self.segment_count != segment_count
            || self.message_size_bytes != message_size_bytes
        {
            return Err(ReassemblyError::Malformed("pieces disagree on the message size".into()));
        }
        let piece = BASE64
            .decode(chunk_base64)
            .map_err(|err| ReassemblyError::Malformed(format!("piece is not base64: {err}")))?;
        self.check_piece_length(segment_id, piece.len() as u64)?;
        if !self.pieces.contains_key(&segment_id) {
            self.received += piece.len();
            if self.received as u64 > message_size_bytes {
                return Err(ReassemblyError::Malformed("pieces exceed the announced size".into()));
            }
            self.pieces.insert(segment_id, piece);
        }
        if self.pieces.len() as u32 == self.segment_count {
            if self.received as u64 != self.message_size_bytes {
                return Err(ReassemblyError::Malformed("pieces do not add up".into()));
            }
            let mut whole = Vec::with_capacity(self.received);
            for piece in std::mem::take(&mut self.pieces).into_values() {
                whole.extend_from_slice(&piece);
            }
            return Ok(Some(whole));
        }
        Ok(None)
    }

    /// Refuses empty pieces and pieces whose length disagrees with the message layout.
    fn check_piece_length(&mut self, segment_id: u32, length: u64) -> Result<(), ReassemblyError> {
        let malformed = |why: String| Err(ReassemblyError::Malformed(why));
        if length == 0 {
            return malformed(format!("segment {segment_id} is empty"));
        }
        let count = u64::from(self.segment_count);
        let last = segment_id + 1 == self.segment_count;
        if !last {
            match self.piece_bytes {
                Some(expected) if expected != length => {
                    return malformed(format!(
                        "segment {segment_id} has {length} bytes, other pieces {expected}"
                    ));
                }
                Some(_) => {}
                None => {
                    // The pieces before the last fill all but the last one's share.
                    let full = length.saturating_mul(count - 1);
                    if full >= self.message_size_bytes || self.message_size_bytes - full > length {
                        return malformed(format!(
                            "{count} pieces of {length} bytes cannot carry {} bytes",
                            self.message_size_bytes
                        ));
                    }
                    self.piece_bytes = Some(length);
                }
            }
        }
        let last_piece = self.pieces.get(&(self.segment_count - 1)).map(|p| p.len() as u64);
        let last_length = if last { Some(length) } else { last_piece };
        if let (Some(piece), Some(last_length)) = (self.piece_bytes, last_length) {
            if piece.saturating_mul(count - 1).saturating_add(last_length)
                != self.message_size_bytes
            {
                return malformed("the last piece does not complete the message".into());
            }
        } else if last && count == 1 && length != self.message_size_bytes {
            return malformed("the only piece does not carry the whole message".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_use_the_documented_field_names() {
        let ack: RelayToServer =
            serde_json::from_str(r#"{"type":"ack","seq_id":7,"segment_id":2}"#).unwrap();
        assert_eq!(ack, RelayToServer::Ack { seq_id: 7, segment_id: Some(2) });
        let pong = ServerToRelay::Pong {
            client_id: Some("c1".into()),
            stream_id: Some("s1".into()),
            seq_id: 4,
            status: PongStatus::Unknown,
        };
        assert_eq!(
            serde_json::to_string(&pong).unwrap(),
            r#"{"type":"pong","client_id":"c1","stream_id":"s1","seq_id":4,"status":"unknown"}"#
        );
        let plain = ServerToRelay::Pong {
            client_id: None,
            stream_id: None,
            seq_id: 9,
            status: PongStatus::Active,
        };
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"type":"pong","seq_id":9,"status":"active"}"#
        );
        let message: RelayToServer = serde_json::from_str(
            r#"{"type":"client_message","client_id":"c","stream_id":"s","message":{"id":1}}"#,
        )
        .unwrap();
        assert!(matches!(message, RelayToServer::ClientMessage { .. }));
    }

    #[test]
    fn chunks_fit_the_frame_and_reassemble_in_any_order_with_repeats() {
        let bytes: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let pieces = split_into_chunks(&bytes, 4096);
        assert!(pieces.len() > 5);
        let count = pieces.len() as u32;
        let mut reassembly = Reassembly::default();
        let mut order: Vec<u32> = (0..count).rev().collect();
        order.insert(1, count - 1);
        let mut whole = None;
        for index in order {
            let envelope = ServerToRelay::ServerMessageChunk {
                client_id: "c".into(),
                stream_id: "s".into(),
                seq_id: 1,
                segment_id: index,
                segment_count: count,
                message_size_bytes: bytes.len() as u64,
                message_chunk_base64: pieces[index as usize].clone(),
            };
            assert!(serde_json::to_string(&envelope).unwrap().len() <= 4096);
            if let Some(done) = reassembly
                .add(index, count, bytes.len() as u64, &pieces[index as usize], 1 << 20)
                .unwrap()
            {
                whole = Some(done);
            }
        }
        assert_eq!(whole.unwrap(), bytes);
    }

    #[test]
    fn oversized_or_inconsistent_chunks_are_refused() {
        let mut reassembly = Reassembly::default();
        assert!(matches!(
            reassembly.add(0, 2, 10_000, "AAAA", 100),
            Err(ReassemblyError::TooLarge { .. })
        ));
        assert!(reassembly.add(3, 2, 10, "AAAA", 100).is_err());
        assert!(reassembly.add(0, 2, 4, "AAAA", 100).unwrap().is_none());
        assert!(reassembly.add(1, 2, 5, "AAAA", 100).is_err());
        assert!(reassembly.add(1, 2, 4, "AAAA", 100).is_err(), "6 bytes announced as 4");
    }

    #[test]
    fn empty_or_uneven_pieces_and_huge_segment_counts_are_refused() {
        // An attacker announcing u32::MAX empty pieces must not be able to grow the assembly.
        let mut reassembly = Reassembly::default();
        assert!(reassembly.add(0, u32::MAX, 100, "", 1 << 20).is_err());
        let mut reassembly = Reassembly::default();
        assert!(reassembly.add(0, 100, 100, "", 1 << 20).is_err(), "empty piece");
        let mut reassembly = Reassembly::default();
        assert!(reassembly.add(0, 101, 100, "AA==", 1 << 20).is_err(), "more pieces than bytes");
        // 1-byte pieces cannot announce a 90-byte message in 3 pieces.
        let mut reassembly = Reassembly::default();
        assert!(reassembly.add(0, 3, 90, "AA==", 1 << 20).is_err());
        // Pieces before the last must all have the same length (7 bytes = 3 + 3 + 1).
        let mut reassembly = Reassembly::default();
        assert!(reassembly.add(0, 3, 7, "AAAA", 1 << 20).unwrap().is_none());
        assert!(reassembly.add(1, 3, 7, "AAA=", 1 << 20).is_err(), "2-byte middle piece");
        // A last piece that arrives first is checked once the piece length is known.
        let mut reassembly = Reassembly::default();
        assert!(reassembly.add(2, 3, 7, "AAA=", 1 << 20).unwrap().is_none(), "last: 2 bytes");
        assert!(reassembly.add(0, 3, 7, "AAAA", 1 << 20).is_err(), "3 + 3 + 2 != 7");
        let mut reassembly = Reassembly::default();
        assert!(reassembly.add(0, 1, 7, "AAA=", 1 << 20).is_err(), "a lone 2-byte piece of 7");
        // A well-formed message still reassembles.
        let mut reassembly = Reassembly::default();
        assert!(reassembly.add(2, 3, 7, "AA==", 1 << 20).unwrap().is_none());
        assert!(reassembly.add(0, 3, 7, "AAAA", 1 << 20).unwrap().is_none());
        assert_eq!(reassembly.add(1, 3, 7, "AAAA", 1 << 20).unwrap().unwrap().len(), 7);
    }
}
