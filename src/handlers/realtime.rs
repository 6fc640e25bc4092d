//! The realtime socket's Worker side (`docs/voice.md#tickets`): tickets and the WebSocket upgrade. A
//! browser cannot send an `Authorization` header on a WebSocket, so the socket is opened with a
//! single-use, 60-second ticket fetched with the bearer token; the token never goes in a URL.
//! Both checks (ticket, ownership, status) run in the interview's Durable Object, which refuses
//! before any upgrade.
//!
//! The ticket is read where each official OpenAI Realtime client puts its API key
//! (`docs/voice.md#official-clients`): the `ticket` query parameter, `Authorization: Bearer`, or
//! the `openai-insecure-api-key.<ticket>` subprotocol; a client that offers the `realtime`
//! subprotocol gets it back (browsers fail a handshake that answers none).

use worker::{Headers, Request, Response};

use super::seam::{client, forward, interview_id};
use super::{Ctx, HandlerResult};
use crate::ai::realtime::handshake::{answered_protocol, offered_protocols, ticket_from};
use crate::domain::rate_limit::Rule;
use crate::http::error::{ApiError, ErrorCode};
use crate::protocol::InterviewRequest;

/// `POST /api/v1/interviews/{id}/realtime-ticket` → `{ticket, expires_in, url}`.
pub async fn ticket(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    super::quotas::ticket(ctx, &me).await?;
    let id = interview_id(id)?;
    forward(ctx, &me, &id, InterviewRequest::RealtimeTicket).await
}

/// The DO's 101, answering the `realtime` subprotocol when the client offered it (never the
/// one that carries the ticket).
fn with_protocol(resp: Response, protocols: &[&str]) -> HandlerResult {
    let Some(protocol) = answered_protocol(protocols) else { return Ok(resp) };
    let Some(ws) = resp.websocket() else { return Err(ApiError::internal()) };
    let headers = Headers::new();
    headers.set("Sec-WebSocket-Protocol", protocol).map_err(super::internal("protocol header"))?;
    Ok(Response::from_websocket(ws).map_err(super::internal("websocket response"))?.with_headers(headers))
}

/// `GET /api/v1/realtime/{id}` and `GET /api/v1/interviews/{id}/realtime`: the WebSocket upgrade,
/// accepted by the interview's DO.
pub async fn connect(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let id = interview_id(id)?;
    let upgrade = req.headers().get("Upgrade").ok().flatten().unwrap_or_default();
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(ApiError::new(
            ErrorCode::UpgradeRequired,
            "This route only accepts a WebSocket upgrade.",
        ));
    }
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let offered = header("Sec-WebSocket-Protocol").unwrap_or_default();
    let protocols = offered_protocols(&offered);
    let query = req
        .url()
        .ok()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == "ticket").map(|(_, v)| v.into_owned()));
    let ticket = ticket_from(query.as_deref(), header("Authorization").as_deref(), &protocols)
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "A realtime ticket is required."))?;
    // Refused connects are throttled per client IP: once a client has spent its budget of
    // refusals, its attempts stop here, before reaching any Durable Object.
    let key = format!("connect-fail:{}", super::client_ip(&req));
    let rule = Rule {
        capacity: ctx.config.connect_failures_burst.max(1),
        refill_per_minute: f64::from(ctx.config.connect_failures_per_minute),
    };
    ctx.rate_peek(&key, rule, ErrorCode::RateLimited).await?;
    let refused = |reason: &str| {
        crate::platform::log_event(
            "realtime_ticket_refused",
            serde_json::json!({ "interview_id": id, "reason": reason }),
        );
        Err(crate::protocol::ticket_refused())
    };
    // A ticket that cannot be one of ours is refused before any lookup (a flood of garbage costs
    // no database query and no Durable Object call); an unknown interview never reaches (and so
    // never creates) a Durable Object. Both get the same 401 as any bad ticket.
    let connected = if let Err(reason) = crate::ai::realtime::ticket::parse_token(&ticket) {
        refused(reason.as_str())
    } else if !crate::store::interviews::exists(ctx.db()?, &id)
        .await
        .map_err(super::internal("interview lookup"))?
    {
        refused("interview_not_in_d1")
    } else {
        client(ctx, &id)?.connect(ticket).await
    };
    match connected {
        Ok(resp) => with_protocol(resp, &protocols),
        Err(e) => {
            ctx.rate_limit(&key, rule, ErrorCode::RateLimited).await?;
            Err(e)
        }
    }
}
