//! Plain text from an uploaded résumé (docs/resumes.md#parsing), in the Worker (wasm32) with no native
//! library: the PDF text layer (`pdf.rs`), the body of a DOCX (`word/document.xml`), or
//! the text file itself. The result is tidied: `\n` line ends, one space between words, no
//! control characters, at most one blank line in a row, ligatures (`ﬁ`) spelled out.
//!
//! Every step is bounded so a hostile upload cannot exhaust a Worker's memory or CPU: the
//! input is at most [`MAX_RESUME_BYTES`], all decompression together at most
//! [`MAX_DECOMPRESSED_BYTES`], a PDF at most [`MAX_PDF_OBJECTS`] objects, and the text at most
//! [`MAX_TEXT_BYTES`] (longer text is cut, not refused). On top of those sizes, every step
//! charges one hard [`Budget`] per document (work units, an optional deadline, nesting, items,
//! concatenated content; see its docs): [`extract_text`] uses the default budget and no clock,
//! [`extract_text_within`] the caller's. Failures are an [`ExtractError`] whose message says
//! why, for the résumé's failure reason; none is a panic.
//!
//! DOCX: the ZIP central directory is read, `word/document.xml` inflated (or taken stored) and
//! CRC-checked; text comes from `<w:t>` runs, `<w:tab/>` is a tab, `<w:br/>`/`<w:cr/>` and the
//! end of every paragraph (`</w:p>`) a line break; deleted text (`<w:delText>`), field codes
//! and the `mc:Fallback` copies of text boxes are skipped; XML entities and character
//! references are decoded. Headers, footers, footnotes and comments are not read.

use super::detect::{ResumeKind, MAX_RESUME_BYTES};
pub use super::limits::{
    Budget, ExtractError, Limit, DEFAULT_MAX_WORK, MAX_CONTENT_BYTES, MAX_DECOMPRESSED_BYTES, MAX_NESTING,
    MAX_OBJECT_ITEMS, MAX_PDF_OBJECTS, MAX_RETAINED_ITEMS, MAX_TEXT_BYTES, REENTRY_COST,
};
use super::pdf::extract_pdf;
use super::zip::{self, ZipError};

/// Raw DOCX text kept before tidying (4 MiB): enough for [`MAX_TEXT_BYTES`] of tidy text,
/// and it bounds the memory of the copies tidying makes.
const MAX_RAW_TEXT_BYTES: usize = 4 * MAX_TEXT_BYTES;

/// The text of a résumé of the given kind, tidied, within the default [`Budget`] (no deadline).
pub fn extract_text(kind: ResumeKind, bytes: &[u8]) -> Result<String, ExtractError> {
    extract_text_within(kind, bytes, &Budget::default())
}

/// The text of a résumé of the given kind, tidied, charging `budget` (which the caller may
/// give a deadline, and read afterwards for the work spent).
pub fn extract_text_within(kind: ResumeKind, bytes: &[u8], budget: &Budget) -> Result<String, ExtractError> {
    if bytes.len() > MAX_RESUME_BYTES {
        return Err(ExtractError::TooLarge);
    }
    let tidied = |text: &str| {
        budget.spend_n(text.len());
        budget.check().map(|()| tidy(text))
    };
    match kind {
        ResumeKind::Pdf => {
            let text = tidied(&extract_pdf(bytes, budget)?)?;
            if text.chars().any(char::is_alphanumeric) {
                Ok(text)
            } else {
                Err(ExtractError::NoTextLayer)
            }
        }
        ResumeKind::Docx => non_empty(tidied(&extract_docx(bytes, budget)?)?),
        ResumeKind::Text => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            let text = std::str::from_utf8(bytes).map_err(|_| ExtractError::InvalidText)?;
            non_empty(tidied(text)?)
        }
    }
}

fn non_empty(text: String) -> Result<String, ExtractError> {
    if text.chars().any(char::is_alphanumeric) {
        Ok(text)
    } else {
        Err(ExtractError::EmptyDocument)
    }
}

/// Normalizes extracted text (see the module docs) and caps it at [`MAX_TEXT_BYTES`].
#[must_use]
pub fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT_BYTES));
    let mut blank_lines = 0;
    let text = text.replace("\r\n", "\n");
    for line in text.split(['\n', '\r', '\u{2028}', '\u{2029}', '\u{0B}', '\u{0C}']) {
        let mut clean = String::with_capacity(line.len());
        let mut pending_space = false;
        for c in line.chars() {
            let expanded: &str = match c {
                'ﬀ' => "ff",
                'ﬁ' => "fi",
                'ﬂ' => "fl",
                'ﬃ' => "ffi",
                'ﬄ' => "ffl",
                '\u{AD}' | '\u{200B}' | '\u{FEFF}' => "",
                c if c.is_whitespace() => {
                    pending_space = !clean.is_empty();
                    continue;
                }
                c if c.is_control() || c == '\u{FFFD}' => continue,
                _ => {
                    if pending_space {
                        clean.push(' ');
                        pending_space = false;
                    }
                    clean.push(c);
                    continue;
                }
            };
            if pending_space && !expanded.is_empty() {
                clean.push(' ');
                pending_space = false;
            }
            clean.push_str(expanded);
        }
        if clean.is_empty() {
            blank_lines += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_lines > 0 { "\n\n" } else { "\n" });
        }
        blank_lines = 0;
        if out.len() + clean.len() > MAX_TEXT_BYTES {
            let mut cut = MAX_TEXT_BYTES.saturating_sub(out.len());
            while !clean.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push_str(&clean[..cut]);
            break;
        }
        out.push_str(&clean);
    }
    out
}

fn zip_error(e: ZipError) -> ExtractError {
    match e {
        ZipError::Corrupt(why) => ExtractError::CorruptZip(why),
        ZipError::Encrypted => ExtractError::CorruptZip("the document is encrypted"),
        ZipError::TooLarge => ExtractError::TooLarge,
        ZipError::Limit(limit) => ExtractError::Limit(limit),
    }
}

/// The text of a DOCX's `word/document.xml` (not yet tidied, at most [`MAX_RAW_TEXT_BYTES`]).
fn extract_docx(bytes: &[u8], budget: &Budget) -> Result<String, ExtractError> {
    let entries = zip::entries(bytes, budget).map_err(zip_error)?;
    let entry =
        entries.iter().find(|e| e.name == b"word/document.xml").ok_or(ExtractError::MissingDocumentXml)?;
    let xml = zip::read(bytes, entry, MAX_DECOMPRESSED_BYTES, budget).map_err(zip_error)?;
    drop(entries);
    // The markup is scanned once, linearly.
    budget.spend_n(xml.len());
    budget.check()?;
    let mut text = docx_text(&String::from_utf8_lossy(&xml));
    if text.len() > MAX_RAW_TEXT_BYTES {
        let mut cut = MAX_RAW_TEXT_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    Ok(text)
}

/// Decodes XML entities and character references; unknown ones stay as written.
fn unescape_into(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // Entities are short: look for the `;` in the next few bytes only (no quadratic scan).
        let decoded = rest.bytes().take(13).position(|b| b == b';').and_then(|end| {
            let c = match &rest[1..end] {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                entity => {
                    let code =
                        if let Some(hex) = entity.strip_prefix("#x").or_else(|| entity.strip_prefix("#X")) {
                            u32::from_str_radix(hex, 16).ok()
                        } else {
                            entity.strip_prefix('#').and_then(|dec| dec.parse().ok())
                        };
                    code.and_then(char::from_u32)
                }
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

/// The text runs of WordprocessingML, paragraphs on their own lines.
fn docx_text(xml: &str) -> String {
    let mut out = String::new();
    let mut in_text = false;
    let mut fallback_depth = 0usize;
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        if in_text && fallback_depth == 0 {
            unescape_into(&rest[..lt], &mut out);
        }
        rest = &rest[lt..];
        // Comments, CDATA, processing instructions and declarations.
        if let Some(body) = rest.strip_prefix("<!--") {
            rest = body.find("-->").map_or("", |end| &body[end + 3..]);
            continue;
        }
        if let Some(body) = rest.strip_prefix("<![CDATA[") {
            let end = body.find("]]>").unwrap_or(body.len());
            if in_text && fallback_depth == 0 {
                out.push_str(&body[..end]);
            }
            rest = body.get(end + 3..).unwrap_or("");
            continue;
        }
        if rest.starts_with("<?") || rest.starts_with("<!") {
            rest = rest.find('>').map_or("", |end| &rest[end + 1..]);
            continue;
        }
        // A tag: find its end outside quoted attribute values.
        let mut quote: Option<char> = None;
        let mut end = None;
        for (i, c) in rest.char_indices().skip(1) {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '>') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        let closing = tag.starts_with('/');
        let self_closing = tag.ends_with('/');
        let name =
            tag.trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
        match (name, closing, self_closing) {
            ("mc:Fallback", false, false) => fallback_depth += 1,
            ("mc:Fallback", true, _) => fallback_depth = fallback_depth.saturating_sub(1),
            _ if fallback_depth > 0 => {}
            ("w:t", false, false) => in_text = true,
            ("w:t", true, _) => in_text = false,
            ("w:tab" | "w:ptab", false, _) => out.push('\t'),
            ("w:br" | "w:cr", false, _) => out.push('\n'),
            ("w:noBreakHyphen", false, _) => out.push('-'),
            ("w:p", true, _) => out.push('\n'),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::resume::detect::detect;
    use crate::domain::resume::fixtures::{
        docx_from_document_xml, pdf_document, pdf_stream, tiny_docx, tiny_pdf, zip_archive,
        DOCX_CONTENT_TYPES,
    };

    const RESUME: &str = "Jane Doe — Senior Software Engineer\n\
        Skills: Python, Django, PostgreSQL, Docker, AWS, pytest\n\
        Experience: Acme Corp (2019 – 2023), building REST APIs (100% uptime) & more";

    #[test]
    fn a_real_pdf_gives_back_its_text() {
        let pdf = tiny_pdf(RESUME);
        assert_eq!(detect(&pdf), Some(ResumeKind::Pdf));
        let text = extract_text(ResumeKind::Pdf, &pdf).unwrap();
        assert_eq!(text, RESUME);
    }

    #[test]
    fn a_real_docx_gives_back_its_text() {
        let docx = tiny_docx(RESUME);
        assert_eq!(detect(&docx), Some(ResumeKind::Docx));
        assert_eq!(extract_text(ResumeKind::Docx, &docx).unwrap(), RESUME);
    }

    #[test]
    fn text_files_are_tidied() {
        let text = extract_text(
            ResumeKind::Text,
            b"\xEF\xBB\xBF  Jane   Doe \r\n\r\n\r\n\tRust\x07 \xEF\xAC\x81rst\n",
        )
        .unwrap();
        assert_eq!(text, "Jane Doe\n\nRust first");
        assert_eq!(extract_text(ResumeKind::Text, b"caf\xE9"), Err(ExtractError::InvalidText));
        assert_eq!(extract_text(ResumeKind::Text, b" \n \n"), Err(ExtractError::EmptyDocument));
    }

    #[test]
    fn docx_markup_becomes_lines_tabs_and_characters() {
        let xml = r#"<?xml version="1.0"?><w:document xmlns:w="w" xmlns:mc="mc"><w:body>
            <w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:t>Jane</w:t></w:r><w:r><w:t xml:space="preserve"> Doe</w:t></w:r></w:p>
            <w:p><w:r><w:t>C&amp;C++ &lt;3 &#x2014; &#233;t&eacute;</w:t><w:tab/><w:t>Go</w:t><w:br/><w:t>Rust</w:t></w:r></w:p>
            <!-- <w:t>commented</w:t> -->
            <w:p><w:r><w:delText>deleted</w:delText><w:instrText>HYPERLINK "x"</w:instrText><w:t>kept</w:t></w:r></w:p>
            <w:p><mc:AlternateContent><mc:Choice><w:t>Box</w:t></mc:Choice><mc:Fallback><w:t>Box</w:t></mc:Fallback></mc:AlternateContent></w:p>
            <w:p><w:r><w:t a="1>2">quoted &gt; attr</w:t></w:r></w:p>
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
            </w:body></w:document>"#;
        let text = extract_text(ResumeKind::Docx, &docx_from_document_xml(xml)).unwrap();
        assert_eq!(text, "Jane Doe\nC&C++ <3 — ét&eacute; Go\nRust\nkept\nBox\nquoted > attr\ncell");
    }

    #[test]
    fn corrupt_and_foreign_files_fail_with_clear_reasons() {
        // A PDF header and nothing else.
        let err = extract_text(ResumeKind::Pdf, b"%PDF-1.7\n%%EOF").unwrap_err();
        assert!(matches!(err, ExtractError::CorruptPdf(_)), "{err:?}");
        assert!(err.to_string().starts_with("the PDF is damaged"));
        // Random bytes after the header.
        let mut junk = b"%PDF-1.4\n".to_vec();
        junk.extend((0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        assert!(extract_text(ResumeKind::Pdf, &junk).is_err());
        // A page whose content is an image only.
        let scanned = pdf_document(&[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
            pdf_stream("", b"q 612 0 0 792 0 0 cm /Im0 Do Q", true),
            pdf_stream("/Type /XObject /Subtype /Image /Width 1 /Height 1 /BitsPerComponent 8 /ColorSpace /DeviceGray", b"\x00", false),
        ]);
        let err = extract_text(ResumeKind::Pdf, &scanned).unwrap_err();
        assert_eq!(err, ExtractError::NoTextLayer);
        assert!(err.to_string().contains("no text layer"));
        // A truncated DOCX.
        let mut docx = tiny_docx("Rust");
        docx.truncate(docx.len() - 30);
        let err = extract_text(ResumeKind::Docx, &docx).unwrap_err();
        assert!(matches!(err, ExtractError::CorruptZip(_)), "{err:?}");
        assert!(err.to_string().starts_with("the DOCX file is damaged"));
        // A damaged entry: flipped bytes in the deflated document.
        let mut docx = tiny_docx("Rust and Kubernetes and a long enough line to compress");
        let at = crate::domain::resume::detect::find(&docx, b"word/document.xml", 0).unwrap() + 20;
        docx[at] ^= 0x55;
        docx[at + 1] ^= 0x55;
        assert!(matches!(extract_text(ResumeKind::Docx, &docx), Err(ExtractError::CorruptZip(_))));
        // A ZIP that is not a Word document.
        let xlsx = zip_archive(&[
            ("[Content_Types].xml", DOCX_CONTENT_TYPES.as_bytes(), true),
            ("xl/workbook.xml", b"<x/>", true),
        ]);
        assert_eq!(extract_text(ResumeKind::Docx, &xlsx), Err(ExtractError::MissingDocumentXml));
        // A Word document with no text.
        assert_eq!(extract_text(ResumeKind::Docx, &tiny_docx("")), Err(ExtractError::EmptyDocument));
    }

    #[test]
    fn stored_entries_are_read_and_checksums_checked() {
        let xml = crate::domain::resume::fixtures::docx_document_xml("Stored Rust");
        let stored = zip_archive(&[("word/document.xml", xml.as_bytes(), false)]);
        assert_eq!(extract_text(ResumeKind::Docx, &stored).unwrap(), "Stored Rust");
        let mut bad = stored.clone();
        let at = crate::domain::resume::detect::find(&bad, b"Stored Rust", 0).unwrap();
        bad[at] = b's';
        assert_eq!(
            extract_text(ResumeKind::Docx, &bad),
            Err(ExtractError::CorruptZip("a ZIP entry fails its checksum"))
        );
    }

    #[test]
    fn oversized_inputs_are_refused() {
        let big = vec![b'a'; MAX_RESUME_BYTES + 1];
        assert_eq!(extract_text(ResumeKind::Text, &big), Err(ExtractError::TooLarge));
        // A DOCX whose document.xml inflates beyond the limit.
        let bomb_xml = vec![b' '; MAX_DECOMPRESSED_BYTES + 1];
        let bomb = zip_archive(&[("word/document.xml", &bomb_xml, true)]);
        assert!(bomb.len() < 100_000);
        assert_eq!(extract_text(ResumeKind::Docx, &bomb), Err(ExtractError::TooLarge));
    }

    #[test]
    fn hostile_markup_stays_linear() {
        let ampersands = format!("<w:p><w:t>{}</w:t></w:p>", "&".repeat(2_000_000));
        assert_eq!(docx_text(&ampersands).len(), 2_000_001);
        let unterminated = format!("<w:t>{}<w:p", "x".repeat(1000));
        assert_eq!(docx_text(&unterminated), "x".repeat(1000));
    }

    #[test]
    fn long_text_is_capped() {
        let line = "Rust and Python ".repeat(1000);
        let text = format!("{line}\n").repeat(100);
        let out = tidy(&text);
        assert!(out.len() <= MAX_TEXT_BYTES && out.len() > MAX_TEXT_BYTES - line.len());
    }

    #[test]
    fn error_codes_are_stable() {
        let all = [
            ExtractError::EncryptedPdf,
            ExtractError::NoTextLayer,
            ExtractError::CorruptPdf("x"),
            ExtractError::CorruptZip("y"),
            ExtractError::MissingDocumentXml,
            ExtractError::EmptyDocument,
            ExtractError::InvalidText,
            ExtractError::TooLarge,
            ExtractError::Limit(Limit::Work),
            ExtractError::Limit(Limit::Time),
            ExtractError::Limit(Limit::Depth),
            ExtractError::Limit(Limit::Items),
            ExtractError::Limit(Limit::Content),
        ];
        let codes: std::collections::BTreeSet<&str> = all.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), all.len());
        // Sizes and budget limits are final (never retried); damage is retried like before.
        let finals: Vec<&str> = all.iter().filter(|e| e.is_final()).map(|e| e.code()).collect();
        assert_eq!(
            finals,
            ["too_large", "work_limit", "time_limit", "depth_limit", "item_limit", "content_limit"]
        );
        assert!(all.iter().all(|e| !e.to_string().is_empty()));
    }
}
