//! The pure core of interview-edge: every decision the service makes, with no platform imports.
//!
//! The root crate (the Worker, its handlers, the Durable Objects and the cron jobs) is thin glue
//! around this crate: it parses requests, calls into the core, and stores what the core decides.
//! Nothing here depends on `worker`, `wasm-bindgen`, `js-sys` or `web-sys` — the core crate's
//! `Cargo.toml` has no such dependency, so the compiler, not a convention, keeps it pure — and
//! everything here unit-tests natively with `cargo test -p interview-core`.
//!
//! - [`domain`]: the engine, interviewer, question bank and scoring, assessment, media and résumé
//!   rules, rate limits and times;
//! - [`interview`]: the interview aggregate (start, turn, retry, completion, abandonment, views,
//!   outbox entries) over the [`interview::InterviewStore`], [`interview::Provider`] and
//!   [`interview::Clock`] ports, with in-memory implementations for tests;
//! - [`protocol`]: the typed Worker↔Durable Object protocol;
//! - [`ai`]: the OpenAI request/response logic, retries and the circuit breaker;
//! - [`auth`]: JWT, passwords, validation and access rules;
//! - [`error`]: the API error envelope (codes, statuses, field errors), shared by [`auth`] and
//!   [`http`];
//! - [`http`]: the route table, JSON validation and CORS decisions;
//! - [`config`]: the typed configuration;
//! - [`sql`]: the SQLite → Postgres dialect translation of the store's statements.

pub mod ai;
pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod ids;
pub mod interview;
pub mod protocol;
pub mod sql;
