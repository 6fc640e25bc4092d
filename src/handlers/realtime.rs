//! The realtime socket's Worker side (SPEC.md §4.3, §5): tickets and the WebSocket upgrade. A
//! browser cannot send an `Authorization` header on a WebSocket, so the socket is opened with a
//! single-use, 60-second ticket fetched with the bearer token; the token never goes in a URL.
//! Both checks (ticket, ownership, status) run in the interview's Durable Object, which refuses
//! before any upgrade.

use worker::{Headers, Method, Request, RequestInit};

use super::interviews::{forward, interview_id};
use super::{internal, Ctx, HandlerResult};
use crate::http::error::{ApiError, ErrorCode};

/// `POST /api/v1/interviews/{id}/realtime-ticket` → `{ticket, expires_in, url}`.
pub async fn ticket(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = interview_id(id)?;
    forward(ctx, &me, &id, Method::Post, "/realtime-ticket", Some(&serde_json::json!({}))).await
}

/// `GET /api/v1/realtime/{id}?ticket=…`: the WebSocket upgrade, accepted by the interview's DO.
pub async fn connect(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let id = interview_id(id)?;
    let upgrade = req.headers().get("Upgrade").ok().flatten().unwrap_or_default();
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(ApiError::new(
            ErrorCode::UpgradeRequired,
            "This route only accepts a WebSocket upgrade.",
        ));
    }
    let ticket = req
        .url()
        .ok()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == "ticket").map(|(_, v)| v.into_owned()))
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "A realtime ticket is required."))?;
    let stub = super::interviews::interview_stub(ctx, &id)?;
    let headers = Headers::new();
    let _ = headers.set("Upgrade", "websocket");
    let url = format!("https://interview.internal/realtime/connect?ticket={}", encode_query(&ticket));
    let init = RequestInit { method: Method::Get, headers, ..RequestInit::default() };
    let forwarded = Request::new_with_init(&url, &init).map_err(internal("do request"))?;
    let mut resp = stub.fetch_with_request(forwarded).await.map_err(internal("interview do"))?;
    if resp.status_code() == 101 {
        return Ok(resp);
    }
    let body = resp.text().await.map_err(internal("interview do body"))?;
    let value: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    Err(ApiError::from_internal(&value).unwrap_or_else(ApiError::internal))
}

/// Percent-encodes a query value (tickets are `[A-Za-z0-9_-]`; anything else is escaped so the
/// DO sees exactly what the client sent, and refuses it).
fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' || b == b'~' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
