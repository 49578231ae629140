//! The remote client's side of a relayed stream, for Rust tools and tests: connect to a relay's
//! client socket (`/client/<relay server id>` with the relay's client token), then either pair
//! with a code ([`RemoteClient::pair`]) or authenticate with a stored credential
//! ([`RemoteClient::authenticate`]), and exchange JSON-RPC messages sealed end to end.
//! [`RemoteClient::send_raw`] and [`RemoteClient::recv_raw`] bypass the sealing (tests use them
//! to play an unpaired client).

use std::time::Duration;

use futures::SinkExt;
use futures::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use super::pairing::ClientCredential;
use super::pairing::ClientHandshake;
use super::pairing::ClientSession;
use crate::error::TransportError;

/// How long a handshake step may wait for the server.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A remote client's websocket to a relay, authenticated end to end once paired or proven.
#[derive(Debug)]
pub struct RemoteClient {
    socket: Socket,
    session: Option<ClientSession>,
}

fn failed(why: impl Into<String>) -> TransportError {
    TransportError::RemoteAuth(why.into())
}

impl RemoteClient {
    /// Connects to `{relay_base}/client/{relay_server_id}` (`ws://` or `wss://` base) with the
    /// relay's client token.
    pub async fn connect(
        relay_base: &str,
        relay_server_id: &str,
        relay_token: &str,
    ) -> Result<Self, TransportError> {
        let url = format!("{}/client/{relay_server_id}", relay_base.trim_end_matches('/'));
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|err| TransportError::Websocket(format!("{url}: {err}")))?;
        let bearer = format!("Bearer {relay_token}")
            .parse()
            .map_err(|_| failed("the relay token is not a valid header value"))?;
        request.headers_mut().insert("authorization", bearer);
        let (socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
            .await
            .map_err(|err| TransportError::Websocket(format!("{url}: {err}")))?;
        Ok(Self { socket, session: None })
    }

    /// Pairs with `code` under `name`; the stream is authenticated afterwards. Returns the new
    /// credential (store it privately: it holds the secret key).
    pub async fn pair(
        &mut self,
        code: &str,
        name: &str,
    ) -> Result<ClientCredential, TransportError> {
        let (handshake, hello) = ClientHandshake::start()?;
        self.send_raw(&hello.to_value()).await?;
        let challenge = self.handshake_reply().await?;
        let (frame, answered) = handshake.pair(&challenge, code, name)?;
        self.send_raw(&frame.to_value()).await?;
        let reply = self.handshake_reply().await?;
        let session = answered.accept(&reply)?;
        let credential =
            session.credential.clone().ok_or_else(|| failed("the pairing gave no credential"))?;
        self.session = Some(session);
        Ok(credential)
    }

    /// Authenticates the stream with `credential` (refusing a server other than its own).
    pub async fn authenticate(
        &mut self,
        credential: &ClientCredential,
    ) -> Result<(), TransportError> {
        let (handshake, hello) = ClientHandshake::start()?;
        self.send_raw(&hello.to_value()).await?;
        let challenge = self.handshake_reply().await?;
        let (frame, answered) = handshake.prove(&challenge, credential)?;
        self.send_raw(&frame.to_value()).await?;
        let reply = self.handshake_reply().await?;
        self.session = Some(answered.accept(&reply)?);
        Ok(())
    }

    async fn handshake_reply(&mut self) -> Result<Value, TransportError> {
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, self.recv_raw()).await {
            Err(_) => Err(failed("the server did not answer the handshake")),
            Ok(Ok(Some(value))) => Ok(value),
            Ok(Ok(None)) => Err(failed("the stream closed during the handshake")),
            Ok(Err(err)) => Err(err),
        }
    }

    /// Sends one JSON-RPC message, sealed.
    pub async fn send(&mut self, message: &Value) -> Result<(), TransportError> {
        let session =
            self.session.as_mut().ok_or_else(|| failed("the stream is not authenticated"))?;
        let frame = session.sealer.seal(message.to_string()).to_value();
        self.send_raw(&frame).await
    }

    /// The next JSON-RPC message from the server, its seal checked; `None` once the stream is
    /// closed. A message that fails the check is an error (the stream can no longer be trusted).
    pub async fn recv(&mut self) -> Result<Option<Value>, TransportError> {
        let Some(value) = self.recv_raw().await? else { return Ok(None) };
        let session =
            self.session.as_mut().ok_or_else(|| failed("the stream is not authenticated"))?;
        match session.opener.open(&value) {
            Ok(payload) => serde_json::from_str(&payload)
                .map(Some)
                .map_err(|err| failed(format!("sealed payload is not JSON: {err}"))),
            Err(_) => Err(failed(format!("unsealed or forged message from the server: {value}"))),
        }
    }

    /// Sends `value` as it is, unsealed.
    pub async fn send_raw(&mut self, value: &Value) -> Result<(), TransportError> {
        self.socket
            .send(Message::text(value.to_string()))
            .await
            .map_err(|err| TransportError::Websocket(err.to_string()))
    }

    /// The next frame as JSON, unchecked; `None` once the socket closed.
    pub async fn recv_raw(&mut self) -> Result<Option<Value>, TransportError> {
        loop {
            match self.socket.next().await {
                None | Some(Ok(Message::Close(_))) => return Ok(None),
                Some(Err(err)) => return Err(TransportError::Websocket(err.to_string())),
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(text.as_str())
                        .map(Some)
                        .map_err(|err| TransportError::Websocket(format!("not JSON: {err}")));
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Closes the socket.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}
