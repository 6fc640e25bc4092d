//! Reads a non-hibernating WebSocket (the live browser socket, the upstream) with event listeners,
//! handling each frame **inside its listener** (`docs/decisions/0012-relay-frames-in-the-listener.md`).
//!
//! The `worker` crate's `events()` stream sends every frame through a channel to a task, which
//! wakes the wasm-bindgen executor through `queueMicrotask`: per frame a channel push, a waker, a
//! microtask and a task poll before the frame is even looked at. A CPU profile of the relay
//! during voice sessions put that machinery at about a third of the relay's time. Audio frames
//! (50 a second each way) need no I/O: they are classified and forwarded synchronously in the
//! listener. A frame whose handling waits on I/O (a typed answer, a finished voice turn) returns
//! [`Step::Later`]; frames that arrive meanwhile queue behind it, so the order of frames is kept
//! exactly as with the stream.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures_channel::oneshot;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use worker::{WebSocket, WebSocketIncomingMessage};

/// What handling a frame left to do.
pub(super) enum Step {
    /// Handled.
    Done,
    /// The rest waits on I/O; frames after this one wait for it.
    Later(Pin<Box<dyn Future<Output = ()>>>),
}

/// How the socket ended.
pub(super) enum Ended {
    /// A close frame, with its code.
    Closed(u16),
    /// An error event, or the listeners could not be kept.
    Failed(String),
}

enum Event {
    Frame(WebSocketIncomingMessage),
    End(Ended),
}

type Handler = Rc<dyn Fn(WebSocketIncomingMessage) -> Step>;

struct Order {
    /// A [`Step::Later`] is running: events queue behind it.
    busy: bool,
    queue: VecDeque<Event>,
    ended: Option<oneshot::Sender<Ended>>,
}

/// The listeners of one socket; dropping it removes them.
pub(super) struct Reading {
    ws: WebSocket,
    ended: oneshot::Receiver<Ended>,
    message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    close: Closure<dyn FnMut(web_sys::CloseEvent)>,
    error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

/// Listens to `ws` (before it is accepted, so no frame goes unheard); every frame goes to
/// `handle` in order. Await [`Reading::ended`] to learn when the socket closed.
pub(super) fn listen(
    ws: &WebSocket,
    handle: impl Fn(WebSocketIncomingMessage) -> Step + 'static,
) -> worker::Result<Reading> {
    let (tx, rx) = oneshot::channel();
    let order = Rc::new(RefCell::new(Order { busy: false, queue: VecDeque::new(), ended: Some(tx) }));
    let handle: Handler = Rc::new(handle);
    let message = {
        let (order, handle) = (Rc::clone(&order), Rc::clone(&handle));
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let data = event.data();
            let frame = match data.as_string() {
                Some(text) => WebSocketIncomingMessage::String(text),
                None => WebSocketIncomingMessage::Binary(js_sys::Uint8Array::new(&data).to_vec()),
            };
            deliver(&order, &handle, Event::Frame(frame));
        })
    };
    let close = {
        let (order, handle) = (Rc::clone(&order), Rc::clone(&handle));
        Closure::<dyn FnMut(web_sys::CloseEvent)>::new(move |event: web_sys::CloseEvent| {
            deliver(&order, &handle, Event::End(Ended::Closed(event.code())));
        })
    };
    let error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |event: web_sys::ErrorEvent| {
        deliver(&order, &handle, Event::End(Ended::Failed(event.message())));
    });
    let target: &web_sys::WebSocket = ws.as_ref();
    target.add_event_listener_with_callback("message", message.as_ref().unchecked_ref())?;
    target.add_event_listener_with_callback("close", close.as_ref().unchecked_ref())?;
    target.add_event_listener_with_callback("error", error.as_ref().unchecked_ref())?;
    Ok(Reading { ws: ws.clone(), ended: rx, message, close, error })
}

impl Reading {
    /// Waits until the socket closed or failed and every frame before that was handled; the
    /// listeners are removed then.
    pub(super) async fn ended(mut self) -> Ended {
        let ended = (&mut self.ended).await.unwrap_or_else(|_| Ended::Failed("reader dropped".to_owned()));
        drop(self);
        ended
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        let target: &web_sys::WebSocket = self.ws.as_ref();
        let _ = target.remove_event_listener_with_callback("message", self.message.as_ref().unchecked_ref());
        let _ = target.remove_event_listener_with_callback("close", self.close.as_ref().unchecked_ref());
        let _ = target.remove_event_listener_with_callback("error", self.error.as_ref().unchecked_ref());
    }
}

fn deliver(order: &Rc<RefCell<Order>>, handle: &Handler, event: Event) {
    {
        let mut o = order.borrow_mut();
        if o.busy || o.ended.is_none() {
            if o.ended.is_some() {
                o.queue.push_back(event);
            }
            return;
        }
    }
    if let Some(later) = run(order, handle, event) {
        order.borrow_mut().busy = true;
        let (order, handle) = (Rc::clone(order), Rc::clone(handle));
        wasm_bindgen_futures::spawn_local(async move {
            later.await;
            loop {
                let next = order.borrow_mut().queue.pop_front();
                let Some(event) = next else { break };
                if let Some(later) = run(&order, &handle, event) {
                    later.await;
                }
            }
            order.borrow_mut().busy = false;
        });
    }
}

/// Handles one event now; returns what must still be awaited.
fn run(
    order: &Rc<RefCell<Order>>,
    handle: &Handler,
    event: Event,
) -> Option<Pin<Box<dyn Future<Output = ()>>>> {
    match event {
        Event::Frame(frame) => match handle(frame) {
            Step::Done => None,
            Step::Later(later) => Some(later),
        },
        Event::End(ended) => {
            let mut o = order.borrow_mut();
            o.queue.clear();
            if let Some(tx) = o.ended.take() {
                let _ = tx.send(ended);
            }
            None
        }
    }
}
