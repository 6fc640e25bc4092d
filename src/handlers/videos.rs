//! `/api/v1/videos/{interview_id}` (`docs/video.md`): the Worker side of interview video. It
//! authenticates and validates, then hands the chunk's bytes to the interview's Durable Object
//! (which checks ownership and consent, serializes the upload and drives the R2 multipart
//! upload) without copying them into wasm memory. `stream` asks the DO for the recording's
//! metadata and then reads R2 itself, ranged, so video bytes never pass through the DO.

use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use worker::{Headers, Request, Response};

use super::seam::{caller, client, interview_id};
use super::{internal, json, quotas, read_capped, request_from_bytes, BodyError, Ctx, HandlerResult};
use crate::auth::access::Principal;
use crate::domain::audit::AuditEvent;
use crate::domain::enums::AuditAction;
use crate::domain::media::range::{parse_range, RangeOutcome};
use crate::domain::media::video::{VideoContentType, MAX_CHUNK_REQUEST_BYTES};
use crate::http::body::declared_length;
use crate::http::error::{ApiError, ErrorCode, FieldError};
use crate::protocol::InterviewRequest;

/// One chunk as the request described it; the body stays a JS value (stream or Blob), unless it
/// came without a `Content-Length` and had to be read (under the cap) to be measured.
struct Chunk {
    index: u32,
    total: u32,
    content_type: VideoContentType,
    body: Option<JsValue>,
    /// The chunk's size in bytes, charged to the daily video quota.
    size: u64,
}

/// Room for the multipart framing and the small fields around a chunk.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

fn unsupported(message: &str) -> ApiError {
    ApiError::new(ErrorCode::UnsupportedMediaType, message)
}

/// `chunk_index` and `total_chunks` from text values, with a detail per bad field.
fn chunk_numbers(index: Option<String>, total: Option<String>) -> Result<(u32, u32), ApiError> {
    let mut details = Vec::new();
    let mut parse = |name: &str, value: Option<String>| match value.as_deref().map(str::trim) {
        None | Some("") => {
            details.push(FieldError { field: name.to_owned(), message: "Required.".to_owned() });
            None
        }
        Some(v) => match v.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                details.push(FieldError {
                    field: name.to_owned(),
                    message: "Must be a non-negative integer.".to_owned(),
                });
                None
            }
        },
    };
    let index = parse("chunk_index", index);
    let total = parse("total_chunks", total);
    match (index, total) {
        (Some(i), Some(t)) => Ok((i, t)),
        _ => Err(ApiError::validation(details)),
    }
}

fn too_large(size: u64, max: u64) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("The chunk has {size} bytes; one request may carry at most {max} bytes."),
    )
}

/// Reads the chunk's description from a multipart body (`video_chunk`, `chunk_index`,
/// `total_chunks`) or a raw body (`?chunk_index=&total_chunks=`, `Content-Type: video/…`).
async fn read_chunk(req: &mut Request, ctx: &Ctx<'_>) -> Result<Chunk, ApiError> {
    let max = MAX_CHUNK_REQUEST_BYTES.min(ctx.config.video_max_bytes);
    let content_type = req.headers().get("Content-Type").ok().flatten().unwrap_or_default();
    let declared = declared_length(req.headers().get("Content-Length").ok().flatten().as_deref());
    let cap = |limit: u64| usize::try_from(limit).unwrap_or(usize::MAX);
    if content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        if let Some(size) = declared.filter(|size| *size > max + MULTIPART_OVERHEAD) {
            return Err(too_large(size, max));
        }
        // A declared length is enforced by the runtime's framing; without one, the body is read
        // here under the cap (never past it) and parsed from that copy.
        let parsed = if declared.is_some() {
            req.inner().form_data()
        } else {
            let body = read_capped(req, cap(max + MULTIPART_OVERHEAD)).await.map_err(|e| match e {
                BodyError::TooLarge => too_large(max + MULTIPART_OVERHEAD + 1, max),
                BodyError::Unreadable => {
                    ApiError::field("video_chunk", "The multipart body could not be read.")
                }
            })?;
            request_from_bytes(&body, &content_type).map_err(internal("video body"))?.inner().form_data()
        };
        let promise = parsed.map_err(|_| unsupported("The multipart body is malformed."))?;
        let form: web_sys::FormData = wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .ok()
            .and_then(|f| f.dyn_into().ok())
            .ok_or_else(|| ApiError::field("video_chunk", "The multipart body could not be parsed."))?;
        let field = |name: &str| form.get(name).as_string();
        let (index, total) = chunk_numbers(field("chunk_index"), field("total_chunks"))?;
        let blob: web_sys::Blob = form
            .get("video_chunk")
            .dyn_into()
            .map_err(|_| ApiError::field("video_chunk", "Required: the chunk as a file part."))?;
        let content_type = VideoContentType::parse(&blob.type_())
            .ok_or_else(|| unsupported("The video_chunk part must be video/webm or video/mp4."))?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let size = blob.size().max(0.0) as u64;
        if size > max {
            return Err(too_large(size, max));
        }
        return Ok(Chunk { index, total, content_type, body: Some(blob.into()), size });
    }
    let video_type = VideoContentType::parse(&content_type).ok_or_else(|| {
        unsupported("A chunk is multipart/form-data, or a raw video/webm or video/mp4 body.")
    })?;
    let url = req.url().map_err(internal("url"))?;
    let query = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let (index, total) = chunk_numbers(query("chunk_index"), query("total_chunks"))?;
    if let Some(size) = declared {
        if size > max {
            return Err(too_large(size, max));
        }
        return Ok(Chunk {
            index,
            total,
            content_type: video_type,
            body: req.inner().body().map(JsValue::from),
            size,
        });
    }
    // No Content-Length: read under the cap to learn the size the quota is charged.
    let bytes = read_capped(req, cap(max)).await.map_err(|e| match e {
        BodyError::TooLarge => too_large(max + 1, max),
        BodyError::Unreadable => ApiError::field("video_chunk", "The chunk could not be read."),
    })?;
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    let body = (!bytes.is_empty()).then(|| JsValue::from(js_sys::Uint8Array::from(bytes.as_slice())));
    Ok(Chunk { index, total, content_type: video_type, body, size })
}

/// A video operation on the interview's DO on behalf of `who`; its JSON answer, or its error.
async fn video_do(
    ctx: &Ctx<'_>,
    who: &Principal,
    id: &str,
    request: InterviewRequest,
    body: Option<JsValue>,
) -> Result<(u16, Value), ApiError> {
    client(ctx, id)?.call_with_body(Some(caller(who)), request, body).await
}

/// `POST /api/v1/videos/{id}/upload-chunk`.
pub async fn upload_chunk(mut req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = interview_id(id)?;
    let chunk = read_chunk(&mut req, ctx).await?;
    // The day's video bytes are charged before the bytes reach the DO (docs/security.md#quotas);
    // the DO enforces VIDEO_MAX_BYTES for the interview's video.
    quotas::video_bytes(ctx, &me, chunk.size).await?;
    let request = InterviewRequest::VideoChunk {
        chunk_index: chunk.index,
        total_chunks: chunk.total,
        content_type: chunk.content_type,
    };
    let (status, body) = video_do(ctx, &me, &id, request, chunk.body).await?;
    json(status, &body)
}

/// `GET /upload-status`, `POST /finalize`, `GET /` and `DELETE /`: no body, JSON answer.
pub async fn simple(req: Request, ctx: &Ctx<'_>, id: &str, request: InterviewRequest) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = interview_id(id)?;
    let viewed = matches!(request, InterviewRequest::VideoView);
    let (status, body) = video_do(ctx, &me, &id, request, None).await?;
    if viewed && status == 200 {
        audit_view(ctx, &req, &me, &id).await?;
    }
    json(status, &body)
}

/// A staff member looked at a candidate's video (docs/hiring.md#audit-trail); the candidate's
/// own views are not recorded.
async fn audit_view(ctx: &Ctx<'_>, req: &Request, me: &Principal, id: &str) -> Result<(), ApiError> {
    if !me.role.is_staff() {
        return Ok(());
    }
    let event = AuditEvent::new(AuditAction::VideoViewed, "interview", id);
    super::audit::record(ctx, req, me, &event).await
}

/// `GET /api/v1/videos/{id}/stream`: the finished video, with `Range` support (one range; 206
/// with `Content-Range`, 416 when unsatisfiable, 200 without a usable `Range`).
pub async fn stream(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = interview_id(id)?;
    let (_, meta) = video_do(ctx, &me, &id, InterviewRequest::VideoView, None).await?;
    if meta.get("status").and_then(Value::as_str) != Some("completed") {
        return Err(ApiError::new(ErrorCode::NotFound, "This interview has no finished video."));
    }
    let key = meta.get("storage_path").and_then(Value::as_str).ok_or_else(ApiError::internal)?;
    let size = meta.get("file_size_bytes").and_then(Value::as_u64).ok_or_else(ApiError::internal)?;
    let content_type = meta.get("content_type").and_then(Value::as_str).unwrap_or("application/octet-stream");
    let range = req.headers().get("Range").ok().flatten();
    let outcome = parse_range(range.as_deref(), size);
    // One entry per viewing, not per ranged request: the one that starts at byte 0.
    if matches!(&outcome, RangeOutcome::Full | RangeOutcome::Partial { offset: 0, .. }) {
        audit_view(ctx, &req, &me, &id).await?;
    }
    let bucket = ctx.env.bucket("MEDIA").map_err(internal("r2 binding"))?;
    let get = bucket.get(key);
    // `Object::range()` panics in worker 0.8.7: the range goes in the request, and the
    // `Content-Range` is computed here.
    let (get, status, length, content_range) = match &outcome {
        RangeOutcome::Full => (get, 200, size, None),
        RangeOutcome::Partial { offset, length, content_range } => (
            get.range(worker::Range::OffsetWithLength { offset: *offset, length: *length }),
            206,
            *length,
            Some(content_range.clone()),
        ),
        RangeOutcome::Unsatisfiable { content_range } => {
            return Err(ApiError::new(
                ErrorCode::RangeNotSatisfiable,
                format!("The requested range is outside the video ({size} bytes)."),
            )
            .with_extra("content_range", Value::from(content_range.clone())));
        }
    };
    let object = get
        .execute()
        .await
        .map_err(internal("r2 get"))?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "This interview has no finished video."))?;
    let body = object.body().ok_or_else(ApiError::internal)?.response_body().map_err(internal("r2 body"))?;
    let headers = Headers::new();
    let _ = headers.set("Content-Type", content_type);
    let _ = headers.set("Content-Length", &length.to_string());
    let _ = headers.set("Accept-Ranges", "bytes");
    let _ = headers.set("ETag", &object.http_etag());
    let _ = headers.set("Cache-Control", "private, no-store");
    if let Some(range) = content_range {
        let _ = headers.set("Content-Range", &range);
    }
    Ok(Response::from_body(body)
        .map_err(internal("stream response"))?
        .with_status(status)
        .with_headers(headers))
}
