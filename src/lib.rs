//! AI technical interviews on Cloudflare's edge.
//!
//! `domain` is pure Rust (native `cargo test`); `http` holds the platform-neutral HTTP pieces
//! (routing table, error envelope, JSON validation, CORS decisions); the `worker` glue, the
//! Durable Objects and the cron jobs compile only for wasm32.

pub mod ai;
pub mod auth;
pub mod config;
pub mod domain;
pub mod http;

#[cfg(target_arch = "wasm32")]
mod frontend_worker;
#[cfg(target_arch = "wasm32")]
mod handlers;
#[cfg(target_arch = "wasm32")]
mod jobs;
#[cfg(target_arch = "wasm32")]
mod platform;
#[cfg(target_arch = "wasm32")]
mod store;
#[cfg(target_arch = "wasm32")]
mod webcrypto;

#[cfg(target_arch = "wasm32")]
#[path = "../durable_objects/interview_do.rs"]
pub mod interview_do;
#[cfg(target_arch = "wasm32")]
#[path = "../durable_objects/limiter_do.rs"]
pub mod limiter_do;
