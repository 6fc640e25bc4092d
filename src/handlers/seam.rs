//! The handlers' side of the interview seam: interview ids, the caller as the object sees them,
//! and the typed client (`crate::interview_client`).

use super::{Ctx, HandlerResult};
use crate::auth::access::Principal;
use crate::http::error::ApiError;
use crate::ids::{InterviewId, UserId};
use crate::interview::Caller;
use crate::interview_client::InterviewClient;
use crate::protocol::{Bearer, InterviewRequest};

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
    Caller::from(who)
}

/// Calls interview `id`'s object on behalf of `who`; its answer passed through.
pub async fn forward(ctx: &Ctx<'_>, who: &Principal, id: &str, request: InterviewRequest) -> HandlerResult {
    ctx.mark("body");
    let answer = client(ctx, id)?.forward(Some(caller(who)), request).await;
    ctx.mark("interview_do");
    answer
}

/// Calls interview `id`'s object for a `bearer` token whose account the object checks.
pub async fn forward_bearer(
    ctx: &Ctx<'_>,
    bearer: Bearer,
    id: &str,
    request: InterviewRequest,
) -> HandlerResult {
    ctx.mark("body");
    let answer = client(ctx, id)?.forward_bearer(bearer, request).await;
    ctx.mark("interview_do");
    answer
}

/// Closes the realtime sockets `user_id` has open (only those opened in sign-in session
/// `session`, or all of them but those of session `keep`): on logout, signing sessions out,
/// password changes and resets, and deactivation; the objects also forget those sessions'
/// checked tokens (docs/accounts.md#where-the-account-is-checked). Best effort: a failure is
/// logged, and the object refuses the next ticket of a deactivated account or revoked session
/// anyway and re-checks a remembered token within `auth::checked::RECHECK_MS`.
pub async fn close_sockets(ctx: &Ctx<'_>, user_id: &str, session: Option<String>, keep: Option<String>) {
    tell_interviews(ctx, user_id, |user_id| InterviewRequest::CloseSockets {
        user_id,
        session: session.clone(),
        keep: keep.clone(),
    })
    .await;
}

/// Tells the objects of `user_id`'s interviews in progress that token `jti` was revoked (a
/// refresh replaced it), so none answers for it again.
pub async fn forget_token(ctx: &Ctx<'_>, user_id: &str, jti: &str) {
    tell_interviews(ctx, user_id, |user_id| InterviewRequest::ForgetToken { user_id, jti: jti.to_owned() })
        .await;
}

/// Sends `request(user_id)` to the object of each of `user_id`'s interviews in progress.
async fn tell_interviews(ctx: &Ctx<'_>, user_id: &str, request: impl Fn(UserId) -> InterviewRequest) {
    let ids = match ctx.db() {
        Ok(db) => crate::store::interviews::in_progress_ids(db, user_id).await,
        Err(_) => return,
    };
    let ids = match ids {
        Ok(ids) => ids,
        Err(e) => {
            crate::platform::log_error("socket revocation lookup", &e);
            return;
        }
    };
    for id in ids {
        let told = match client(ctx, &id) {
            Ok(c) => c.call::<serde_json::Value>(None, request(UserId::new(user_id))).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = told {
            crate::platform::log_error("socket revocation", &e.message);
        }
    }
}
