//! The handlers' side of the interview seam: interview ids, the caller as the object sees them,
//! and the typed client (`crate::interview_client`).

use super::{Ctx, HandlerResult};
use crate::auth::access::Principal;
use crate::http::error::ApiError;
use crate::ids::{InterviewId, UserId};
use crate::interview::Caller;
use crate::interview_client::InterviewClient;
use crate::protocol::InterviewRequest;

/// Interview ids are UUIDs; anything else cannot exist (and never reaches a Durable Object).
pub fn interview_id(id: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id).map(|u| u.to_string()).map_err(|_| ApiError::not_found())
}

/// The typed client of interview `id`'s Durable Object.
pub fn client(ctx: &Ctx<'_>, id: &str) -> Result<InterviewClient, ApiError> {
    InterviewClient::new(ctx.env, &InterviewId::new(id))
}

/// The authenticated caller as the interview object sees them.
pub fn caller(who: &Principal) -> Caller {
    Caller { user_id: UserId::new(who.user_id.clone()), role: who.role }
}

/// Calls interview `id`'s object on behalf of `who`; its answer passed through.
pub async fn forward(ctx: &Ctx<'_>, who: &Principal, id: &str, request: InterviewRequest) -> HandlerResult {
    client(ctx, id)?.forward(Some(caller(who)), request).await
}
