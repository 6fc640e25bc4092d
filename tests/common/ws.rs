//! A small WebSocket test client (tokio-tungstenite over a plain TCP connection, `ws://` only):
//! for the Worker's `/api/v1/realtime/{id}` socket and for the fake OpenAI Realtime upstream.
//!
//! ```ignore
//! let mut ws = ws::connect(&url).await.expect("upgrade");
//! ws.send_json(&json!({"type": "conversation.item.create", "item": …})).await;
//! let (done, before) = ws.wait_for("response.done", Duration::from_secs(5)).await.expect("done");
//! ```
//! Ping frames are answered by tungstenite and never surface; text frames must be JSON (a frame
//! that is not is returned as `Value::String`). A close frame from the server is kept and returned
//! by [`WsClient::next_close`]; so is an end of stream without one, as code 1006.

use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

#[allow(unused_imports)] // re-exported for the tests that use them
pub use super::fake_openai::realtime::{b64_decode, b64_encode, pcm16_silence, pcm16_tone};

/// Why a connection attempt failed.
#[derive(Debug)]
pub enum ConnectError {
    /// The server answered the handshake with this status instead of 101 (and this body).
    Status(u16, String),
    /// Anything else (bad URL, TCP refused, protocol error), described.
    Other(String),
}

impl ConnectError {
    /// The refusal status, if the server answered with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ConnectError::Status(status, _) => Some(*status),
            ConnectError::Other(_) => None,
        }
    }
}

/// An open client socket.
pub struct WsClient {
    stream: WebSocketStream<TcpStream>,
    /// The server's close frame (or 1006 for an end without one), once seen.
    close: Option<(u16, String)>,
    /// Every JSON event received so far, oldest first (the ones [`WsClient::wait_for`] skipped
    /// included).
    pub received: Vec<Value>,
}

/// Opens `url` (`ws://host:port/path?query`) with no extra headers.
pub async fn connect(url: &str) -> Result<WsClient, ConnectError> {
    connect_with_headers(url, &[]).await
}

/// Opens `url` with extra handshake headers (e.g. `("authorization", "Bearer …")`).
pub async fn connect_with_headers(url: &str, headers: &[(&str, &str)]) -> Result<WsClient, ConnectError> {
    let other = |e: &dyn std::fmt::Display| ConnectError::Other(e.to_string());
    let mut request = url.into_client_request().map_err(|e| other(&e))?;
    for (name, value) in headers {
        let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| other(&e))?;
        request.headers_mut().insert(name, HeaderValue::from_str(value).map_err(|e| other(&e))?);
    }
    let host = request.uri().host().unwrap_or("127.0.0.1").to_owned();
    let port = request.uri().port_u16().unwrap_or(80);
    let tcp = TcpStream::connect((host.as_str(), port)).await.map_err(|e| other(&e))?;
    let _ = tcp.set_nodelay(true);
    match tokio_tungstenite::client_async(request, tcp).await {
        Ok((stream, _)) => Ok(WsClient { stream, close: None, received: Vec::new() }),
        Err(WsError::Http(response)) => {
            let body = response.body().as_deref().map(|b| String::from_utf8_lossy(b).into_owned());
            Err(ConnectError::Status(response.status().as_u16(), body.unwrap_or_default()))
        }
        Err(e) => Err(other(&e)),
    }
}

impl WsClient {
    /// Sends one JSON text frame. Panics if the socket is closed (a test failure).
    pub async fn send_json(&mut self, event: &Value) {
        self.send_text(&event.to_string()).await;
    }

    /// Sends one text frame as is (for malformed or oversized frames). Panics if closed.
    pub async fn send_text(&mut self, text: &str) {
        self.stream.send(Message::text(text.to_owned())).await.expect("send on the test WebSocket");
    }

    /// Sends one text frame; `false` if the socket is already closed (for tests that race a close).
    pub async fn try_send_text(&mut self, text: &str) -> bool {
        self.stream.send(Message::text(text.to_owned())).await.is_ok()
    }

    /// Sends one binary frame. Panics if closed.
    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.stream.send(Message::binary(bytes)).await.expect("send on the test WebSocket");
    }

    /// Sends `input_audio_buffer.append` with `pcm` base64-encoded.
    pub async fn append_audio(&mut self, pcm: &[u8]) {
        self.send_json(&serde_json::json!({"type": "input_audio_buffer.append", "audio": b64_encode(pcm)}))
            .await;
    }

    /// The next JSON event, or `None` on timeout or once the socket is closed.
    pub async fn next_json(&mut self, timeout: Duration) -> Option<Value> {
        if self.close.is_some() {
            return None;
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let message = match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return None,
                Ok(None) | Ok(Some(Err(_))) => {
                    self.close = Some((1006, String::new()));
                    return None;
                }
                Ok(Some(Ok(message))) => message,
            };
            match message {
                Message::Text(text) => {
                    let value = serde_json::from_str(text.as_str())
                        .unwrap_or_else(|_| Value::String(text.to_string()));
                    self.received.push(value.clone());
                    return Some(value);
                }
                Message::Close(frame) => {
                    self.close = Some(
                        frame.map_or((1005, String::new()), |f| (u16::from(f.code), f.reason.to_string())),
                    );
                    return None;
                }
                _ => {}
            }
        }
    }

    /// Waits for an event of `event_type`: `Some((event, events received before it))`, or `None` on
    /// timeout or close (the skipped events stay in [`WsClient::received`]).
    pub async fn wait_for(&mut self, event_type: &str, timeout: Duration) -> Option<(Value, Vec<Value>)> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.next_json(left).await?;
            if event["type"] == event_type {
                return Some((event, before));
            }
            before.push(event);
        }
    }

    /// The events up to and including the first of type `event_type`; panics (naming the types
    /// seen) on timeout or close.
    pub async fn until(&mut self, event_type: &str, timeout: Duration) -> Vec<Value> {
        match self.wait_for(event_type, timeout).await {
            Some((event, mut before)) => {
                before.push(event);
                before
            }
            None => {
                let seen: Vec<Value> =
                    self.received.iter().rev().take(15).map(|e| e["type"].clone()).collect();
                panic!(
                    "no {event_type} event (closed: {:?}); last events, newest first: {seen:?}",
                    self.close
                )
            }
        }
    }

    /// Waits for the server's close: `Some((code, reason))` (1005 for a close frame without a code,
    /// 1006 for an end without a close frame), or `None` on timeout. JSON events on the way are
    /// kept in [`WsClient::received`].
    pub async fn next_close(&mut self, timeout: Duration) -> Option<(u16, String)> {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.close.is_none() {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            if self.next_json(left).await.is_none() && self.close.is_none() {
                return None;
            }
        }
        self.close.clone()
    }

    /// Whether the server closed (or the connection ended).
    pub fn is_closed(&self) -> bool {
        self.close.is_some()
    }

    /// Closes from the client side with `code` and `reason` (errors ignored).
    pub async fn close(&mut self, code: u16, reason: &str) {
        let frame = CloseFrame { code: CloseCode::from(code), reason: reason.to_owned().into() };
        let _ = self.stream.close(Some(frame)).await;
    }
}

/// The sending half of a [`WsClient::split`] socket.
pub struct WsSender {
    sink: SplitSink<WebSocketStream<TcpStream>, Message>,
}

/// The receiving half of a [`WsClient::split`] socket.
pub struct WsReceiver {
    source: SplitStream<WebSocketStream<TcpStream>>,
}

impl WsClient {
    /// Splits the socket so one task can send while another reads (load tests).
    pub fn split(self) -> (WsSender, WsReceiver) {
        let (sink, source) = self.stream.split();
        (WsSender { sink }, WsReceiver { source })
    }
}

impl WsSender {
    /// Sends one text frame. Panics if the socket is closed (a test failure).
    pub async fn send_text(&mut self, text: &str) {
        self.sink.send(Message::text(text.to_owned())).await.expect("send on the test WebSocket");
    }

    /// Closes from the client side (errors ignored).
    pub async fn close(&mut self) {
        let _ = self.sink.send(Message::Close(None)).await;
    }
}

impl WsReceiver {
    /// The next JSON event (a text frame that is not JSON comes as `Value::String`), or `None` once
    /// the socket is closed or broken.
    pub async fn next_json(&mut self) -> Option<Value> {
        while let Some(Ok(message)) = self.source.next().await {
            match message {
                Message::Text(text) => {
                    return Some(
                        serde_json::from_str(text.as_str())
                            .unwrap_or_else(|_| Value::String(text.to_string())),
                    )
                }
                Message::Close(_) => return None,
                _ => {}
            }
        }
        None
    }
}
