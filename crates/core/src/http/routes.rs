//! The route table: every (method, path pattern) the API answers, in one place. The wasm router
//! dispatches on [`Route`]; `tests/openapi.rs` checks the table and `docs/openapi.json` agree.
//!
//! Patterns use `{name}` for one path segment. Matching is exact (no trailing-slash folding), so
//! an unknown path is a 404 and a known path with another method is a 405.

/// Every route, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Health,
    OpenApi,
    Register,
    Login,
    Logout,
    Refresh,
    Me,
    AdminCreateUser,
    AdminUpdateUser,
    InterviewStart,
    InterviewCreate,
    InterviewList,
    InterviewGet,
    InterviewStatus,
    MessagePost,
    MessageList,
    MessageLatest,
    MessageRetry,
    Transcript,
    InterviewComplete,
    TechCheck,
    VideoConsent,
    RecruiterCandidates,
    RecruiterCandidate,
    RecruiterInterviews,
    RecruiterStats,
    InterviewAssessment,
    RecruiterInterview,
    RealtimeTicket,
    RealtimeConnect,
    InterviewAudio,
    VideoUploadChunk,
    VideoUploadStatus,
    VideoFinalize,
    VideoGet,
    VideoStream,
    VideoDelete,
    ResumeUpload,
    ResumeList,
    ResumeGet,
    ResumeFeedback,
    ResumeFeedbackApprove,
    RecruiterFeedback,
    JobCreate,
    JobList,
    JobGet,
    JobUpdate,
    InvitationCreate,
    InvitationList,
    InvitationGet,
    InvitationResend,
    InvitationRevoke,
    JobResults,
    JobCompare,
    InvitePublic,
    InviteAccept,
    DevMailbox,
    DevMailboxClear,
    OrgGet,
    OrgMembers,
    OrgMemberInvite,
    OrgMemberUpdate,
    StaffInviteAccept,
    HiringGet,
    Unsubscribe,
    HiringDecide,
    HiringReview,
    HiringOverride,
    JobResultsExport,
    AuditList,
    AuditExport,
    SessionList,
    SessionRevoke,
    SessionRevokeAll,
    PasswordResetRequest,
    PasswordResetConfirm,
    PasswordChange,
    EmailVerify,
    EmailVerifyResend,
    WebhookCreate,
    WebhookList,
    WebhookGet,
    WebhookUpdate,
    WebhookDelete,
    WebhookRotate,
    WebhookTest,
    WebhookDeliveries,
    DecisionTemplatesGet,
    DecisionTemplatesPut,
    ExportList,
    ExportCreate,
    ExportGet,
    ExportDownload,
    MediaLink,
    AccountDelete,
    OrgCandidateErase,
    RetentionGet,
    RetentionPut,
}

/// One entry of the table.
#[derive(Debug, Clone, Copy)]
pub struct RouteDef {
    pub method: &'static str,
    pub pattern: &'static str,
    pub route: Route,
    /// Whether the route requires a bearer token.
    pub authenticated: bool,
}

const fn def(method: &'static str, pattern: &'static str, route: Route, authenticated: bool) -> RouteDef {
    RouteDef { method, pattern, route, authenticated }
}

/// The table. Order matters only for readability: patterns never overlap.
pub const ROUTES: &[RouteDef] = &[
    def("GET", "/health", Route::Health, false),
    def("GET", "/api/v1/openapi.json", Route::OpenApi, false),
    def("POST", "/api/v1/auth/register", Route::Register, false),
    def("POST", "/api/v1/auth/login", Route::Login, false),
    def("POST", "/api/v1/auth/logout", Route::Logout, true),
    def("POST", "/api/v1/auth/refresh", Route::Refresh, true),
    def("GET", "/api/v1/auth/me", Route::Me, true),
    // The account lifecycle (docs/accounts.md): sessions, password reset and change, verification.
    def("GET", "/api/v1/auth/sessions", Route::SessionList, true),
    def("DELETE", "/api/v1/auth/sessions/{id}", Route::SessionRevoke, true),
    def("POST", "/api/v1/auth/sessions/revoke-all", Route::SessionRevokeAll, true),
    def("POST", "/api/v1/auth/password-reset", Route::PasswordResetRequest, false),
    def("POST", "/api/v1/auth/password-reset/confirm", Route::PasswordResetConfirm, false),
    def("POST", "/api/v1/auth/password", Route::PasswordChange, true),
    def("POST", "/api/v1/auth/verify", Route::EmailVerify, false),
    def("POST", "/api/v1/auth/verify/resend", Route::EmailVerifyResend, true),
    def("POST", "/api/v1/admin/users", Route::AdminCreateUser, true),
    def("PATCH", "/api/v1/admin/users/{id}", Route::AdminUpdateUser, true),
    def("POST", "/api/v1/interviews/start", Route::InterviewStart, true),
    def("POST", "/api/v1/interviews", Route::InterviewCreate, true),
    def("GET", "/api/v1/interviews", Route::InterviewList, true),
    def("GET", "/api/v1/interviews/{id}", Route::InterviewGet, true),
    def("GET", "/api/v1/interviews/{id}/status", Route::InterviewStatus, true),
    def("POST", "/api/v1/interviews/{id}/messages", Route::MessagePost, true),
    def("GET", "/api/v1/interviews/{id}/messages", Route::MessageList, true),
    def("GET", "/api/v1/interviews/{id}/messages/latest", Route::MessageLatest, true),
    def("POST", "/api/v1/interviews/{id}/messages/retry", Route::MessageRetry, true),
    def("GET", "/api/v1/interviews/{id}/transcript", Route::Transcript, true),
    def("POST", "/api/v1/interviews/{id}/complete", Route::InterviewComplete, true),
    def("POST", "/api/v1/interviews/{id}/tech-check", Route::TechCheck, true),
    def("POST", "/api/v1/interviews/{id}/video-consent", Route::VideoConsent, true),
    def("GET", "/api/v1/recruiter/candidates", Route::RecruiterCandidates, true),
    def("GET", "/api/v1/recruiter/candidates/{id}", Route::RecruiterCandidate, true),
    def("GET", "/api/v1/recruiter/interviews", Route::RecruiterInterviews, true),
    def("GET", "/api/v1/recruiter/stats", Route::RecruiterStats, true),
    def("GET", "/api/v1/interviews/{id}/assessment", Route::InterviewAssessment, true),
    def("GET", "/api/v1/recruiter/interviews/{id}", Route::RecruiterInterview, true),
    def("GET", "/api/v1/recruiter/interviews/{id}/hiring", Route::HiringGet, true),
    def("POST", "/api/v1/recruiter/interviews/{id}/decisions", Route::HiringDecide, true),
    def("POST", "/api/v1/recruiter/interviews/{id}/reviews", Route::HiringReview, true),
    def("POST", "/api/v1/recruiter/interviews/{id}/score-override", Route::HiringOverride, true),
    def("POST", "/api/v1/interviews/{id}/realtime-ticket", Route::RealtimeTicket, true),
    // Authenticated by its single-use ticket (a browser cannot send a header on a WebSocket).
    def("GET", "/api/v1/realtime/{id}", Route::RealtimeConnect, false),
    // The same socket where the official OpenAI clients look for it: `{base_url}/realtime`.
    def("GET", "/api/v1/interviews/{id}/realtime", Route::RealtimeConnect, false),
    def("GET", "/api/v1/interviews/{id}/audio/{file}", Route::InterviewAudio, true),
    def("POST", "/api/v1/videos/{id}/upload-chunk", Route::VideoUploadChunk, true),
    def("GET", "/api/v1/videos/{id}/upload-status", Route::VideoUploadStatus, true),
    def("POST", "/api/v1/videos/{id}/finalize", Route::VideoFinalize, true),
    def("GET", "/api/v1/videos/{id}", Route::VideoGet, true),
    def("GET", "/api/v1/videos/{id}/stream", Route::VideoStream, true),
    def("DELETE", "/api/v1/videos/{id}", Route::VideoDelete, true),
    def("POST", "/api/v1/resumes", Route::ResumeUpload, true),
    def("GET", "/api/v1/resumes", Route::ResumeList, true),
    def("GET", "/api/v1/resumes/{id}", Route::ResumeGet, true),
    def("GET", "/api/v1/resumes/{id}/feedback", Route::ResumeFeedback, true),
    def("POST", "/api/v1/resumes/{id}/feedback/approve", Route::ResumeFeedbackApprove, true),
    def("GET", "/api/v1/recruiter/feedback", Route::RecruiterFeedback, true),
    def("POST", "/api/v1/jobs", Route::JobCreate, true),
    def("GET", "/api/v1/jobs", Route::JobList, true),
    def("GET", "/api/v1/jobs/{id}", Route::JobGet, true),
    def("PATCH", "/api/v1/jobs/{id}", Route::JobUpdate, true),
    def("POST", "/api/v1/jobs/{id}/invitations", Route::InvitationCreate, true),
    def("GET", "/api/v1/jobs/{id}/invitations", Route::InvitationList, true),
    def("GET", "/api/v1/jobs/{id}/results", Route::JobResults, true),
    def("GET", "/api/v1/jobs/{id}/results/export", Route::JobResultsExport, true),
    def("GET", "/api/v1/jobs/{id}/compare", Route::JobCompare, true),
    def("GET", "/api/v1/invitations/{id}", Route::InvitationGet, true),
    def("POST", "/api/v1/invitations/{id}/resend", Route::InvitationResend, true),
    def("POST", "/api/v1/invitations/{id}/revoke", Route::InvitationRevoke, true),
    // The emailed link's token is the credential: no bearer token to look at an invitation.
    def("GET", "/api/v1/invite/{id}", Route::InvitePublic, false),
    def("POST", "/api/v1/invite/{id}/accept", Route::InviteAccept, true),
    // The emailed unsubscribe link's token is the credential.
    def("POST", "/api/v1/unsubscribe/{id}", Route::Unsubscribe, false),
    // Only with MAILER = "dev" (404 otherwise): the local dev mailbox.
    def("GET", "/api/v1/dev/mailbox", Route::DevMailbox, false),
    def("DELETE", "/api/v1/dev/mailbox", Route::DevMailboxClear, false),
    def("GET", "/api/v1/org", Route::OrgGet, true),
    def("GET", "/api/v1/org/members", Route::OrgMembers, true),
    def("POST", "/api/v1/org/members/invite", Route::OrgMemberInvite, true),
    def("PATCH", "/api/v1/org/members/{id}", Route::OrgMemberUpdate, true),
    def("GET", "/api/v1/org/audit", Route::AuditList, true),
    def("GET", "/api/v1/org/audit/export", Route::AuditExport, true),
    def("POST", "/api/v1/org/webhooks", Route::WebhookCreate, true),
    def("GET", "/api/v1/org/webhooks", Route::WebhookList, true),
    def("GET", "/api/v1/org/webhooks/{id}", Route::WebhookGet, true),
    def("PATCH", "/api/v1/org/webhooks/{id}", Route::WebhookUpdate, true),
    def("DELETE", "/api/v1/org/webhooks/{id}", Route::WebhookDelete, true),
    def("POST", "/api/v1/org/webhooks/{id}/rotate-secret", Route::WebhookRotate, true),
    def("POST", "/api/v1/org/webhooks/{id}/test", Route::WebhookTest, true),
    def("GET", "/api/v1/org/webhooks/{id}/deliveries", Route::WebhookDeliveries, true),
    def("GET", "/api/v1/org/settings/decision-templates", Route::DecisionTemplatesGet, true),
    def("PUT", "/api/v1/org/settings/decision-templates", Route::DecisionTemplatesPut, true),
    // The emailed link's token is the credential.
    def("POST", "/api/v1/auth/staff-invite/{id}", Route::StaffInviteAccept, false),
    def("GET", "/api/v1/me/exports", Route::ExportList, true),
    def("POST", "/api/v1/me/exports", Route::ExportCreate, true),
    def("GET", "/api/v1/me/exports/{id}", Route::ExportGet, true),
    def("GET", "/api/v1/me/exports/{id}/download", Route::ExportDownload, true),
    // An export's signed, expiring media link: the token is the credential.
    def("GET", "/api/v1/media/{id}", Route::MediaLink, false),
    def("DELETE", "/api/v1/me", Route::AccountDelete, true),
    def("POST", "/api/v1/org/candidates/{id}/erase", Route::OrgCandidateErase, true),
    def("GET", "/api/v1/org/settings/retention", Route::RetentionGet, true),
    def("PUT", "/api/v1/org/settings/retention", Route::RetentionPut, true),
];

/// A matched route with its path parameters, in pattern order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub def_index: usize,
    pub route: Route,
    pub pattern: &'static str,
    pub params: Vec<(&'static str, String)>,
    pub authenticated: bool,
}

impl Matched {
    /// A path parameter by name.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }
}

/// Why a request matched no route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoMatch {
    NotFound,
    /// The path exists with these other methods.
    MethodNotAllowed(Vec<&'static str>),
}

fn match_pattern(pattern: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
    let mut params = Vec::new();
    let mut pat = pattern.split('/');
    let mut segs = path.split('/');
    loop {
        match (pat.next(), segs.next()) {
            (None, None) => return Some(params),
            (Some(p), Some(s)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if s.is_empty() {
                        return None;
                    }
                    params.push((name, s.to_owned()));
                } else if p != s {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// Finds the route for a method and path (`HEAD` is served as `GET`).
///
/// # Errors
/// [`NoMatch::NotFound`] for an unknown path, [`NoMatch::MethodNotAllowed`] for a known path.
pub fn match_route(method: &str, path: &str) -> Result<Matched, NoMatch> {
    let method = if method == "HEAD" { "GET" } else { method };
    let mut allowed = Vec::new();
    for (i, d) in ROUTES.iter().enumerate() {
        if let Some(params) = match_pattern(d.pattern, path) {
            if d.method == method {
                return Ok(Matched {
                    def_index: i,
                    route: d.route,
                    pattern: d.pattern,
                    params,
                    authenticated: d.authenticated,
                });
            }
            allowed.push(d.method);
        }
    }
    if allowed.is_empty() {
        Err(NoMatch::NotFound)
    } else {
        Err(NoMatch::MethodNotAllowed(allowed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_paths_match_and_others_do_not() {
        assert_eq!(match_route("GET", "/health").map(|m| m.route), Ok(Route::Health));
        assert_eq!(match_route("HEAD", "/health").map(|m| m.route), Ok(Route::Health));
        assert_eq!(match_route("GET", "/health/"), Err(NoMatch::NotFound));
        assert_eq!(match_route("GET", "/nope"), Err(NoMatch::NotFound));
        assert_eq!(match_route("POST", "/health"), Err(NoMatch::MethodNotAllowed(vec!["GET"])));
    }

    #[test]
    fn parameters_capture_one_non_empty_segment() {
        assert_eq!(match_pattern("/a/{id}/b", "/a/x1/b"), Some(vec![("id", "x1".to_owned())]));
        assert_eq!(match_pattern("/a/{id}/b", "/a//b"), None);
        assert_eq!(match_pattern("/a/{id}/b", "/a/x/y/b"), None);
    }

    #[test]
    fn no_two_routes_share_method_and_pattern() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(!(a.method == b.method && a.pattern == b.pattern), "{} {}", a.method, a.pattern);
            }
        }
    }
}
