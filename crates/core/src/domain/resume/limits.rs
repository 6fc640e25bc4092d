//! What résumé text extraction may cost and why it fails: the limits every step is bounded by and
//! the [`ExtractError`] it reports. Shared by `extract.rs` (DOCX, text) and `pdf.rs` (the PDF
//! text layer), which both import it; `extract` re-exports it.

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
        }
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
        }
    }
}

impl std::error::Error for ExtractError {}
