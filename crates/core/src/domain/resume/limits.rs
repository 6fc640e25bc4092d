//! What résumé text extraction may cost and why it fails: the limits every step is bounded by and
//! the [`ExtractError`] it reports, and the one hard [`Budget`] of work every step of one
//! document's extraction charges. Shared by `extract.rs` (DOCX, text), `zip.rs` and `pdf.rs`
//! (the PDF text layer); `extract` re-exports it.

use std::cell::Cell;
use std::fmt;

/// All decompressed data of one document together (20 MiB).
pub const MAX_DECOMPRESSED_BYTES: usize = 20 * 1024 * 1024;
/// Objects read from one PDF.
pub const MAX_PDF_OBJECTS: usize = 200_000;
/// Extracted text kept (1 MiB); the rest is dropped.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;

/// Why no text could be extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtractError {
    /// The PDF is encrypted (password-protected or permissions-restricted).
    EncryptedPdf,
    /// The PDF has no text layer (a scan, or text drawn as images or outlines).
    NoTextLayer,
    /// The PDF structure cannot be read; the text says what is wrong.
    CorruptPdf(&'static str),
    /// The DOCX archive cannot be read; the text says what is wrong.
    CorruptZip(&'static str),
    /// The archive has no `word/document.xml`: not a Word document.
    MissingDocumentXml,
    /// The document contains no text.
    EmptyDocument,
    /// A text résumé is not valid UTF-8.
    InvalidText,
    /// The file, or what it decompresses to, is above the limits.
    TooLarge,
    /// A hard limit of the document's [`Budget`] was crossed (work, time, nesting, items,
    /// concatenated content).
    Limit(Limit),
}

impl ExtractError {
    /// A stable snake_case code for logs and the stored failure reason.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            ExtractError::EncryptedPdf => "encrypted_pdf",
            ExtractError::NoTextLayer => "no_text_layer",
            ExtractError::CorruptPdf(_) => "corrupt_pdf",
            ExtractError::CorruptZip(_) => "corrupt_zip",
            ExtractError::MissingDocumentXml => "missing_document_xml",
            ExtractError::EmptyDocument => "empty_document",
            ExtractError::InvalidText => "invalid_text",
            ExtractError::TooLarge => "too_large",
            ExtractError::Limit(limit) => limit.code(),
        }
    }

    /// Whether trying the same file again is pointless and must not happen: a size or budget
    /// limit (the file is hostile or absurd; a retry would only cost the same again).
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(self, ExtractError::TooLarge | ExtractError::Limit(_))
    }
}

impl fmt::Display for ExtractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtractError::EncryptedPdf => {
                f.write_str("the PDF is encrypted; upload a version without a password")
            }
            ExtractError::NoTextLayer => f.write_str(
                "the PDF has no text layer (it looks scanned or made of images); upload a PDF exported from \
                 a word processor, a DOCX or a text file",
            ),
            ExtractError::CorruptPdf(why) => write!(f, "the PDF is damaged: {why}"),
            ExtractError::CorruptZip(why) => write!(f, "the DOCX file is damaged: {why}"),
            ExtractError::MissingDocumentXml => {
                f.write_str("the file is a ZIP archive without word/document.xml, not a Word document")
            }
            ExtractError::EmptyDocument => f.write_str("the document contains no text"),
            ExtractError::InvalidText => f.write_str("the text file is not valid UTF-8"),
            ExtractError::TooLarge => f.write_str("the document is too large to process"),
            ExtractError::Limit(limit) => {
                let what = match limit {
                    Limit::Work => "it needs too much work",
                    Limit::Time => "it takes too long",
                    Limit::Depth => "its objects are nested too deeply",
                    Limit::Items => "it has too many objects",
                    Limit::Content => "its pages repeat too much content",
                };
                write!(f, "the document is too complex to process: {what}")
            }
        }
    }
}

impl std::error::Error for ExtractError {}

/// Work units one document may cost by default (see [`Budget`]): about 32 million lexed bytes,
/// tokens, items, decoded bytes and weighted lookups together (roughly half a second of native
/// CPU). A dense 30-page résumé (170 KB of text) costs about 5% of it.
pub const DEFAULT_MAX_WORK: u64 = 32_000_000;
/// Nesting of arrays and dictionaries inside one PDF object; deeper is [`Limit::Depth`].
pub const MAX_NESTING: usize = 32;
/// Objects (array items, dictionary values, nested containers) inside one PDF object or one
/// content-stream operand; more is [`Limit::Items`] (bounds the memory of one parsed object).
pub const MAX_OBJECT_ITEMS: u64 = 250_000;
/// Parsed objects kept in one PDF's object table, all nested items counted; more is
/// [`Limit::Items`] (bounds the memory of the object table, about 40 bytes an item).
pub const MAX_RETAINED_ITEMS: u64 = 1_000_000;
/// Page content assembled from `/Contents` streams, all pages together (20 MiB); more is
/// [`Limit::Content`] (a page listing one stream thousands of times).
pub const MAX_CONTENT_BYTES: u64 = 20 * 1024 * 1024;
/// How often (in work units) the budget's clock is read.
const CLOCK_EVERY: u64 = 1 << 16;

/// Which hard limit of a [`Budget`] a document exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The work units ([`DEFAULT_MAX_WORK`]).
    Work,
    /// The deadline of the budget's clock.
    Time,
    /// Nesting of arrays/dictionaries ([`MAX_NESTING`]).
    Depth,
    /// Items of one object or of the object table ([`MAX_OBJECT_ITEMS`], [`MAX_RETAINED_ITEMS`]).
    Items,
    /// Concatenated page content ([`MAX_CONTENT_BYTES`]).
    Content,
}

impl Limit {
    /// A stable snake_case code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Limit::Work => "work_limit",
            Limit::Time => "time_limit",
            Limit::Depth => "depth_limit",
            Limit::Items => "item_limit",
            Limit::Content => "content_limit",
        }
    }
}

/// The one hard budget of one document's extraction: every step (lexing, parsing, content
/// interpretation, form re-entry, cached stream reuse, `/Contents` assembly, CMaps and font
/// tables, decompression, ZIP entries, DOCX markup) charges it, and the first limit crossed
/// ends the extraction with [`ExtractError::Limit`]. What counts, in work units:
///
/// - every lexed byte (whitespace and comments included) and every token or object lexed
///   (operands, array items and dictionary values each count);
/// - every content-stream operator (one more unit) and shown string ([`GLYPH_COST`] a byte);
/// - every form XObject re-entry (`Do`: [`REENTRY_COST`] plus re-lexing its whole stream) and
///   every reuse of a cached decoded stream ([`REENTRY_COST`]);
/// - every byte of concatenated page content, decoded stream data and inflated ZIP data;
/// - every CMap or width-table entry written ([`ENTRY_COST`]) and every `/Differences`,
///   `/Widths` or `/W` item read.
///
/// Besides work: nesting ([`MAX_NESTING`]), items per object ([`MAX_OBJECT_ITEMS`]) and in the
/// object table ([`MAX_RETAINED_ITEMS`]), concatenated content ([`MAX_CONTENT_BYTES`]), and
/// — when the budget has a clock — a deadline checked every 65,536 work units. The core has no
/// clock: the Worker passes one; pure tests run without, so their counts are deterministic.
///
/// The budget is shared by reference (interior mutability) and the first failure sticks:
/// once exhausted, lexers see the end of their input, so every loop stops promptly.
pub struct Budget<'c> {
    max_work: u64,
    used: Cell<u64>,
    retained: Cell<u64>,
    content: Cell<u64>,
    failed: Cell<Option<Limit>>,
    clock: Option<(&'c dyn Fn() -> u64, u64)>,
    next_clock_check: Cell<u64>,
}

/// Work units of one form re-entry or one reuse of a cached stream, on top of its bytes.
pub const REENTRY_COST: u64 = 64;
/// Work units of one CMap or width-table entry written (a hash insert, often an allocation).
pub const ENTRY_COST: u64 = 16;
/// Work units of one byte of a shown string (a font lookup), on top of lexing it.
pub const GLYPH_COST: u64 = 4;

impl Default for Budget<'_> {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_WORK)
    }
}

impl fmt::Debug for Budget<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("max_work", &self.max_work)
            .field("used", &self.used.get())
            .field("retained", &self.retained.get())
            .field("content", &self.content.get())
            .field("failed", &self.failed.get())
            .field("deadline", &self.clock.map(|(_, deadline)| deadline))
            .finish_non_exhaustive()
    }
}

impl<'c> Budget<'c> {
    /// A budget of `max_work` units and no deadline.
    #[must_use]
    pub const fn new(max_work: u64) -> Self {
        Budget {
            max_work,
            used: Cell::new(0),
            retained: Cell::new(0),
            content: Cell::new(0),
            failed: Cell::new(None),
            clock: None,
            next_clock_check: Cell::new(0),
        }
    }

    /// The same budget, also ending with [`Limit::Time`] once `clock()` (milliseconds, any
    /// epoch) reaches `deadline_ms`.
    #[must_use]
    pub fn with_deadline(mut self, clock: &'c dyn Fn() -> u64, deadline_ms: u64) -> Self {
        self.clock = Some((clock, deadline_ms));
        self
    }

    /// Work units spent so far.
    #[must_use]
    pub fn used(&self) -> u64 {
        self.used.get()
    }

    /// The limit crossed, if any.
    #[must_use]
    pub fn exceeded(&self) -> Option<Limit> {
        self.failed.get()
    }

    /// Whether a limit was crossed (then every lexer reads as ended).
    pub(crate) fn exhausted(&self) -> bool {
        self.failed.get().is_some()
    }

    /// Records that `limit` was crossed (the first one sticks).
    pub(crate) fn fail(&self, limit: Limit) {
        if self.failed.get().is_none() {
            self.failed.set(Some(limit));
        }
    }

    /// Spends `units`; returns whether the budget still holds.
    pub(crate) fn spend(&self, units: u64) -> bool {
        let used = self.used.get().saturating_add(units);
        self.used.set(used);
        if used > self.max_work {
            self.fail(Limit::Work);
        } else if let Some((clock, deadline)) = self.clock {
            if used >= self.next_clock_check.get() {
                self.next_clock_check.set(used.saturating_add(CLOCK_EVERY));
                if clock() >= deadline {
                    self.fail(Limit::Time);
                }
            }
        }
        !self.exhausted()
    }

    /// Spends `units` for work not done yet: when they would cross the limit, the budget fails
    /// without counting them (the work is never done). Returns whether the budget still holds.
    pub(crate) fn spend_before(&self, units: usize) -> bool {
        let units = u64::try_from(units).unwrap_or(u64::MAX);
        if self.used.get().saturating_add(units) > self.max_work {
            self.fail(Limit::Work);
            return false;
        }
        self.spend(units)
    }

    /// Spends `units` (a `usize` count); see [`Budget::spend`].
    pub(crate) fn spend_n(&self, units: usize) -> bool {
        self.spend(u64::try_from(units).unwrap_or(u64::MAX))
    }

    /// Counts `items` more parsed objects kept in the object table.
    pub(crate) fn retain(&self, items: u64) -> bool {
        let retained = self.retained.get().saturating_add(items);
        self.retained.set(retained);
        if retained > MAX_RETAINED_ITEMS {
            self.fail(Limit::Items);
        }
        !self.exhausted()
    }

    /// Counts `bytes` more of concatenated page content (also spent as work).
    pub(crate) fn content(&self, bytes: usize) -> bool {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        let content = self.content.get().saturating_add(bytes);
        self.content.set(content);
        if content > MAX_CONTENT_BYTES {
            self.fail(Limit::Content);
        }
        self.spend(bytes)
    }

    /// `Err` with the crossed limit, if any.
    pub(crate) fn check(&self) -> Result<(), ExtractError> {
        match self.failed.get() {
            Some(limit) => Err(ExtractError::Limit(limit)),
            None => Ok(()),
        }
    }
}
