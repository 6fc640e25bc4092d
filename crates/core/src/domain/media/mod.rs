//! Media groundwork for interview video (docs/video.md): the resumable chunked-upload state
//! machine an interview's Durable Object stores ([`video`]), and HTTP `Range` parsing for
//! streaming the finished object ([`range`]), and the stored recording with its D1 row and
//! retention rules ([`recording`]). Pure: no I/O, no clock, no randomness; callers
//! pass the time in and do the R2 calls themselves.

pub mod range;
pub mod recording;
pub mod video;
