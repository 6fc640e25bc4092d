//! Résumés (docs/resumes.md), the pure part: what an upload is ([`mod@detect`]), its text
//! ([`extract`]: PDF text layer, DOCX body, plain text — in wasm, with no native library),
//! the structured `parsed_data` the built-in provider derives from that text ([`parse`]), and
//! the built-in feedback email ([`feedback`]). The Worker stores files in R2, runs parsing off
//! the request path with retries, and delivers feedback; none of that is here.
//!
//! [`fixtures`] builds small real PDF and DOCX files for tests.

pub mod delivery;
pub mod detect;
pub mod extract;
pub mod feedback;
#[doc(hidden)]
pub mod fixtures;
#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod hostile;
#[doc(hidden)]
pub mod hostile_files;
mod limits;
pub mod parse;
mod pdf;
mod zip;

pub use detect::{detect, ResumeKind, MAX_RESUME_BYTES};
pub use extract::{extract_text, extract_text_within, Budget, ExtractError, Limit};
pub use feedback::{generate_feedback, Resource, ResumeFeedback};
pub use parse::{parse_resume, ParsedResume};
