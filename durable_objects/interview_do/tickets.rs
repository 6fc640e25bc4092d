//! Realtime tickets: single-use, short-lived, bound to the interview, its candidate and the
//! session that asked; redeemed before any upgrade, with the account checked (`docs/voice.md#tickets`).

use serde::Deserialize;
use serde_json::json;
use worker::SqlStorageValue;

use super::{storage, InterviewDo};
use crate::ai::realtime::ticket::{check, parse_token, Ticket, TicketError};
use crate::auth::access::Principal;
use crate::config::Config;
use crate::domain::interview::InterviewRecord;
use crate::domain::interviewer::Session;
use crate::http::error::ApiError;
use crate::platform::{log_error, log_event, now_ms};
use crate::protocol::{ticket_refused, TicketIssued};

/// Logs why a ticket was refused; the answer is always [`ticket_refused`].
fn refuse_ticket(reason: TicketError, interview_id: &str) -> ApiError {
    log_event("realtime_ticket_refused", json!({ "interview_id": interview_id, "reason": reason.as_str() }));
    ticket_refused()
}

impl InterviewDo {
    pub(super) fn ensure_ticket_schema(&self) -> worker::Result<()> {
        self.sql().exec(
            "CREATE TABLE IF NOT EXISTS tickets (id TEXT PRIMARY KEY, ticket TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0)",
            None,
        )?;
        Ok(())
    }

    /// `POST /realtime-ticket`: a single-use ticket for the interview's owner.
    pub(super) fn issue_ticket(
        &self,
        who: &Principal,
        session: Option<String>,
        clock_ms: i64,
        cfg: &Config,
    ) -> Result<TicketIssued, ApiError> {
        let (record, _) = self.load()?;
        let in_org = record.org_id.as_deref().is_some_and(|org| who.is_staff_of(org));
        who.require_owner(&record.candidate_id, in_org)?;
        Self::refuse_if_closed(&record)?;
        let bytes = crate::webcrypto::random_bytes(24).map_err(|e| {
            log_error("ticket random", &e);
            ApiError::internal()
        })?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let now = u64::try_from(clock_ms).unwrap_or(0);
        let mut ticket = Ticket::issue(&id, &record.id, &who.user_id, now).map_err(|e| {
            log_error("ticket issue", &e);
            ApiError::internal()
        })?;
        ticket.expires_ms = now.saturating_add(cfg.realtime_ticket_ttl_secs.saturating_mul(1000));
        ticket.session_id = session;
        let sql = self.sql();
        // Expired tickets are useless: drop them while issuing (a ticket lives 60 s).
        let _ = sql.exec(
            "DELETE FROM tickets WHERE CAST(json_extract(ticket, '$.expires_ms') AS INTEGER) < ?",
            vec![SqlStorageValue::Integer(now_ms() - 60_000)],
        );
        sql.exec(
            "INSERT INTO tickets (id, ticket, used) VALUES (?, ?, 0)",
            vec![id.clone().into(), json!(ticket).to_string().into()],
        )
        .map_err(storage("ticket write"))?;
        let token = ticket.token();
        log_event("realtime_ticket_issued", json!({ "interview_id": record.id }));
        Ok(TicketIssued {
            url: format!("/api/v1/realtime/{}?ticket={}", record.id, token),
            ticket: token,
            expires_in: cfg.realtime_ticket_ttl_secs,
        })
    }

    /// Checks and redeems a ticket; the user it was issued to, and the interview.
    pub(super) fn redeem(
        &self,
        token: Option<&str>,
        clock_ms: i64,
    ) -> std::result::Result<(Ticket, InterviewRecord, Session), ApiError> {
        let (record, session) = self.load().map_err(|e| {
            log_event("realtime_ticket_refused", json!({ "reason": "load", "code": e.code.as_str() }));
            ticket_refused()
        })?;
        let id = token.ok_or(TicketError::Malformed).and_then(parse_token);
        let id = id.map_err(|e| refuse_ticket(e, &record.id))?;
        #[derive(Deserialize)]
        struct Row {
            ticket: String,
            used: i64,
        }
        let rows: Vec<Row> = self
            .sql()
            .exec("SELECT ticket, used FROM tickets WHERE id = ?", vec![id.into()])
            .and_then(|c| c.to_array())
            .map_err(storage("ticket read"))?;
        let row = rows.into_iter().next().ok_or_else(|| refuse_ticket(TicketError::Unknown, &record.id))?;
        let ticket: Ticket = serde_json::from_str(&row.ticket).map_err(|_| ApiError::internal())?;
        let now = u64::try_from(clock_ms).unwrap_or(0);
        check(&ticket, &record.id, &record.candidate_id, now, row.used != 0).map_err(|e| {
            if e == TicketError::Expired {
                log_event(
                    "realtime_ticket_late",
                    json!({ "interview_id": record.id, "late_ms": now.saturating_sub(ticket.expires_ms) }),
                );
            }
            refuse_ticket(e, &record.id)
        })?;
        Self::refuse_if_closed(&record)?;
        self.sql()
            .exec("UPDATE tickets SET used = 1 WHERE id = ?", vec![id.into()])
            .map_err(storage("ticket redeem"))?;
        Ok((ticket, record, session))
    }

    /// Whether the user's account is active (D1; a lookup failure refuses).
    pub(super) async fn account_active(&self, user_id: &str) -> bool {
        let Ok(db) = crate::store::Db::from_env(&self.env) else { return false };
        match crate::store::users::by_id(&db, user_id).await {
            Ok(Some(user)) => user.status == crate::domain::enums::UserStatus::Active,
            Ok(None) => false,
            Err(e) => {
                log_error("account lookup", &e);
                false
            }
        }
    }
}
