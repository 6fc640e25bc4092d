//! Legacy voice answers (`docs/voice.md#legacy-voice-answers`): `POST /interviews/{id}/messages` with a
//! `multipart/form-data` `audio_file`. The recording is checked (≤ 25 MB, a known container by
//! its magic bytes), stored in R2, transcribed, answered by the same turn as a text answer
//! (in the interview's DO), and the reply is synthesized and stored too. Both recordings are
//! served by `GET /interviews/{id}/audio/{file}` to the interview's owner and staff.

use serde::Serialize;
use serde_json::json;
use worker::{Data, FormEntry, Headers, HttpMetadata, Request, Response};

use super::seam::{caller, client, forward, interview_id};
use super::{internal, json as json_response, Ctx, HandlerResult};
use crate::adapters::openai_http::OpenAiSettings;
use crate::adapters::speech_http::{synthesize, transcribe};
use crate::ai::speech::{estimated_duration_ms, sniff_audio, MAX_AUDIO_BYTES};
use crate::auth::access::Principal;
use crate::http::error::{ApiError, ErrorCode};
use crate::ids::IdempotencyKey;
use crate::interview::{Ack, Answer, TurnReply, VoiceAudio};
use crate::platform::log_event;
use crate::protocol::InterviewRequest;

/// A legacy voice turn's answer: the turn, what was heard, and the reply's recording.
#[derive(Serialize)]
struct VoiceReply {
    #[serde(flatten)]
    turn: TurnReply,
    transcript: String,
    ai_audio_url: Option<String>,
}

/// Longest transcript kept as the answer (the text answer's limit).
const MAX_ANSWER_CHARS: usize = 2_000;

fn too_large() -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge, "The recording is larger than 25 MB.")
}

fn audio_key(interview_id: &str, file: &str) -> String {
    format!("audio/{interview_id}/{file}")
}

fn audio_url(interview_id: &str, file: &str) -> String {
    format!("/api/v1/interviews/{interview_id}/audio/{file}")
}

/// The multipart branch of `POST /messages`.
pub async fn answer(mut req: Request, ctx: &Ctx<'_>, me: &Principal, id: &str) -> HandlerResult {
    let declared = req.headers().get("Content-Length").ok().flatten().and_then(|l| l.parse::<usize>().ok());
    if declared.is_some_and(|l| l > MAX_AUDIO_BYTES + 64 * 1024) {
        return Err(too_large());
    }
    let key = req.headers().get("Idempotency-Key").ok().flatten();
    let content_type = req.headers().get("Content-Type").ok().flatten().unwrap_or_default();
    // Read under a hard cap whatever the headers say: nothing past the cap is ever read.
    let body = super::read_capped(&mut req, MAX_AUDIO_BYTES + 64 * 1024).await.map_err(|e| match e {
        super::BodyError::TooLarge => too_large(),
        super::BodyError::Unreadable => {
            ApiError::new(ErrorCode::ValidationError, "The multipart body could not be read.")
        }
    })?;
    let mut copy = super::request_from_bytes(&body, &content_type).map_err(internal("audio body"))?;
    drop(body);
    let form = copy
        .form_data()
        .await
        .map_err(|_| ApiError::new(ErrorCode::ValidationError, "The multipart body could not be read."))?;
    let Some(FormEntry::File(file)) = form.get("audio_file") else {
        return Err(ApiError::validation(vec![crate::http::error::FieldError {
            field: "audio_file".into(),
            message: "Attach the recording as a file part named audio_file.".into(),
        }]));
    };
    let audio = file.bytes().await.map_err(internal("audio read"))?;
    if audio.len() > MAX_AUDIO_BYTES {
        return Err(too_large());
    }
    let format = sniff_audio(&audio).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "The recording must be webm, ogg, mp3, mp4/m4a or wav.",
        )
    })?;
    let Some(settings) = OpenAiSettings::from_config(ctx.config) else {
        return Err(ApiError::new(
            ErrorCode::VoiceUnavailable,
            "Voice answers are not available on this server; answer by text.",
        ));
    };
    // Refuse a closed interview (or someone else's) before paying for a transcription.
    let interview = client(ctx, id)?;
    // The owner, in progress, nothing pending, within the answer rate: checked before the
    // recording is stored or (paid) transcribed.
    let _: (u16, Ack) = interview.call(Some(caller(me)), InterviewRequest::AuthorizeAnswer).await?;
    let bucket = ctx.env.bucket("MEDIA").map_err(internal("media bucket"))?;
    let answer_file = format!("{}.{}", uuid::Uuid::new_v4(), format.extension());
    bucket
        .put(audio_key(id, &answer_file), Data::Bytes(audio.clone()))
        .http_metadata(HttpMetadata {
            content_type: Some(format.content_type().into()),
            ..HttpMetadata::default()
        })
        .execute()
        .await
        .map_err(internal("audio put"))?;
    let transcript =
        transcribe(&settings, &audio, format, &ctx.config.transcription_model, id).await.map_err(|e| {
            log_event("voice_transcription_failed", json!({ "interview_id": id, "reason": e.log_reason() }));
            ApiError::new(ErrorCode::AiUnavailable, "The recording could not be transcribed; retry shortly.")
                .with_retry_after(5)
        })?;
    let text: String = transcript.text.chars().take(MAX_ANSWER_CHARS).collect();
    if text.trim().is_empty() {
        return Err(ApiError::new(ErrorCode::ValidationError, "No speech was recognised in the recording."));
    }
    let answer = Answer {
        message_text: text.clone(),
        client_metadata: json!({ "channel": "voice_legacy" }),
        idempotency_key: key.map(IdempotencyKey::new),
        audio_url: Some(audio_url(id, &answer_file)),
    };
    let (_, result): (u16, TurnReply) =
        interview.call(Some(caller(me)), InterviewRequest::Turn(answer)).await?;
    let reply = result.ai_response.clone();
    let ai_message_id = result.ai_message_id.clone();
    let reply_file = format!("{ai_message_id}.mp3");
    // The turn is done and stored: a synthesis failure only leaves the reply without audio.
    let ai_audio_url = match synthesize(&settings, &reply, &ctx.config.tts_model, id).await {
        Ok(mp3) => {
            let stored = bucket
                .put(audio_key(id, &reply_file), Data::Bytes(mp3))
                .http_metadata(HttpMetadata {
                    content_type: Some("audio/mpeg".into()),
                    ..HttpMetadata::default()
                })
                .execute()
                .await;
            stored.is_ok().then(|| audio_url(id, &reply_file))
        }
        Err(e) => {
            log_event("voice_speech_failed", json!({ "interview_id": id, "reason": e.log_reason() }));
            None
        }
    };
    let usage = VoiceAudio {
        ai_message_id,
        ai_audio_url: ai_audio_url.clone(),
        audio_ms: transcript.duration_ms.unwrap_or_else(|| estimated_duration_ms(audio.len())),
        tts_chars: if ai_audio_url.is_some() { reply.chars().count() as u64 } else { 0 },
    };
    let _: (u16, Ack) = interview.call(Some(caller(me)), InterviewRequest::VoiceAudio(usage)).await?;
    let body = serde_json::to_value(VoiceReply { turn: result, transcript: text, ai_audio_url })
        .map_err(|_| ApiError::internal())?;
    json_response(200, &body)
}

/// `GET /api/v1/interviews/{id}/audio/{file}`: a stored recording, to the owner and staff.
pub async fn audio(req: Request, ctx: &Ctx<'_>, id: &str, file: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = interview_id(id)?;
    // Ownership is the DO's to check; a readable status means the caller may read the interview.
    forward(ctx, &me, &id, InterviewRequest::Status).await?;
    let valid = file.len() <= 80
        && file.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !file.starts_with('.');
    if !valid {
        return Err(ApiError::not_found());
    }
    let bucket = ctx.env.bucket("MEDIA").map_err(internal("media bucket"))?;
    let object = bucket.get(audio_key(&id, file)).execute().await.map_err(internal("audio get"))?;
    let object = object.ok_or_else(ApiError::not_found)?;
    let content_type =
        object.http_metadata().content_type.unwrap_or_else(|| "application/octet-stream".into());
    let bytes = match object.body() {
        Some(body) => body.bytes().await.map_err(internal("audio body"))?,
        None => Vec::new(),
    };
    let headers = Headers::new();
    let _ = headers.set("Content-Type", &content_type);
    let _ = headers.set("Cache-Control", "private, max-age=3600");
    Ok(Response::from_bytes(bytes).map_err(internal("audio response"))?.with_headers(headers))
}
