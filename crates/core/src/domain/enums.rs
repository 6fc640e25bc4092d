//! Every enumerated value the service stores or sends, defined once.
//!
//! The seeds broke on a role-type mismatch between code and schema (TEST-001), so serde, SQL
//! CHECK constraints and tests all use these definitions: `ALL` lists every value, `as_str` is the
//! wire and column spelling, and `parse` is its inverse. `tests/schema.rs` proves the migration
//! accepts every value here and rejects anything else.

/// Declares a string enum with serde (snake_case), `as_str`, `parse`, `ALL` and `Display`.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling used on the wire and in the database.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the wire/database spelling; `None` for anything else.
            #[must_use]
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// Who a user is; carried in the JWT `role` claim.
    UserRole { Candidate => "candidate", Recruiter => "recruiter", Viewer => "viewer", Admin => "admin" }
}

impl UserRole {
    /// Staff may read every candidate's data.
    #[must_use]
    pub const fn is_staff(self) -> bool {
        !matches!(self, UserRole::Candidate)
    }

    /// Staff who may change things (approve feedback); viewers are read-only.
    #[must_use]
    pub const fn can_write_staff_data(self) -> bool {
        matches!(self, UserRole::Recruiter | UserRole::Admin)
    }
}

string_enum! {
    /// Account lifecycle.
    UserStatus { Active => "active", Inactive => "inactive", Deleted => "deleted" }
}

string_enum! {
    /// The role an interview is for.
    RoleType { React => "react", Python => "python", Javascript => "javascript", Fullstack => "fullstack" }
}

string_enum! {
    /// What a job assesses: one of the built-in banks' roles, or only its own questions.
    RoleFamily {
        React => "react",
        Python => "python",
        Javascript => "javascript",
        Fullstack => "fullstack",
        Custom => "custom",
    }
}

impl RoleFamily {
    /// The built-in bank behind the family (`None` for `custom`).
    #[must_use]
    pub const fn bank_role(self) -> Option<RoleType> {
        match self {
            RoleFamily::React => Some(RoleType::React),
            RoleFamily::Python => Some(RoleType::Python),
            RoleFamily::Javascript => Some(RoleType::Javascript),
            RoleFamily::Fullstack => Some(RoleType::Fullstack),
            RoleFamily::Custom => None,
        }
    }
}

string_enum! {
    /// A job's lifecycle: drafted, open for invitations and interviews, closed.
    JobStatus { Draft => "draft", Open => "open", Closed => "closed" }
}

string_enum! {
    /// Where an invitation to a job stands (docs/jobs.md#invitations). `Expired` and `Completed`
    /// are also derived on read from the expiry and the interview's status.
    InvitationStatus {
        Sent => "sent",
        Opened => "opened",
        Started => "started",
        Completed => "completed",
        Expired => "expired",
        Revoked => "revoked",
    }
}

string_enum! {
    /// Where one outgoing email stands in the mail outbox (docs/email.md).
    MailStatus { Pending => "pending", Sent => "sent", Failed => "failed" }
}

string_enum! {
    /// Which mailer sends email (`MAILER`; docs/email.md): none, the dev mailbox (local only),
    /// or an HTTP email API.
    MailerKind { None => "none", Dev => "dev", Http => "http" }
}

string_enum! {
    /// What an outgoing email is for.
    MailKind {
        Invitation => "invitation",
        StaffInvite => "staff_invite",
        InvitationReminder => "invitation_reminder",
        InterviewCompleted => "interview_completed",
        ResumeFeedback => "resume_feedback",
        EmailVerification => "email_verification",
        RegistrationAttempt => "registration_attempt",
        PasswordReset => "password_reset",
        Decision => "decision",
        DataExport => "data_export",
    }
}

string_enum! {
    /// Question difficulty, in ascending order (`Ord` follows it).
    Difficulty {
        Warmup => "warmup",
        Fundamental => "fundamental",
        Intermediate => "intermediate",
        Advanced => "advanced",
        Expert => "expert",
    }
}

string_enum! {
    /// Interview lifecycle. An interview is created `in_progress` with its first question.
    InterviewStatus { InProgress => "in_progress", Completed => "completed", Abandoned => "abandoned" }
}

string_enum! {
    /// How the candidate answers.
    InterviewMode { Text => "text", Voice => "voice" }
}

string_enum! {
    /// Why an interview completed.
    CompletionReason {
        CriteriaMet => "criteria_met",
        MaxQuestions => "max_questions",
        CostLimit => "cost_limit",
        CandidateRequest => "candidate_request",
    }
}

string_enum! {
    /// Who wrote a message in the interview log.
    MessageType { AiQuestion => "ai_question", CandidateResponse => "candidate_response" }
}

string_enum! {
    /// The evaluation band of one answer.
    AnswerQuality { Excellent => "excellent", Good => "good", Fair => "fair", Poor => "poor" }
}

string_enum! {
    /// Kind of skill boundary recorded by the engine.
    BoundaryType { UpperLimit => "upper_limit" }
}

string_enum! {
    /// Video recording lifecycle of an interview.
    VideoStatus {
        NotStarted => "not_started",
        Uploading => "uploading",
        Completed => "completed",
        Deleted => "deleted",
        Failed => "failed",
    }
}

string_enum! {
    /// Resume parsing lifecycle.
    ParsingStatus { Pending => "pending", Processing => "processing", Completed => "completed", Failed => "failed" }
}

string_enum! {
    /// Resume feedback lifecycle.
    FeedbackStatus { PendingApproval => "pending_approval", Approved => "approved", Sent => "sent" }
}

string_enum! {
    /// Which generator produced an assessment.
    AssessmentGenerator { Builtin => "builtin", Openai => "openai" }
}

string_enum! {
    /// Severity of an integrity flag.
    Severity { Low => "low", Medium => "medium", High => "high" }
}

string_enum! {
    /// State of a row in an outbox (D1 projection, webhook delivery).
    DeliveryStatus { Pending => "pending", Delivered => "delivered", Failed => "failed" }
}

string_enum! {
    /// A hiring decision on an interview (docs/hiring.md).
    HiringDecision { Advance => "advance", Hold => "hold", Reject => "reject" }
}

string_enum! {
    /// What an audit entry records (docs/hiring.md#audit-trail): reads of candidate data and
    /// every change staff make.
    AuditAction {
        AssessmentViewed => "assessment.viewed",
        VideoViewed => "video.viewed",
        DecisionMade => "decision.made",
        ReviewAdded => "review.added",
        ScoreOverridden => "score.overridden",
        ResultsExported => "results.exported",
        AuditExported => "audit.exported",
        JobCreated => "job.created",
        JobUpdated => "job.updated",
        InvitationsCreated => "invitations.created",
        InvitationResent => "invitation.resent",
        InvitationRevoked => "invitation.revoked",
        MemberCreated => "member.created",
        MemberInvited => "member.invited",
        MemberUpdated => "member.updated",
        WebhookCreated => "webhook.created",
        WebhookUpdated => "webhook.updated",
        WebhookDeleted => "webhook.deleted",
        WebhookSecretRotated => "webhook.secret_rotated",
        WebhookTested => "webhook.tested",
        CandidateErased => "candidate.erased",
        SettingsUpdated => "settings.updated"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_parse_and_serde() {
        fn check<T>(all: &[T], as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>)
        where
            T: Copy + PartialEq + std::fmt::Debug + serde::Serialize,
        {
            for &v in all {
                assert_eq!(parse(as_str(v)), Some(v));
                assert_eq!(serde_json::to_value(v).ok(), Some(serde_json::Value::from(as_str(v))));
            }
            assert_eq!(parse("not-a-value"), None);
        }
        check(UserRole::ALL, UserRole::as_str, UserRole::parse);
        check(RoleType::ALL, RoleType::as_str, RoleType::parse);
        check(Difficulty::ALL, Difficulty::as_str, Difficulty::parse);
        check(InterviewStatus::ALL, InterviewStatus::as_str, InterviewStatus::parse);
        check(CompletionReason::ALL, CompletionReason::as_str, CompletionReason::parse);
        check(MessageType::ALL, MessageType::as_str, MessageType::parse);
        check(AnswerQuality::ALL, AnswerQuality::as_str, AnswerQuality::parse);
        check(VideoStatus::ALL, VideoStatus::as_str, VideoStatus::parse);
        check(HiringDecision::ALL, HiringDecision::as_str, HiringDecision::parse);
        check(AuditAction::ALL, AuditAction::as_str, AuditAction::parse);
    }

    #[test]
    fn difficulty_order_is_the_progression_order() {
        let mut sorted = Difficulty::ALL.to_vec();
        sorted.sort();
        assert_eq!(sorted, Difficulty::ALL);
    }

    #[test]
    fn only_candidates_are_not_staff_and_viewers_cannot_write() {
        assert!(!UserRole::Candidate.is_staff());
        assert!(UserRole::Viewer.is_staff());
        assert!(!UserRole::Viewer.can_write_staff_data());
        assert!(UserRole::Recruiter.can_write_staff_data());
    }
}

/// Which AI provider serves interviews (stored with each interview as `builtin` or `openai`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AiProviderKind {
    Builtin,
    Openai,
}

impl AiProviderKind {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            AiProviderKind::Builtin => "builtin",
            AiProviderKind::Openai => "openai",
        }
    }
}
