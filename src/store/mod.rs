//! All SQL of the Worker, one file per aggregate.
//!
//! - Pure SQL builders, compiled on every target so that native tests replay them against the
//!   real schema in SQLite (`tests/projection.rs`, `tests/query_plans.rs`): [`projection`] (the
//!   D1 projection of the interview DO's outbox rows) and [`listing`] (the recruiter list queries).
//! - Repositories (wasm32 only): parameterised SQL run through the SQL port [`db::Db`] (D1, or
//!   Postgres with the `postgres` feature; docs/decisions/0011).

pub mod listing;
pub mod org_sql;
pub mod projection;
pub mod quotas;

#[cfg(target_arch = "wasm32")]
pub(crate) mod accounts;
#[cfg(target_arch = "wasm32")]
pub(crate) mod audit;
#[cfg(target_arch = "wasm32")]
mod d1;
#[cfg(target_arch = "wasm32")]
pub mod db;
#[cfg(target_arch = "wasm32")]
pub(crate) mod decision_mail;
#[cfg(target_arch = "wasm32")]
pub(crate) mod hiring;
#[cfg(target_arch = "wasm32")]
pub(crate) mod interviews;
#[cfg(target_arch = "wasm32")]
pub(crate) mod invitations;
#[cfg(target_arch = "wasm32")]
pub(crate) mod job_posts;
#[cfg(target_arch = "wasm32")]
pub(crate) mod jobs;
#[cfg(target_arch = "wasm32")]
pub(crate) mod mail;
#[cfg(all(target_arch = "wasm32", feature = "postgres"))]
mod pg;
#[cfg(target_arch = "wasm32")]
pub(crate) mod privacy;
#[cfg(target_arch = "wasm32")]
pub(crate) mod recruiter;
#[cfg(target_arch = "wasm32")]
pub(crate) mod resumes;
#[cfg(target_arch = "wasm32")]
pub(crate) mod users;
#[cfg(target_arch = "wasm32")]
pub(crate) mod videos;
#[cfg(target_arch = "wasm32")]
pub(crate) mod webhooks;

#[cfg(target_arch = "wasm32")]
pub use d1::{all_rows, exec, first_row, int, is_unique_violation, is_unreachable, opt_text, ping, text};
#[cfg(target_arch = "wasm32")]
pub use db::{Db, DbResult, Statement};
