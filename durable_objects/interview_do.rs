//! The interview Durable Object: one instance per interview (`id_from_name(interview_id)`), the
//! single writer of its interview. It keeps its live state in its own SQLite storage.
//!
//! So far it answers the internal `/internal/ping` route, which proves the namespace binding and
//! SQLite storage work end to end (used by `GET /health`).

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

#[durable_object]
pub struct InterviewDo {
    state: State,
    #[allow(dead_code)]
    env: Env,
}

impl DurableObject for InterviewDo {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match req.path().as_str() {
            "/internal/ping" => self.ping(),
            _ => Response::error("not found", 404),
        }
    }
}

#[derive(serde::Deserialize)]
struct PingRow {
    pings: f64,
}

impl InterviewDo {
    fn ping(&self) -> Result<Response> {
        let sql = self.state.storage().sql();
        sql.exec("CREATE TABLE IF NOT EXISTS do_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)", None)?;
        sql.exec(
            "INSERT INTO do_meta (key, value) VALUES ('pings', 1) \
             ON CONFLICT (key) DO UPDATE SET value = value + 1",
            None,
        )?;
        let row: PingRow = sql.exec("SELECT value AS pings FROM do_meta WHERE key = 'pings'", None)?.one()?;
        Response::from_json(&serde_json::json!({ "ok": true, "pings": row.pings }))
    }
}
