//! The core's [`HttpClient`] over `worker::Fetch`: one POST with a per-attempt timeout (an
//! `AbortController` raced against a timer), the JS timer for retry waits, `Date.now()`,
//! `Math.random()` for the jitter, and the JSON log. Every decision of an OpenAI call (retries,
//! breaker, parsing) is the core's (`ai::client`).

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::{
    AbortController, AbortSignal, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

pub use crate::ai::client::OpenAiSettings;
use crate::ai::client::{HttpClient, HttpReply, NoAnswer};
use crate::platform::{log_event, now_ms};

/// `worker::Fetch` as the core's HTTP client.
pub struct FetchClient;

/// Longest wait a JS timer takes (its delay is a 32-bit signed integer).
const MAX_TIMER_MS: u64 = 2_147_483_647;

fn sleep(ms: u64) -> Delay {
    Delay::from(Duration::from_millis(ms.min(MAX_TIMER_MS)))
}

impl HttpClient for FetchClient {
    async fn post_json(
        &self,
        url: &str,
        api_key: &str,
        body: &str,
        timeout_ms: u64,
    ) -> Result<HttpReply, NoAnswer> {
        let controller = AbortController::default();
        let signal = controller.signal();
        let answered = {
            let mut exchange = pin!(exchange(url, api_key, body, &signal));
            let mut timer = pin!(sleep(timeout_ms));
            poll_fn(|cx| match exchange.as_mut().poll(cx) {
                Poll::Ready(answer) => Poll::Ready(Some(answer)),
                Poll::Pending => timer.as_mut().poll(cx).map(|()| None),
            })
            .await
        };
        answered.unwrap_or_else(|| {
            controller.abort();
            Err(NoAnswer { timed_out: true })
        })
    }

    async fn sleep(&self, ms: u64) {
        sleep(ms).await;
    }

    fn now_ms(&self) -> i64 {
        now_ms()
    }

    fn jitter(&self) -> f64 {
        js_sys::Math::random()
    }

    fn log(&self, event: &'static str, fields: Value) {
        log_event(event, fields);
    }
}

/// Sends the request and reads the whole answer.
async fn exchange(url: &str, api_key: &str, body: &str, signal: &AbortSignal) -> Result<HttpReply, NoAnswer> {
    let network = NoAnswer { timed_out: false };
    let request = build_request(url, api_key, body).map_err(|_| network)?;
    let mut response = Fetch::Request(request).send_with_signal(signal).await.map_err(|_| network)?;
    let status = response.status_code();
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let (retry_after, retry_after_ms) = (header("retry-after"), header("retry-after-ms"));
    let body = response.text().await.map_err(|_| network)?;
    Ok(HttpReply { status, body, retry_after, retry_after_ms })
}

fn build_request(url: &str, api_key: &str, body: &str) -> worker::Result<Request> {
    let headers = Headers::new();
    headers.set("Authorization", &format!("Bearer {api_key}"))?;
    headers.set("Content-Type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        // A redirect is answered as the fatal 3xx it is, never followed with the key.
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(JsValue::from_str(body)));
    Request::new_with_init(url, &init)
}
