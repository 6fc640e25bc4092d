//! What kind of résumé an upload is, by its bytes rather than its name or declared type
//! (docs/resumes.md#upload): PDF, DOCX or plain text; anything else is refused with 415.
//!
//! - PDF: the file starts with `%PDF-`.
//! - DOCX: a ZIP (`PK\x03\x04`) holding a `word/document.xml` part. The part name is looked for
//!   anywhere in the file (ZIP stores names uncompressed in the local and central headers), so a
//!   damaged DOCX is still recognised and then fails parsing with a clear reason instead of
//!   being refused as "unsupported".
//! - Text: valid UTF-8 (a BOM is allowed), no NUL byte, and at least 95% of its characters
//!   printable or ordinary whitespace. UTF-16 text (full of NULs) is not accepted.
//!
//! An empty file is nothing. Images, executables, archives and other binaries fail every test
//! (they are not valid UTF-8 or contain NULs).

use serde::{Deserialize, Serialize};

/// Largest résumé accepted (10 MiB); larger uploads are refused with 413.
pub const MAX_RESUME_BYTES: usize = 10 * 1024 * 1024;

/// A supported résumé format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResumeKind {
    Pdf,
    Docx,
    Text,
}

impl ResumeKind {
    /// The MIME type to store the object with.
    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            ResumeKind::Pdf => "application/pdf",
            ResumeKind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ResumeKind::Text => "text/plain; charset=utf-8",
        }
    }

    /// A file extension for downloads.
    #[must_use]
    pub const fn extension(self) -> &'static str {
        match self {
            ResumeKind::Pdf => "pdf",
            ResumeKind::Docx => "docx",
            ResumeKind::Text => "txt",
        }
    }

    /// The MIME type stored in D1 (its CHECK lists bare types, without parameters).
    #[must_use]
    pub const fn stored_content_type(self) -> &'static str {
        match self {
            ResumeKind::Text => "text/plain",
            other => other.content_type(),
        }
    }

    /// A file name safe to store and show: the last path segment of `name` without control
    /// characters, trimmed, at most 255 characters; `resume.<ext>` when nothing is left.
    #[must_use]
    pub fn display_file_name(self, name: &str) -> String {
        let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
        let cleaned: String = base.chars().filter(|c| !c.is_control()).take(255).collect();
        let cleaned = cleaned.trim();
        if cleaned.is_empty() {
            format!("resume.{}", self.extension())
        } else {
            cleaned.to_owned()
        }
    }

    /// The lower-case name (`pdf`, `docx`, `text`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ResumeKind::Pdf => "pdf",
            ResumeKind::Docx => "docx",
            ResumeKind::Text => "text",
        }
    }
}

/// Whether `needle` occurs in `haystack`.
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle, 0).is_some()
}

/// The first position at or after `from` where `needle` occurs.
pub(crate) fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let first = *needle.first()?;
    let mut at = from;
    while at + needle.len() <= haystack.len() {
        let offset = haystack.get(at..)?.iter().position(|&b| b == first)?;
        at += offset;
        if haystack.get(at..at + needle.len()) == Some(needle) {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// Whether `bytes` is a plain-text document (see the module docs).
fn is_text(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.contains(&0) {
        return false;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let (mut total, mut odd) = (0usize, 0usize);
    for c in text.chars() {
        total += 1;
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{0C}') {
            odd += 1;
        }
    }
    total > 0 && text.chars().any(|c| !c.is_whitespace()) && odd * 20 <= total
}

/// The kind of résumé `bytes` is, or `None` (415).
#[must_use]
pub fn detect(bytes: &[u8]) -> Option<ResumeKind> {
    if bytes.starts_with(b"%PDF-") {
        Some(ResumeKind::Pdf)
    } else if bytes.starts_with(b"PK\x03\x04") {
        contains(bytes, b"word/document.xml").then_some(ResumeKind::Docx)
    } else if is_text(bytes) {
        Some(ResumeKind::Text)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::resume::fixtures::{tiny_docx, tiny_pdf};

    #[test]
    fn file_names_are_cleaned() {
        let k = ResumeKind::Pdf;
        assert_eq!(k.display_file_name("cv.pdf"), "cv.pdf");
        assert_eq!(k.display_file_name("C:\\Users\\me\\cv final.pdf"), "cv final.pdf");
        assert_eq!(k.display_file_name("../../etc/passwd"), "passwd");
        assert_eq!(k.display_file_name(" a\u{0}b\n.pdf "), "ab.pdf");
        assert_eq!(k.display_file_name("dir/"), "resume.pdf");
        assert_eq!(ResumeKind::Text.display_file_name(""), "resume.txt");
        assert_eq!(k.display_file_name(&"x".repeat(300)).chars().count(), 255);
        assert_eq!(ResumeKind::Text.stored_content_type(), "text/plain");
        assert_eq!(ResumeKind::Pdf.stored_content_type(), "application/pdf");
    }

    #[test]
    fn real_documents_are_recognised() {
        assert_eq!(detect(&tiny_pdf("Jane Doe\nRust, Python")), Some(ResumeKind::Pdf));
        assert_eq!(detect(&tiny_docx("Jane Doe\nRust, Python")), Some(ResumeKind::Docx));
        assert_eq!(detect(b"Jane Doe\nSkills: Rust, Python\n"), Some(ResumeKind::Text));
        assert_eq!(detect("Zoë Müller — Ingénieure\r\n\tTypeScript".as_bytes()), Some(ResumeKind::Text));
        assert_eq!(detect(b"\xEF\xBB\xBFwith a BOM"), Some(ResumeKind::Text));
        assert_eq!(detect(b"%PDF-1.4\n%garbage after"), Some(ResumeKind::Pdf));
    }

    #[test]
    fn images_executables_and_other_binaries_are_refused() {
        let cases: &[(&str, &[u8])] = &[
            ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"),
            ("jpeg", b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01"),
            ("gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff"),
            ("elf", b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00"),
            ("pe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"),
            ("wasm", b"\x00asm\x01\x00\x00\x00"),
            ("plain zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00xl/workbook.xml"),
            ("old doc", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"),
            ("utf-16", b"\xFF\xFEh\x00i\x00"),
            ("webm", b"\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01"),
            ("invalid utf-8", b"caf\xE9 au lait"),
            ("control characters", b"\x01\x02\x03\x04\x05 text \x06\x07\x08\x0e\x0f"),
            ("empty", b""),
            ("blank", b" \n\t\r\n"),
        ];
        for (name, bytes) in cases {
            assert_eq!(detect(bytes), None, "{name}");
        }
    }

    #[test]
    fn a_damaged_docx_is_still_a_docx() {
        let mut docx = tiny_docx("Rust");
        docx.truncate(docx.len() - 60); // the central directory is gone
        assert!(crate::domain::resume::extract::extract_text(ResumeKind::Docx, &docx).is_err());
        assert_eq!(detect(&docx), Some(ResumeKind::Docx));
    }

    #[test]
    fn kinds_have_content_types_and_names() {
        assert_eq!(ResumeKind::Pdf.content_type(), "application/pdf");
        assert!(ResumeKind::Docx.content_type().contains("wordprocessingml"));
        assert!(ResumeKind::Text.content_type().starts_with("text/plain"));
        assert_eq!(serde_json::to_string(&ResumeKind::Docx).unwrap(), "\"docx\"");
        assert_eq!(ResumeKind::Text.extension(), "txt");
        assert_eq!(ResumeKind::Text.as_str(), "text");
    }

    #[test]
    fn find_locates_needles() {
        assert_eq!(find(b"abcabc", b"ca", 0), Some(2));
        assert_eq!(find(b"abcabc", b"abc", 1), Some(3));
        assert_eq!(find(b"abc", b"abcd", 0), None);
        assert_eq!(find(b"abc", b"", 0), None);
        assert!(contains(b"xxword/document.xml", b"word/document.xml"));
    }
}
