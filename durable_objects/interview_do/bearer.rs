//! The account check of a bearer token the Worker verified but did not look up (a candidate's
//! answer; docs/accounts.md#where-the-account-is-checked): recalled when this instance checked
//! the same token moments ago ([`crate::auth::checked::CheckedBearer`]), else read from the
//! database exactly as the Worker's auth guard reads it, and remembered.

use super::InterviewDo;
use crate::http::error::ApiError;
use crate::interview::Caller;
use crate::platform::{log_error, now_ms};
use crate::protocol::Bearer;

impl InterviewDo {
    /// The caller `bearer` stands for.
    ///
    /// # Errors
    /// 401 when the account is inactive, the session revoked or expired, or the token revoked;
    /// 500 when the database cannot be read.
    pub(super) async fn check_bearer(&self, bearer: Bearer) -> Result<Caller, ApiError> {
        let now = now_ms();
        if let Some(caller) = self.checked.borrow().recall(&bearer, now) {
            return Ok(caller);
        }
        let revocations = self.checked.borrow().revocations();
        let db = crate::store::Db::from_env(&self.env).map_err(|e| {
            log_error("interview do database", &e);
            ApiError::internal()
        })?;
        let principal = crate::store::users::token_principal(&db, &bearer, now)
            .await
            .map_err(|e| {
                log_error("auth lookup", &e);
                ApiError::internal()
            })?
            .ok_or_else(ApiError::unauthorized)?;
        let caller = Caller::from(&principal);
        self.checked.borrow_mut().remember(bearer, caller.clone(), now, revocations);
        Ok(caller)
    }
}
