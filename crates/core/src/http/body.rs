//! Request bodies read with a hard cap, whatever the headers say (docs/security.md#bodies).
//!
//! The Worker reads a body as a stream of chunks and feeds them to a [`CappedBody`], which keeps
//! at most `cap` bytes and reports [`TooLarge`] as soon as one more byte arrives: the reader then
//! stops (and cancels the stream), so a chunked body with no `Content-Length`, or a lying one,
//! is never read past `cap + 1` bytes. Pure, so the rule unit-tests natively.

/// The body has more than the cap allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

/// A body being accumulated under a cap.
#[derive(Debug)]
pub struct CappedBody {
    cap: usize,
    bytes: Vec<u8>,
}

impl CappedBody {
    /// An empty body that will hold at most `cap` bytes. A declared `Content-Length` above the
    /// cap is refused before anything is read.
    ///
    /// # Errors
    /// [`TooLarge`] when `declared` exceeds `cap`.
    pub fn new(cap: usize, declared: Option<u64>) -> Result<Self, TooLarge> {
        if declared.is_some_and(|n| n > cap as u64) {
            return Err(TooLarge);
        }
        // A declared length within the cap sizes the buffer; never trust it beyond the cap.
        let hint = declared.and_then(|n| usize::try_from(n).ok()).unwrap_or(0).min(cap);
        Ok(Self { cap, bytes: Vec::with_capacity(hint) })
    }

    /// Appends one chunk.
    ///
    /// # Errors
    /// [`TooLarge`] when the body would exceed the cap; the chunk is not kept.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), TooLarge> {
        if chunk.len() > self.cap - self.bytes.len() {
            return Err(TooLarge);
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    /// Bytes read so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True when nothing was read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The whole body.
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// The declared `Content-Length`, when it is a number.
#[must_use]
pub fn declared_length(header: Option<&str>) -> Option<u64> {
    header.and_then(|v| v.trim().parse::<u64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_length_above_the_cap_is_refused_before_reading() {
        assert_eq!(CappedBody::new(10, Some(11)).err(), Some(TooLarge));
        assert!(CappedBody::new(10, Some(10)).is_ok());
        assert!(CappedBody::new(10, None).is_ok());
        // A huge declared length never sizes the buffer beyond the cap.
        assert!(CappedBody::new(10, Some(u64::MAX)).is_err());
    }

    #[test]
    fn chunks_are_kept_up_to_the_cap_and_refused_one_byte_past_it() {
        let mut body = CappedBody::new(10, None).expect("no declared length");
        body.push(b"hello").expect("5 bytes");
        body.push(b"world").expect("10 bytes: exactly the cap");
        assert_eq!(body.len(), 10);
        assert_eq!(body.push(b"!"), Err(TooLarge));
        assert_eq!(body.len(), 10, "the refused chunk is not kept");
        assert_eq!(body.into_bytes(), b"helloworld");
    }

    #[test]
    fn a_lying_content_length_does_not_raise_the_cap() {
        let mut body = CappedBody::new(8, Some(2)).expect("declared 2");
        assert_eq!(body.push(&[0; 9]), Err(TooLarge));
        body.push(&[0; 8]).expect("within the cap");
        assert!(!body.is_empty());
    }

    #[test]
    fn declared_lengths_parse_or_are_ignored() {
        assert_eq!(declared_length(Some(" 42 ")), Some(42));
        assert_eq!(declared_length(Some("-1")), None);
        assert_eq!(declared_length(Some("lots")), None);
        assert_eq!(declared_length(None), None);
    }
}
