//! Resumable chunked video upload (docs/video.md) as a serializable state machine.
//!
//! A recording arrives as `total_chunks` chunks (`chunk_index` 0-based, any order, any number of
//! retries) and is stored as one R2 multipart upload: chunk `i` is part `i + 1`. The interview's
//! Durable Object keeps an [`UploadState`] in its storage and is the only writer, so parallel
//! chunk requests are serialized. For each chunk it
//! 1. calls [`plan_chunk`] (no state yet for the first chunk, which is also checked with
//!    [`verify_first_chunk`]) — the chunk is refused before a byte goes to R2;
//! 2. creates the multipart upload (first chunk) and uploads the part;
//! 3. calls [`UploadState::record_part`], which validates again: the DO may run another request
//!    while it awaits R2, so two chunks planned against the same state can race, and the second
//!    one to be recorded is the one refused (its R2 part is simply replaced by a later retry).
//!
//! [`UploadState::status`] answers `upload-status` so a client can resume after a dropped
//! connection; [`UploadState::ready_to_finalize`] gives the parts to complete the upload with, or
//! the missing chunk indexes (409 `UPLOAD_INCOMPLETE`).
//!
//! R2's multipart rules (checked here so a bad chunk fails at once with a clear 422 instead of at
//! `complete()` after gigabytes were uploaded): every part is at least 5 MiB and at most 5 GiB,
//! except the last, which has no minimum; all parts but the last have the **same size**, and the
//! last is no larger than them; at most 10,000 parts. A client therefore cuts its recording into
//! equal slices of at least 5 MiB and sends the remainder last.
//!
//! Pure: no I/O, no clock (the caller passes `now_ms`), no randomness.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;
/// R2's minimum size of every part but the last.
pub const MIN_PART_BYTES: u64 = 5 * MIB;
/// R2's maximum size of one part.
pub const MAX_PART_BYTES: u64 = 5 * 1024 * MIB;
/// R2's maximum number of parts in one multipart upload.
pub const MAX_PARTS: u32 = 10_000;
/// Largest chunk one request may carry: Cloudflare's request body limit (Free/Pro plans).
pub const MAX_CHUNK_REQUEST_BYTES: u64 = 100 * MIB;
/// The default of `VIDEO_MAX_BYTES` (2 GiB).
pub const DEFAULT_MAX_BYTES: u64 = 2 * 1024 * MIB;
/// A multipart upload with no chunk for this long is aborted by the retention job (24 h).
pub const IDLE_ABORT_MS: i64 = 24 * 60 * 60 * 1000;

/// The video containers the service accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VideoContentType {
    #[serde(rename = "video/webm")]
    Webm,
    #[serde(rename = "video/mp4")]
    Mp4,
}

impl VideoContentType {
    /// Every accepted type.
    pub const ALL: &'static [VideoContentType] = &[VideoContentType::Webm, VideoContentType::Mp4];

    /// The MIME type, as stored and sent in `Content-Type`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            VideoContentType::Webm => "video/webm",
            VideoContentType::Mp4 => "video/mp4",
        }
    }

    /// The file extension for the object key.
    #[must_use]
    pub const fn extension(self) -> &'static str {
        match self {
            VideoContentType::Webm => "webm",
            VideoContentType::Mp4 => "mp4",
        }
    }

    /// Parses a `Content-Type` value: the essence is compared case-insensitively and parameters
    /// are ignored (`video/webm;codecs=vp9,opus` is WebM). `None` for any other type.
    #[must_use]
    pub fn parse(content_type: &str) -> Option<Self> {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        VideoContentType::ALL.iter().copied().find(|t| t.as_str().eq_ignore_ascii_case(essence))
    }
}

impl fmt::Display for VideoContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The container the first bytes of a recording announce: WebM/Matroska by the EBML magic
/// `1A 45 DF A3`, MP4 (and other ISO-BMFF files, e.g. QuickTime) by an `ftyp` box at offset 4.
/// Matroska shares WebM's magic and is accepted as WebM: browsers' `MediaRecorder` writes WebM.
#[must_use]
pub fn sniff_video(bytes: &[u8]) -> Option<VideoContentType> {
    if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some(VideoContentType::Webm)
    } else if bytes.get(4..8) == Some(b"ftyp".as_slice()) {
        Some(VideoContentType::Mp4)
    } else {
        None
    }
}

/// Checks the first chunk's bytes (chunk 0, the one with the container header) against the
/// declared type: 415 when they are not that container.
pub fn verify_first_chunk(declared: VideoContentType, head: &[u8]) -> Result<(), ChunkError> {
    match sniff_video(head) {
        Some(detected) if detected == declared => Ok(()),
        detected => Err(ChunkError::ContentMismatch { declared, detected }),
    }
}

/// The limits a chunk is checked against. [`UploadLimits::new`] takes `VIDEO_MAX_BYTES` and
/// uses R2's rules for the rest; the other fields exist so unit tests can use small numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Maximum size of the whole video (`VIDEO_MAX_BYTES`).
    pub max_bytes: u64,
    /// Minimum size of every chunk but the last.
    pub min_part_bytes: u64,
    /// Maximum number of chunks (never more than R2's [`MAX_PARTS`]).
    pub max_parts: u32,
}

impl UploadLimits {
    /// R2's rules with the given total size limit.
    #[must_use]
    pub const fn new(max_bytes: u64) -> Self {
        Self { max_bytes, min_part_bytes: MIN_PART_BYTES, max_parts: MAX_PARTS }
    }

    fn effective_max_parts(&self) -> u32 {
        self.max_parts.min(MAX_PARTS)
    }
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_BYTES)
    }
}

/// One incoming chunk, as described by the request (the bytes themselves stay with the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRequest {
    pub chunk_index: u32,
    pub total_chunks: u32,
    /// Size of the chunk's body in bytes.
    pub size: u64,
    pub content_type: VideoContentType,
}

impl ChunkRequest {
    fn is_last(&self) -> bool {
        self.chunk_index.checked_add(1) == Some(self.total_chunks)
    }
}

/// What to do with an accepted chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPlan {
    /// The R2 part number: `chunk_index + 1` (1..=10,000).
    pub part_number: u16,
    /// The index was already received; uploading the part again replaces it.
    pub replaces: bool,
}

/// A part R2 has stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartInfo {
    pub etag: String,
    pub size: u64,
}

/// The `upload-status` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadStatus {
    pub upload_id: String,
    pub total_chunks: u32,
    pub received: Vec<u32>,
    pub missing: Vec<u32>,
}

/// A refused chunk. [`ChunkError::status`] and [`ChunkError::code`] give the HTTP answer,
/// [`ChunkError::field`] the request field to name in validation details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkError {
    /// `total_chunks` is 0 or more than the part limit (422).
    InvalidTotalChunks { total_chunks: u32, max_parts: u32 },
    /// `chunk_index` is not below `total_chunks` (422).
    IndexOutOfRange { chunk_index: u32, total_chunks: u32 },
    /// The chunk has no bytes (422).
    EmptyChunk,
    /// A chunk other than the last is below the minimum part size, or below the size of the
    /// last chunk already received (422).
    ChunkTooSmall { chunk_index: u32, size: u64, min: u64 },
    /// A chunk other than the last differs in size from the other non-last chunks (422).
    UnevenChunk { chunk_index: u32, size: u64, expected: u64 },
    /// The last chunk is larger than the other chunks (422).
    LastChunkTooLarge { size: u64, max: u64 },
    /// One chunk is above R2's 5 GiB part limit (413).
    ChunkTooLarge { size: u64, max: u64 },
    /// The video would exceed `VIDEO_MAX_BYTES` (413). `total` is the size the upload would
    /// reach (or, from the chunk size and count, at least reach).
    TotalTooLarge { total: u64, max: u64 },
    /// `total_chunks` differs from the one the upload started with (409).
    TotalChunksChanged { expected: u32, got: u32 },
    /// The content type differs from the one the upload started with (409).
    ContentTypeChanged { expected: VideoContentType, got: VideoContentType },
    /// The first chunk's bytes are not the declared container (415).
    ContentMismatch { declared: VideoContentType, detected: Option<VideoContentType> },
}

impl ChunkError {
    /// The HTTP status: 422, 413, 409 or 415.
    #[must_use]
    pub const fn status(&self) -> u16 {
        match self {
            ChunkError::InvalidTotalChunks { .. }
            | ChunkError::IndexOutOfRange { .. }
            | ChunkError::EmptyChunk
            | ChunkError::ChunkTooSmall { .. }
            | ChunkError::UnevenChunk { .. }
            | ChunkError::LastChunkTooLarge { .. } => 422,
            ChunkError::ChunkTooLarge { .. } | ChunkError::TotalTooLarge { .. } => 413,
            ChunkError::TotalChunksChanged { .. } | ChunkError::ContentTypeChanged { .. } => 409,
            ChunkError::ContentMismatch { .. } => 415,
        }
    }

    /// The error code. The 409s are `UPLOAD_CONFLICT`: the request contradicts the upload in
    /// progress (this service's own code, docs/api.md#errors).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self.status() {
            413 => "PAYLOAD_TOO_LARGE",
            409 => "UPLOAD_CONFLICT",
            415 => "UNSUPPORTED_MEDIA_TYPE",
            _ => "VALIDATION_ERROR",
        }
    }

    /// The request field at fault, for validation details.
    #[must_use]
    pub const fn field(&self) -> &'static str {
        match self {
            ChunkError::InvalidTotalChunks { .. } | ChunkError::TotalChunksChanged { .. } => "total_chunks",
            ChunkError::IndexOutOfRange { .. } => "chunk_index",
            ChunkError::ContentTypeChanged { .. } | ChunkError::ContentMismatch { .. } => "content_type",
            ChunkError::EmptyChunk
            | ChunkError::ChunkTooSmall { .. }
            | ChunkError::UnevenChunk { .. }
            | ChunkError::LastChunkTooLarge { .. }
            | ChunkError::ChunkTooLarge { .. }
            | ChunkError::TotalTooLarge { .. } => "video_chunk",
        }
    }
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::InvalidTotalChunks { total_chunks, max_parts } => {
                write!(f, "total_chunks must be between 1 and {max_parts} (got {total_chunks})")
            }
            ChunkError::IndexOutOfRange { chunk_index, total_chunks } => {
                write!(f, "chunk_index must be below total_chunks {total_chunks} (got {chunk_index})")
            }
            ChunkError::EmptyChunk => f.write_str("the chunk is empty"),
            ChunkError::ChunkTooSmall { chunk_index, size, min } => write!(
                f,
                "chunk {chunk_index} has {size} bytes; every chunk but the last must have at least {min} bytes"
            ),
            ChunkError::UnevenChunk { chunk_index, size, expected } => write!(
                f,
                "chunk {chunk_index} has {size} bytes; every chunk but the last must have the same size \
                 ({expected} bytes in this upload)"
            ),
            ChunkError::LastChunkTooLarge { size, max } => write!(
                f,
                "the last chunk has {size} bytes; it may not be larger than the other chunks ({max} bytes)"
            ),
            ChunkError::ChunkTooLarge { size, max } => {
                write!(f, "the chunk has {size} bytes; a chunk may have at most {max} bytes")
            }
            ChunkError::TotalTooLarge { total, max } => {
                write!(f, "the video would have {total} bytes; the limit is {max} bytes")
            }
            ChunkError::TotalChunksChanged { expected, got } => {
                write!(f, "total_chunks must stay {expected} for this upload (got {got})")
            }
            ChunkError::ContentTypeChanged { expected, got } => {
                write!(f, "this upload is {expected}; a {got} chunk cannot be added to it")
            }
            ChunkError::ContentMismatch { declared, detected: Some(detected) } => {
                write!(f, "the chunk was declared {declared} but its bytes are {detected}")
            }
            ChunkError::ContentMismatch { declared, detected: None } => {
                write!(f, "the chunk was declared {declared} but its bytes are not a {declared} video")
            }
        }
    }
}

impl std::error::Error for ChunkError {}

/// The stored state of one resumable upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadState {
    /// R2's multipart upload id.
    pub upload_id: String,
    /// The object key.
    pub key: String,
    pub content_type: VideoContentType,
    pub total_chunks: u32,
    /// Received parts by `chunk_index`.
    pub parts: BTreeMap<u32, PartInfo>,
    /// Sum of the received parts' sizes.
    pub total_bytes: u64,
    /// When the last chunk was recorded (ms since the epoch); drives the idle abort.
    pub last_chunk_ms: i64,
}

/// Checks a chunk against the upload in progress (`None` before the first chunk) and the
/// limits, in this order: `total_chunks` (422, then 409 if it changed), `chunk_index` (422),
/// content type (409), size rules (422 / 413), total size (413).
pub fn plan_chunk(
    state: Option<&UploadState>,
    chunk: &ChunkRequest,
    limits: &UploadLimits,
) -> Result<ChunkPlan, ChunkError> {
    let max_parts = limits.effective_max_parts();
    if chunk.total_chunks == 0 || chunk.total_chunks > max_parts {
        return Err(ChunkError::InvalidTotalChunks { total_chunks: chunk.total_chunks, max_parts });
    }
    if let Some(state) = state {
        if chunk.total_chunks != state.total_chunks {
            return Err(ChunkError::TotalChunksChanged {
                expected: state.total_chunks,
                got: chunk.total_chunks,
            });
        }
    }
    if chunk.chunk_index >= chunk.total_chunks {
        return Err(ChunkError::IndexOutOfRange {
            chunk_index: chunk.chunk_index,
            total_chunks: chunk.total_chunks,
        });
    }
    let part_number = u16::try_from(chunk.chunk_index + 1)
        .map_err(|_| ChunkError::InvalidTotalChunks { total_chunks: chunk.total_chunks, max_parts })?;
    if let Some(state) = state {
        if chunk.content_type != state.content_type {
            return Err(ChunkError::ContentTypeChanged {
                expected: state.content_type,
                got: chunk.content_type,
            });
        }
    }
    if chunk.size == 0 {
        return Err(ChunkError::EmptyChunk);
    }
    if chunk.size > MAX_PART_BYTES {
        return Err(ChunkError::ChunkTooLarge { size: chunk.size, max: MAX_PART_BYTES });
    }
    // The other parts: the one at this index is being replaced, so it does not count.
    let others =
        state.map(|s| s.parts.iter().filter(|(i, _)| **i != chunk.chunk_index)).into_iter().flatten();
    let last_index = chunk.total_chunks - 1;
    let mut uniform: Option<u64> = None;
    let mut last_size: Option<u64> = None;
    let mut other_bytes: u64 = 0;
    for (index, part) in others {
        other_bytes = other_bytes.saturating_add(part.size);
        if *index == last_index {
            last_size = Some(part.size);
        } else {
            uniform.get_or_insert(part.size);
        }
    }
    if chunk.is_last() {
        if let Some(max) = uniform.filter(|max| chunk.size > *max) {
            return Err(ChunkError::LastChunkTooLarge { size: chunk.size, max });
        }
    } else {
        let min = limits.min_part_bytes.max(last_size.unwrap_or(0));
        if chunk.size < min {
            return Err(ChunkError::ChunkTooSmall { chunk_index: chunk.chunk_index, size: chunk.size, min });
        }
        if let Some(expected) = uniform.filter(|expected| chunk.size != *expected) {
            return Err(ChunkError::UnevenChunk {
                chunk_index: chunk.chunk_index,
                size: chunk.size,
                expected,
            });
        }
    }
    let total = other_bytes.saturating_add(chunk.size);
    if total > limits.max_bytes {
        return Err(ChunkError::TotalTooLarge { total, max: limits.max_bytes });
    }
    // With every non-last chunk the same size, the finished video has at least
    // (total_chunks - 1) × that size + 1 byte: refuse now rather than after gigabytes.
    let part_size = if chunk.is_last() { uniform } else { Some(chunk.size) };
    if let Some(part_size) = part_size {
        let at_least = u64::from(last_index).saturating_mul(part_size).saturating_add(1);
        if at_least > limits.max_bytes {
            return Err(ChunkError::TotalTooLarge { total: at_least, max: limits.max_bytes });
        }
    }
    let replaces = state.is_some_and(|s| s.parts.contains_key(&chunk.chunk_index));
    Ok(ChunkPlan { part_number, replaces })
}

impl UploadState {
    /// A new upload with no part yet (created once R2 returned the multipart upload id).
    #[must_use]
    pub fn new(
        upload_id: impl Into<String>,
        key: impl Into<String>,
        content_type: VideoContentType,
        total_chunks: u32,
        now_ms: i64,
    ) -> Self {
        Self {
            upload_id: upload_id.into(),
            key: key.into(),
            content_type,
            total_chunks,
            parts: BTreeMap::new(),
            total_bytes: 0,
            last_chunk_ms: now_ms,
        }
    }

    /// [`plan_chunk`] against this upload.
    pub fn plan(&self, chunk: &ChunkRequest, limits: &UploadLimits) -> Result<ChunkPlan, ChunkError> {
        plan_chunk(Some(self), chunk, limits)
    }

    /// Records a part R2 has stored, after validating the chunk again against the current state
    /// (see the module docs on interleaving). Replaces a part already received at that index.
    pub fn record_part(
        &mut self,
        chunk: &ChunkRequest,
        etag: impl Into<String>,
        limits: &UploadLimits,
        now_ms: i64,
    ) -> Result<ChunkPlan, ChunkError> {
        let plan = self.plan(chunk, limits)?;
        self.parts.insert(chunk.chunk_index, PartInfo { etag: etag.into(), size: chunk.size });
        self.total_bytes = self.parts.values().fold(0u64, |sum, p| sum.saturating_add(p.size));
        self.last_chunk_ms = self.last_chunk_ms.max(now_ms);
        Ok(plan)
    }

    /// How many distinct chunks were received (`total_uploaded` in the chunk answer).
    #[must_use]
    pub fn received_count(&self) -> u32 {
        u32::try_from(self.parts.len()).unwrap_or(u32::MAX)
    }

    /// Received chunk indexes, ascending.
    #[must_use]
    pub fn received(&self) -> Vec<u32> {
        self.parts.keys().copied().filter(|i| *i < self.total_chunks).collect()
    }

    /// Missing chunk indexes, ascending.
    #[must_use]
    pub fn missing(&self) -> Vec<u32> {
        (0..self.total_chunks).filter(|i| !self.parts.contains_key(i)).collect()
    }

    /// The `upload-status` answer.
    #[must_use]
    pub fn status(&self) -> UploadStatus {
        UploadStatus {
            upload_id: self.upload_id.clone(),
            total_chunks: self.total_chunks,
            received: self.received(),
            missing: self.missing(),
        }
    }

    /// The `(part_number, etag)` list to complete the R2 upload with, in part order; or the
    /// missing chunk indexes (409 `UPLOAD_INCOMPLETE`).
    pub fn ready_to_finalize(&self) -> Result<Vec<(u16, String)>, Vec<u32>> {
        let missing = self.missing();
        if !missing.is_empty() {
            return Err(missing);
        }
        let mut parts = Vec::with_capacity(self.parts.len());
        for (index, part) in self.parts.range(..self.total_chunks) {
            let number =
                index.checked_add(1).and_then(|n| u16::try_from(n).ok()).ok_or_else(|| vec![*index])?;
            parts.push((number, part.etag.clone()));
        }
        Ok(parts)
    }

    /// Whether the upload has had no chunk for more than `idle_ms` (the retention job aborts it
    /// after [`IDLE_ABORT_MS`]).
    #[must_use]
    pub fn is_idle(&self, now_ms: i64, idle_ms: i64) -> bool {
        now_ms.saturating_sub(self.last_chunk_ms) > idle_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: u64 = MIB;

    fn chunk(chunk_index: u32, total_chunks: u32, size: u64) -> ChunkRequest {
        ChunkRequest { chunk_index, total_chunks, size, content_type: VideoContentType::Webm }
    }

    fn limits() -> UploadLimits {
        UploadLimits::new(100 * M)
    }

    fn state(total_chunks: u32) -> UploadState {
        UploadState::new("up-1", "videos/i/recording.webm", VideoContentType::Webm, total_chunks, 1_000)
    }

    fn record(s: &mut UploadState, index: u32, size: u64) -> Result<ChunkPlan, ChunkError> {
        let c = chunk(index, s.total_chunks, size);
        s.record_part(&c, format!("etag-{index}-{size}"), &limits(), 2_000)
    }

    #[test]
    fn content_types_parse_with_parameters_and_any_case() {
        assert_eq!(VideoContentType::parse("video/webm"), Some(VideoContentType::Webm));
        assert_eq!(VideoContentType::parse("Video/WebM; codecs=\"vp9,opus\""), Some(VideoContentType::Webm));
        assert_eq!(VideoContentType::parse(" video/mp4 "), Some(VideoContentType::Mp4));
        assert_eq!(VideoContentType::parse("video/quicktime"), None);
        assert_eq!(VideoContentType::parse("application/octet-stream"), None);
        assert_eq!(VideoContentType::parse(""), None);
        for t in VideoContentType::ALL {
            assert_eq!(VideoContentType::parse(t.as_str()), Some(*t));
            let json = serde_json::to_string(t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
            assert_eq!(serde_json::from_str::<VideoContentType>(&json).unwrap(), *t);
        }
        assert_eq!(VideoContentType::Mp4.extension(), "mp4");
    }

    #[test]
    fn sniffing_recognises_webm_and_mp4_only() {
        assert_eq!(sniff_video(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86]), Some(VideoContentType::Webm));
        let mp4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41";
        assert_eq!(sniff_video(mp4), Some(VideoContentType::Mp4));
        assert_eq!(sniff_video(b"\x00\x00\x00\x18ftypmp42"), Some(VideoContentType::Mp4));
        assert_eq!(sniff_video(b"\x89PNG\r\n\x1a\n"), None);
        assert_eq!(sniff_video(b"\xFF\xD8\xFF\xE0"), None);
        assert_eq!(sniff_video(b"%PDF-1.7"), None);
        assert_eq!(sniff_video(b"\x1A\x45\xDF"), None);
        assert_eq!(sniff_video(b"\x00\x00\x00\x20fty"), None);
        assert_eq!(sniff_video(b""), None);
    }

    #[test]
    fn the_first_chunk_must_be_the_declared_container() {
        let webm = [0x1A, 0x45, 0xDF, 0xA3, 0x01];
        assert_eq!(verify_first_chunk(VideoContentType::Webm, &webm), Ok(()));
        let err = verify_first_chunk(VideoContentType::Mp4, &webm).unwrap_err();
        assert_eq!(err.status(), 415);
        assert_eq!(err.code(), "UNSUPPORTED_MEDIA_TYPE");
        assert!(err.to_string().contains("video/webm"), "{err}");
        let err = verify_first_chunk(VideoContentType::Webm, b"MZ\x90\x00").unwrap_err();
        assert_eq!(err, ChunkError::ContentMismatch { declared: VideoContentType::Webm, detected: None });
    }

    #[test]
    fn the_first_chunk_is_planned_without_state() {
        let plan = plan_chunk(None, &chunk(0, 3, 6 * M), &limits()).unwrap();
        assert_eq!(plan, ChunkPlan { part_number: 1, replaces: false });
        // A single-chunk video may be of any size: it is the last chunk.
        let plan = plan_chunk(None, &chunk(0, 1, 10), &limits()).unwrap();
        assert_eq!(plan.part_number, 1);
        // Out of order: the first request may be any chunk.
        assert_eq!(plan_chunk(None, &chunk(4, 5, 6 * M), &limits()).unwrap().part_number, 5);
    }

    #[test]
    fn a_small_middle_chunk_is_refused_but_a_small_last_chunk_is_fine() {
        let mut s = state(3);
        record(&mut s, 0, 5 * M).unwrap();
        let err = record(&mut s, 1, 5 * M - 1).unwrap_err();
        assert_eq!(err, ChunkError::ChunkTooSmall { chunk_index: 1, size: 5 * M - 1, min: 5 * M });
        assert_eq!((err.status(), err.code(), err.field()), (422, "VALIDATION_ERROR", "video_chunk"));
        assert!(err.to_string().contains("at least 5242880 bytes"), "{err}");
        record(&mut s, 1, 5 * M).unwrap();
        record(&mut s, 2, 1).unwrap();
        assert_eq!(s.total_bytes, 10 * M + 1);
        // Exactly the minimum is allowed; the first chunk is held to the same rule.
        assert!(plan_chunk(None, &chunk(0, 2, 5 * M), &limits()).is_ok());
        assert!(matches!(
            plan_chunk(None, &chunk(0, 2, 4 * M), &limits()),
            Err(ChunkError::ChunkTooSmall { .. })
        ));
    }

    #[test]
    fn non_last_chunks_must_have_one_size_and_the_last_no_more() {
        let mut s = state(4);
        record(&mut s, 1, 6 * M).unwrap();
        let err = record(&mut s, 0, 7 * M).unwrap_err();
        assert_eq!(err, ChunkError::UnevenChunk { chunk_index: 0, size: 7 * M, expected: 6 * M });
        assert_eq!(err.status(), 422);
        let err = record(&mut s, 3, 6 * M + 1).unwrap_err();
        assert_eq!(err, ChunkError::LastChunkTooLarge { size: 6 * M + 1, max: 6 * M });
        record(&mut s, 3, 6 * M).unwrap();
        record(&mut s, 0, 6 * M).unwrap();
        record(&mut s, 2, 6 * M).unwrap();
        assert!(s.ready_to_finalize().is_ok());
    }

    #[test]
    fn a_last_chunk_received_first_bounds_the_others_from_below() {
        let mut s = state(3);
        record(&mut s, 2, 8 * M).unwrap();
        let err = record(&mut s, 0, 7 * M).unwrap_err();
        assert_eq!(err, ChunkError::ChunkTooSmall { chunk_index: 0, size: 7 * M, min: 8 * M });
        record(&mut s, 0, 8 * M).unwrap();
    }

    #[test]
    fn the_only_sized_part_may_be_resent_with_another_size() {
        let mut s = state(3);
        record(&mut s, 0, 6 * M).unwrap();
        // Chunk 0 is the only non-last part: re-sending it with another size is a replacement.
        let plan = record(&mut s, 0, 7 * M).unwrap();
        assert_eq!(plan, ChunkPlan { part_number: 1, replaces: true });
        assert_eq!(s.total_bytes, 7 * M);
        assert_eq!(s.parts[&0].etag, format!("etag-0-{}", 7 * M));
    }

    #[test]
    fn resending_an_index_replaces_it_and_keeps_the_total_right() {
        let mut s = state(2);
        assert!(!record(&mut s, 0, 6 * M).unwrap().replaces);
        assert!(!record(&mut s, 1, 100).unwrap().replaces);
        assert!(record(&mut s, 1, 200).unwrap().replaces);
        assert_eq!(s.received_count(), 2);
        assert_eq!(s.total_bytes, 6 * M + 200);
        assert_eq!(s.ready_to_finalize().unwrap()[1], (2, "etag-1-200".to_owned()));
    }

    #[test]
    fn total_chunks_must_stay_constant_and_index_be_in_range() {
        let mut s = state(3);
        record(&mut s, 0, 6 * M).unwrap();
        let err = s.plan(&chunk(1, 4, 6 * M), &limits()).unwrap_err();
        assert_eq!(err, ChunkError::TotalChunksChanged { expected: 3, got: 4 });
        assert_eq!((err.status(), err.code(), err.field()), (409, "UPLOAD_CONFLICT", "total_chunks"));
        let err = s.plan(&chunk(3, 3, 6 * M), &limits()).unwrap_err();
        assert_eq!(err, ChunkError::IndexOutOfRange { chunk_index: 3, total_chunks: 3 });
        assert_eq!((err.status(), err.field()), (422, "chunk_index"));
        let err = plan_chunk(None, &chunk(0, 0, 6 * M), &limits()).unwrap_err();
        assert_eq!((err.status(), err.field()), (422, "total_chunks"));
        let err = plan_chunk(None, &chunk(0, MAX_PARTS + 1, 6 * M), &limits()).unwrap_err();
        assert_eq!(err, ChunkError::InvalidTotalChunks { total_chunks: MAX_PARTS + 1, max_parts: MAX_PARTS });
        let err = plan_chunk(None, &chunk(u32::MAX, u32::MAX, 1), &limits()).unwrap_err();
        assert!(matches!(err, ChunkError::InvalidTotalChunks { .. }));
    }

    #[test]
    fn the_part_limit_is_r2s_even_if_configured_higher() {
        let big = UploadLimits { max_bytes: u64::MAX, min_part_bytes: 1, max_parts: 70_000 };
        let plan = plan_chunk(None, &chunk(9_999, 10_000, 1), &big).unwrap();
        assert_eq!(plan.part_number, 10_000);
        assert!(plan_chunk(None, &chunk(0, 10_001, 1), &big).is_err());
    }

    #[test]
    fn the_content_type_must_stay_the_same() {
        let mut s = state(2);
        record(&mut s, 0, 6 * M).unwrap();
        let mut c = chunk(1, 2, 10);
        c.content_type = VideoContentType::Mp4;
        let err = s.plan(&c, &limits()).unwrap_err();
        assert_eq!((err.status(), err.field()), (409, "content_type"));
    }

    #[test]
    fn empty_and_oversized_chunks_are_refused() {
        let err = plan_chunk(None, &chunk(0, 1, 0), &limits()).unwrap_err();
        assert_eq!(err, ChunkError::EmptyChunk);
        assert_eq!(err.status(), 422);
        let huge = UploadLimits::new(u64::MAX);
        let err = plan_chunk(None, &chunk(0, 1, MAX_PART_BYTES + 1), &huge).unwrap_err();
        assert_eq!(err.status(), 413);
        assert_eq!(err.code(), "PAYLOAD_TOO_LARGE");
    }

    #[test]
    fn the_total_size_limit_is_enforced_and_anticipated() {
        let small = UploadLimits { max_bytes: 20, min_part_bytes: 5, max_parts: 100 };
        let mut s = state(3);
        s.record_part(&chunk(0, 3, 8), "a", &small, 1).unwrap();
        s.record_part(&chunk(1, 3, 8), "b", &small, 1).unwrap();
        let err = s.plan(&chunk(2, 3, 5), &small).unwrap_err();
        assert_eq!(err, ChunkError::TotalTooLarge { total: 21, max: 20 });
        assert_eq!(err.status(), 413);
        assert!(s.plan(&chunk(2, 3, 4), &small).is_ok());
        // 3 chunks of 10 can never fit in 20 bytes: refused on the first chunk.
        let err = plan_chunk(None, &chunk(0, 3, 10), &small).unwrap_err();
        assert_eq!(err, ChunkError::TotalTooLarge { total: 21, max: 20 });
        // A last chunk sent first with the chunk size known from nothing: allowed.
        assert!(plan_chunk(None, &chunk(2, 3, 1), &small).is_ok());
    }

    #[test]
    fn record_part_revalidates_so_racing_chunks_cannot_break_the_rules() {
        let mut s = state(3);
        // Both planned against the same empty state, as when the DO awaited R2 in between.
        let a = chunk(0, 3, 6 * M);
        let b = chunk(1, 3, 7 * M);
        assert!(s.plan(&a, &limits()).is_ok());
        assert!(s.plan(&b, &limits()).is_ok());
        s.record_part(&a, "a", &limits(), 5).unwrap();
        assert!(matches!(s.record_part(&b, "b", &limits(), 6), Err(ChunkError::UnevenChunk { .. })));
        assert_eq!(s.received(), vec![0]);
    }

    #[test]
    fn status_lists_received_and_missing_for_resuming() {
        let mut s = state(4);
        record(&mut s, 2, 6 * M).unwrap();
        record(&mut s, 0, 6 * M).unwrap();
        let status = s.status();
        assert_eq!(status.upload_id, "up-1");
        assert_eq!(status.total_chunks, 4);
        assert_eq!(status.received, vec![0, 2]);
        assert_eq!(status.missing, vec![1, 3]);
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"upload_id": "up-1", "total_chunks": 4, "received": [0, 2], "missing": [1, 3]})
        );
    }

    #[test]
    fn finalize_needs_every_chunk_and_lists_parts_in_order() {
        let mut s = state(3);
        assert_eq!(s.ready_to_finalize(), Err(vec![0, 1, 2]));
        record(&mut s, 2, 10).unwrap();
        record(&mut s, 0, 6 * M).unwrap();
        assert_eq!(s.ready_to_finalize(), Err(vec![1]));
        record(&mut s, 1, 6 * M).unwrap();
        let parts = s.ready_to_finalize().unwrap();
        let numbers: Vec<u16> = parts.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![1, 2, 3]);
        assert_eq!(parts[2].1, "etag-2-10");
    }

    #[test]
    fn the_state_round_trips_through_json() {
        let mut s = state(3);
        record(&mut s, 1, 6 * M).unwrap();
        record(&mut s, 2, 3).unwrap();
        let json = serde_json::to_string(&s).unwrap();
        let back: UploadState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.missing(), vec![0]);
    }

    #[test]
    fn idleness_follows_the_last_chunk() {
        let mut s = state(2);
        assert!(!s.is_idle(1_000 + IDLE_ABORT_MS, IDLE_ABORT_MS));
        assert!(s.is_idle(1_001 + IDLE_ABORT_MS, IDLE_ABORT_MS));
        record(&mut s, 0, 6 * M).unwrap(); // at 2_000
        assert_eq!(s.last_chunk_ms, 2_000);
        assert!(!s.is_idle(1_001 + IDLE_ABORT_MS, IDLE_ABORT_MS));
        // A clock going backwards never moves the activity time back.
        s.record_part(&chunk(1, 2, 1), "x", &limits(), 10).unwrap();
        assert_eq!(s.last_chunk_ms, 2_000);
        assert!(!s.is_idle(i64::MIN, IDLE_ABORT_MS));
    }

    #[test]
    fn every_error_has_a_status_code_field_and_message() {
        let w = VideoContentType::Webm;
        let errors = [
            ChunkError::InvalidTotalChunks { total_chunks: 0, max_parts: 1 },
            ChunkError::IndexOutOfRange { chunk_index: 1, total_chunks: 1 },
            ChunkError::EmptyChunk,
            ChunkError::ChunkTooSmall { chunk_index: 0, size: 1, min: 2 },
            ChunkError::UnevenChunk { chunk_index: 0, size: 1, expected: 2 },
            ChunkError::LastChunkTooLarge { size: 3, max: 2 },
            ChunkError::ChunkTooLarge { size: 3, max: 2 },
            ChunkError::TotalTooLarge { total: 3, max: 2 },
            ChunkError::TotalChunksChanged { expected: 1, got: 2 },
            ChunkError::ContentTypeChanged { expected: w, got: VideoContentType::Mp4 },
            ChunkError::ContentMismatch { declared: w, detected: None },
        ];
        for e in errors {
            assert!([409, 413, 415, 422].contains(&e.status()), "{e:?}");
            assert!(!e.code().is_empty() && !e.field().is_empty() && !e.to_string().is_empty());
        }
    }
}
