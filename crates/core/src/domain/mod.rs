//! Pure domain logic: no `worker`, no `wasm_bindgen`, no I/O. Everything here compiles and is
//! unit-tested natively with plain `cargo test`.

pub mod account;
pub mod assessment;
pub mod audit;
pub mod bank;
#[cfg(not(target_arch = "wasm32"))]
pub mod benchmark;
pub mod decision_mail;
pub mod engine;
pub mod enums;
pub mod evaluation;
pub mod hiring;
pub mod interview;
pub mod interviewer;
pub mod invitation;
pub mod job;
pub mod job_results;
pub mod mail;
pub mod media;
pub mod privacy;
pub mod projection;
pub mod rate_limit;
pub mod resume;
pub mod time;
pub mod webhook;
