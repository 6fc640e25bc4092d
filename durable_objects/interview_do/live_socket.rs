//! The browser socket in the non-hibernating mode, used while an interview talks to the OpenAI
//! Realtime upstream (`docs/decisions/0008-relay-client-socket-accept.md`): the socket is
//! `accept()`ed and read by a task, like the upstream. An open upstream keeps the object in memory
//! anyway, and a frame read by a listener reaches the relay faster than one delivered as a
//! hibernation event. Built-in interviews keep the hibernation API (`realtime.rs`).
//!
//! The live socket is kept in the relay's memory with its attachment (who opened it); `clients()`
//! lists it with the hibernatable sockets, so broadcasts, replacement (4000), completion and
//! revocation treat both alike.

use worker::{WebSocket, WebSocketIncomingMessage};

use super::relay::Attachment;
use super::socket_reader::{self, Ended, Step};
use super::InterviewDo;
use crate::platform::log_error;

impl InterviewDo {
    /// Accepts `ws` as the live socket and reads it with listeners (`socket_reader`); `greet` runs
    /// once it is accepted (the welcome events), before any client frame is read.
    pub(super) fn accept_live(
        &self,
        ws: WebSocket,
        attachment: Attachment,
        greet: impl FnOnce(&WebSocket) + 'static,
    ) {
        self.relay.borrow_mut().live = Some((ws.clone(), attachment));
        // Listeners first, then accept: no frame can arrive unheard.
        let reader = self.handle();
        let socket = ws.clone();
        let reading = match socket_reader::listen(&ws, move |frame| reader.live_frame(&socket, frame)) {
            Ok(reading) => reading,
            Err(e) => return self.live_ended(&ws, &e),
        };
        if let Err(e) = ws.accept() {
            drop(reading);
            return self.live_ended(&ws, &e);
        }
        greet(&ws);
        let this = self.handle();
        wasm_bindgen_futures::spawn_local(async move {
            if let Ended::Failed(cause) = reading.ended().await {
                log_error("client socket", &cause);
            }
            this.forget_live(&ws);
        });
    }

    /// One frame of the live socket, in its listener: audio goes straight through; what waits on
    /// I/O is returned for later.
    fn live_frame(&self, ws: &WebSocket, message: WebSocketIncomingMessage) -> Step {
        if self.ensure_schema().is_err() {
            return Step::Done;
        }
        match self.client_frame_now(ws, message) {
            None => Step::Done,
            Some(pending) => {
                let (this, ws) = (self.handle(), ws.clone());
                Step::Later(Box::pin(async move {
                    this.client_frame_later(ws, pending).await;
                    this.flush_soon();
                }))
            }
        }
    }

    fn live_ended(&self, ws: &WebSocket, e: &worker::Error) {
        log_error("client socket accept", e);
        self.forget_live(ws);
    }

    /// The live socket `ws` is gone: forget it (unless already replaced) and let the relay react.
    fn forget_live(&self, ws: &WebSocket) {
        let mut relay = self.relay.borrow_mut();
        if relay.live.as_ref().is_some_and(|(live, _)| live == ws) {
            relay.live = None;
        }
        drop(relay);
        self.on_client_close();
    }

    /// The live socket, if any.
    pub(super) fn live_client(&self) -> Option<WebSocket> {
        self.relay.borrow().live.as_ref().map(|(ws, _)| ws.clone())
    }

    /// Who opened `ws`: the live socket's attachment is in memory, a hibernatable socket's is
    /// serialized on it.
    pub(super) fn attachment_of(&self, ws: &WebSocket) -> Option<Attachment> {
        if let Some((live, attachment)) = self.relay.borrow().live.as_ref() {
            if live == ws {
                return Some(attachment.clone());
            }
        }
        ws.deserialize_attachment::<Attachment>().ok().flatten()
    }
}
