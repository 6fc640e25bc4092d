//! The authorization rules every route uses, in one place: who is authenticated, who is staff,
//! who may write staff data, and "owner or staff of the resource's organization" access that
//! answers 404 (not 403) for someone else's resource, and for any resource of another
//! organization, so ids cannot be probed (docs/accounts.md, docs/organizations.md).

use crate::domain::enums::UserRole;
use crate::error::ApiError;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub role: UserRole,
    /// The token's id and expiry, for logout/refresh.
    pub jti: String,
    pub token_exp_ms: i64,
    /// The organization a staff member belongs to (`None` for candidates, who are global).
    pub org_id: Option<String>,
    /// The token's sign-in session (`sid`; docs/accounts.md#sessions).
    pub session: Option<String>,
    /// Whether the account's email address is verified (docs/accounts.md#email-verification).
    pub email_verified: bool,
}

impl Principal {
    /// Staff-only routes: 403 for candidates.
    ///
    /// # Errors
    /// 403 `FORBIDDEN` for a candidate.
    pub fn require_staff(&self) -> Result<(), ApiError> {
        if self.role.is_staff() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// Staff routes scoped to an organization: the caller's organization (403 for candidates and
    /// for staff without one, which only a hand-edited database can produce).
    ///
    /// # Errors
    /// 403 `FORBIDDEN`.
    pub fn staff_org(&self) -> Result<&str, ApiError> {
        self.require_staff()?;
        self.org_id.as_deref().ok_or_else(ApiError::forbidden)
    }

    /// Staff routes that change data: recruiters and admins (viewers are read-only).
    ///
    /// # Errors
    /// 403 `FORBIDDEN` for candidates and viewers.
    pub fn require_staff_writer(&self) -> Result<(), ApiError> {
        if self.role.can_write_staff_data() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// Admin-only routes.
    ///
    /// # Errors
    /// 403 `FORBIDDEN` for anyone but an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role == UserRole::Admin {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// Whether the caller is a staff member of organization `org_id`.
    #[must_use]
    pub fn is_staff_of(&self, org_id: &str) -> bool {
        self.role.is_staff() && self.org_id.as_deref() == Some(org_id)
    }

    /// Reading a resource owned by `owner_id`: the owner and staff of the resource's organization
    /// (`in_caller_org`) may; anyone else gets the same 404 as for a resource that does not exist.
    ///
    /// # Errors
    /// 404 `NOT_FOUND` for another candidate's resource or another organization's.
    pub fn can_read(&self, owner_id: &str, in_caller_org: bool) -> Result<(), ApiError> {
        match read_access(&self.user_id, self.role, owner_id, in_caller_org) {
            Access::Allowed => Ok(()),
            _ => Err(ApiError::not_found()),
        }
    }

    /// Acting as the owner (answering, uploading, deleting): only the owner; staff of the
    /// resource's organization get 403, everyone else 404.
    ///
    /// # Errors
    /// 404 for another candidate or another organization's staff, 403 for this one's staff.
    pub fn require_owner(&self, owner_id: &str, in_caller_org: bool) -> Result<(), ApiError> {
        match owner_access(&self.user_id, self.role, owner_id, in_caller_org) {
            Access::Allowed => Ok(()),
            Access::Forbidden => Err(ApiError::forbidden()),
            Access::NotFound => Err(ApiError::not_found()),
        }
    }
}

/// How an access rule answers: allowed, 403, or the 404 that hides another user's resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Allowed,
    Forbidden,
    NotFound,
}

/// Reading a resource owned by `owner_id`: the owner and staff of the resource's organization
/// (`in_caller_org`: the caller is staff of the organization the resource belongs to) may; anyone
/// else is told it does not exist.
#[must_use]
pub fn read_access(user_id: &str, role: UserRole, owner_id: &str, in_caller_org: bool) -> Access {
    if user_id == owner_id || (role.is_staff() && in_caller_org) {
        Access::Allowed
    } else {
        Access::NotFound
    }
}

/// Acting as the owner: only the owner; staff of the resource's organization are forbidden,
/// everyone else (another organization's staff included) is told it does not exist.
#[must_use]
pub fn owner_access(user_id: &str, role: UserRole, owner_id: &str, in_caller_org: bool) -> Access {
    if user_id == owner_id {
        Access::Allowed
    } else if role.is_staff() && in_caller_org {
        Access::Forbidden
    } else {
        Access::NotFound
    }
}

/// The token of an `Authorization: Bearer <token>` header.
#[must_use]
pub fn bearer_token(header: Option<&str>) -> Option<&str> {
    let header = header?.trim();
    let (scheme, token) = header.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn who(role: UserRole) -> Principal {
        Principal {
            user_id: "me".into(),
            role,
            jti: "j".into(),
            token_exp_ms: 0,
            org_id: Some("o1".into()),
            session: None,
            email_verified: true,
        }
    }

    #[test]
    fn role_gates() {
        let table = [
            (UserRole::Candidate, false, false, false),
            (UserRole::Viewer, true, false, false),
            (UserRole::Recruiter, true, true, false),
            (UserRole::Admin, true, true, true),
        ];
        for (role, staff, writer, admin) in table {
            let p = who(role);
            assert_eq!(p.require_staff().is_ok(), staff, "{role}");
            assert_eq!(p.require_staff_writer().is_ok(), writer, "{role}");
            assert_eq!(p.require_admin().is_ok(), admin, "{role}");
            if !staff {
                assert_eq!(p.require_staff().expect_err("403").code, ErrorCode::Forbidden);
            }
        }
    }

    #[test]
    fn other_candidates_get_not_found_and_staff_may_read() {
        let c = who(UserRole::Candidate);
        assert!(c.can_read("me", false).is_ok());
        assert_eq!(c.can_read("someone-else", true).expect_err("404").code, ErrorCode::NotFound);
        assert!(who(UserRole::Viewer).can_read("someone-else", true).is_ok());
        assert_eq!(c.require_owner("someone-else", true).expect_err("404").code, ErrorCode::NotFound);
        assert_eq!(
            who(UserRole::Admin).require_owner("x", true).expect_err("403").code,
            ErrorCode::Forbidden
        );
    }

    #[test]
    fn another_organizations_staff_get_not_found_never_forbidden() {
        for role in [UserRole::Viewer, UserRole::Recruiter, UserRole::Admin] {
            let p = who(role);
            assert!(p.is_staff_of("o1") && !p.is_staff_of("o2"));
            assert_eq!(p.can_read("someone", false).expect_err("404").code, ErrorCode::NotFound);
            assert_eq!(p.require_owner("someone", false).expect_err("404").code, ErrorCode::NotFound);
            assert_eq!(read_access("me", role, "someone", false), Access::NotFound);
            assert_eq!(owner_access("me", role, "someone", false), Access::NotFound);
        }
        assert!(!who(UserRole::Candidate).is_staff_of("o1"), "a candidate is nobody's staff");
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer_token(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(Some("bearer   abc ")), Some("abc"));
        for bad in [None, Some(""), Some("Bearer"), Some("Bearer "), Some("Basic abc"), Some("abc")] {
            assert_eq!(bearer_token(bad), None, "{bad:?}");
        }
    }
}
