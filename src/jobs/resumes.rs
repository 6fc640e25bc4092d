//! The frequent resume jobs: parsing retries and due feedback delivery (filled in by the media work).

use serde_json::{json, Value};
use worker::Env;

use crate::platform::now_ms;

/// Runs the frequent resume jobs; returns when it started and what it did.
pub async fn run(_env: &Env) -> (i64, worker::Result<Value>) {
    let started = now_ms();
    (started, Ok(json!({})))
}
