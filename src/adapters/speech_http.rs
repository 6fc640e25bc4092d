//! The wasm32 HTTP glue of legacy voice answers: one transcription and one speech synthesis per
//! turn over `worker::Fetch`, each with the per-attempt timeout and the retry policy of the chat
//! calls. Logs carry the interview id, status and timing; never audio, text or the key.

use std::time::Duration;

use serde_json::json;
use wasm_bindgen::JsValue;
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

use super::openai_http::OpenAiSettings;
use crate::ai::errors::{AiError, UpstreamError};
use crate::ai::retry::{classify, Outcome, RetryDecision};
use crate::ai::speech::{parse_transcription, speech_request, transcription_body, AudioFormat, Transcript};
use crate::platform::{log_event, now_ms};

/// Transcribes a recording with `model`.
///
/// # Errors
/// The provider's failure after the retries (or an unreadable answer).
pub async fn transcribe(
    settings: &OpenAiSettings,
    audio: &[u8],
    format: AudioFormat,
    model: &str,
    interview_id: &str,
) -> Result<Transcript, AiError> {
    let boundary = format!("----interview-edge-{}", uuid::Uuid::new_v4().simple());
    let body = js_sys::Uint8Array::from(transcription_body(&boundary, audio, format, model).as_slice());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let bytes = post(settings, "/audio/transcriptions", &content_type, &body.into(), interview_id).await?;
    parse_transcription(&String::from_utf8_lossy(&bytes)).map_err(|_| AiError::Network { timed_out: false })
}

/// Synthesizes `text` as MP3 with `model`.
///
/// # Errors
/// The provider's failure after the retries.
pub async fn synthesize(
    settings: &OpenAiSettings,
    text: &str,
    model: &str,
    interview_id: &str,
) -> Result<Vec<u8>, AiError> {
    let body = JsValue::from_str(&speech_request(model, text).to_string());
    post(settings, "/audio/speech", "application/json", &body, interview_id).await
}

async fn post(
    settings: &OpenAiSettings,
    path: &str,
    content_type: &str,
    body: &JsValue,
    interview_id: &str,
) -> Result<Vec<u8>, AiError> {
    let mut attempt = 0_u32;
    loop {
        attempt += 1;
        let started = now_ms();
        let (status, result) = once(settings, path, content_type, body).await;
        log_event(
            "ai_call",
            json!({"interview_id": interview_id, "path": path, "status": status, "attempt": attempt,
                   "latency_ms": now_ms() - started}),
        );
        let err = match result {
            Ok(bytes) => return Ok(bytes),
            Err(e) => e,
        };
        match settings.retry.decide_with_server_delay(
            attempt,
            err.outcome(),
            err.server_delay_ms(),
            js_sys::Math::random(),
        ) {
            RetryDecision::GiveUp => return Err(err),
            RetryDecision::RetryAfterMs(ms) => Delay::from(Duration::from_millis(ms.min(60_000))).await,
        }
    }
}

async fn once(
    settings: &OpenAiSettings,
    path: &str,
    content_type: &str,
    body: &JsValue,
) -> (Option<u16>, Result<Vec<u8>, AiError>) {
    let network = |timed_out| Err(AiError::Network { timed_out });
    let request = (|| {
        let headers = Headers::new();
        headers.set("Authorization", &format!("Bearer {}", settings.api_key))?;
        headers.set("Content-Type", content_type)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_redirect(RequestRedirect::Manual)
            .with_body(Some(body.clone()));
        Request::new_with_init(&format!("{}{path}", settings.base_url), &init)
    })();
    let Ok(request) = request else { return (None, network(false)) };
    let exchange = async {
        let mut response = Fetch::Request(request).send().await.ok()?;
        let status = response.status_code();
        let retry_after = response.headers().get("retry-after").ok().flatten();
        let bytes = response.bytes().await.ok()?;
        Some((status, retry_after, bytes))
    };
    let timeout = Delay::from(Duration::from_millis(settings.timeout_ms));
    let answered = futures_util::future::select(Box::pin(exchange), timeout).await;
    match answered {
        futures_util::future::Either::Left((Some((status, retry_after, bytes)), _)) => {
            if classify(status) == Outcome::Success {
                (Some(status), Ok(bytes))
            } else {
                let text = String::from_utf8_lossy(&bytes);
                (
                    Some(status),
                    Err(AiError::Upstream(UpstreamError::from_response(
                        status,
                        &text,
                        retry_after.as_deref(),
                    ))),
                )
            }
        }
        futures_util::future::Either::Left((None, _)) => (None, network(false)),
        futures_util::future::Either::Right(_) => (None, network(true)),
    }
}
