//! AI technical interviews on Cloudflare's edge: the Worker glue around the pure core.
//!
//! Every decision lives in the `interview-core` crate (`crates/core`), re-exported here under its
//! module names so that paths like `crate::domain::engine` read the same from the glue. This crate
//! adds only what needs the platform, and compiles it only for wasm32 (the SQL builders of `store`
//! excepted):
//!
//! - `frontend_worker` (the fetch and cron entry), `handlers/` (routes: parse → typed call →
//!   envelope), `jobs/` (cron work);
//! - `adapters/` (OpenAI over `worker::Fetch`), `store/` (all SQL: its pure builders compile on
//!   every target so native tests replay them in SQLite; the D1 repositories are wasm32 only),
//!   `platform`, `webcrypto`;
//! - the Durable Objects in `durable_objects/`: thin shells over the core.

pub use interview_core::{ai, auth, config, domain, error, http, ids, interview, protocol};

#[cfg(target_arch = "wasm32")]
mod adapters;
#[cfg(target_arch = "wasm32")]
mod frontend_worker;
#[cfg(target_arch = "wasm32")]
mod handlers;
#[cfg(target_arch = "wasm32")]
mod interview_client;
#[cfg(target_arch = "wasm32")]
mod jobs;
#[cfg(target_arch = "wasm32")]
mod platform;
pub mod store;
#[cfg(target_arch = "wasm32")]
mod webcrypto;

#[cfg(target_arch = "wasm32")]
#[path = "../durable_objects/interview_do/mod.rs"]
pub mod interview_do;
#[cfg(target_arch = "wasm32")]
#[path = "../durable_objects/limiter_do.rs"]
pub mod limiter_do;
