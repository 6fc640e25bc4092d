//! Hostile and heavy résumé files built in code (issue #15), for the extractor's unit tests
//! (`hostile.rs`) and the integration tests that upload them (`tests/hostile_uploads.rs`): the
//! three PDFs of the issue, ZIP/DOCX bombs, and a dense 30-page résumé (the heaviest legitimate
//! document the budget is sized for).
//!
//! Not used by the service itself; public (and hidden from the docs) so `tests/` can use it.

use super::fixtures::{pdf_document, pdf_literal, pdf_stream, tiny_docx, zip_archive};

/// A zlib stream inflating to at least `size` spaces, written directly (one fixed-Huffman block of
/// a literal and 258-byte back-references: 13 bits each), so tests need not deflate megabytes.
#[must_use]
pub fn zlib_bomb(size: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }
    impl Bits {
        /// `n` bits of `value`, least significant first (headers and extra bits).
        fn put(&mut self, value: u32, n: u32) {
            for i in 0..n {
                self.acc |= ((value >> i) & 1) << self.n;
                self.n += 1;
                if self.n == 8 {
                    self.out.push(self.acc as u8);
                    (self.acc, self.n) = (0, 0);
                }
            }
        }
        /// A Huffman code of `n` bits, most significant first.
        fn code(&mut self, code: u32, n: u32) {
            for i in (0..n).rev() {
                self.put((code >> i) & 1, 1);
            }
        }
    }
    let mut bits = Bits { out: vec![0x78, 0x01], acc: 0, n: 0 };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman
    bits.code(0x30 + u32::from(b' '), 8); // literal ' '
    for _ in 0..size.div_ceil(258) {
        bits.code(0b1100_0101, 8); // length 258 (code 285)
        bits.code(0, 5); // distance 1
    }
    bits.code(0, 7); // end of block
    bits.put(0, 7); // flush (the Adler-32 that follows is not checked before the limit)
    bits.out.extend_from_slice(&[0, 0, 0, 0]);
    bits.out
}

/// A one-page PDF: `content` as the page's (compressed) content stream, `extra` objects from 5 on,
/// the page's resources `resources` (a dictionary's body).
#[must_use]
pub fn page_pdf(content: &[u8], resources: &str, extra: Vec<Vec<u8>>) -> Vec<u8> {
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!("<< /Type /Page /Parent 2 0 R /Resources << {resources} >> /Contents 4 0 R >>").into_bytes(),
        pdf_stream("", content, true),
    ];
    objects.extend(extra);
    pdf_document(&objects)
}

/// Issue #15's first file: a form XObject of thousands of operands, drawn by a hundred thousand
/// `Do`s (each used to re-lex the whole form for free).
#[must_use]
pub fn form_drawn_many_times() -> Vec<u8> {
    let form = "1 ".repeat(5_000);
    let page = "/X Do ".repeat(100_000);
    page_pdf(
        page.as_bytes(),
        "/XObject << /X 5 0 R >>",
        vec![pdf_stream("/Type /XObject /Subtype /Form /BBox [0 0 1 1]", form.as_bytes(), true)],
    )
}

/// Issue #15's second file: forms that draw themselves several times, up to the form depth
/// (10 `Do`s a level, 8 levels: 10^8 re-entries).
#[must_use]
pub fn self_drawing_forms() -> Vec<u8> {
    let mut form = "BT /F1 1 Tf (x) Tj ET ".to_owned();
    form.push_str(&"/X Do ".repeat(10));
    form.push_str(&"0 0 m ".repeat(2_000));
    page_pdf(
        b"/X Do",
        "/XObject << /X 5 0 R >>",
        vec![pdf_stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /X 5 0 R >> >>",
            form.as_bytes(),
            true,
        )],
    )
}

/// Issue #15's third file: `/Contents` listing one 16 KiB stream 5,000 times (80 MB of page
/// content from a 20 KB file).
#[must_use]
pub fn contents_repeating_one_stream() -> Vec<u8> {
    let body = "BT /F1 10 Tf (Repeated) Tj ET ".repeat(16 * 1024 / 30);
    let contents = "5 0 R ".repeat(5_000);
    pdf_document(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>".to_vec(),
        format!("[{contents}]").into_bytes(),
        pdf_stream("", body.as_bytes(), true),
    ])
}

/// A DOCX whose `word/document.xml` declares `declared` bytes uncompressed (patched into the
/// central directory; the data is a small deflated document).
#[must_use]
pub fn docx_declaring(declared: u32) -> Vec<u8> {
    let mut zip = tiny_docx("Rust");
    let Some(central) = super::detect::find(&zip, b"PK\x01\x02", 0) else { return zip };
    let mut at = central;
    // The third central entry is word/document.xml.
    for _ in 0..2 {
        let name_len = usize::from(u16::from_le_bytes([zip[at + 28], zip[at + 29]]));
        at += 46 + name_len;
    }
    zip[at + 24..at + 28].copy_from_slice(&declared.to_le_bytes());
    zip
}

/// A DOCX whose `word/document.xml` is `mib` MiB of empty paragraphs, deflated (about a
/// thousandth of that on disk) and declared truthfully: within the decompression cap, it costs
/// its size twice (inflating, then scanning).
#[must_use]
pub fn docx_of_markup(mib: usize) -> Vec<u8> {
    let xml = format!("<w:document>{}</w:document>", "<w:p/>".repeat(mib * 1024 * 1024 / 6));
    zip_archive(&[("word/document.xml", xml.as_bytes(), true)])
}

/// The text of one page of [`dense_pdf`]: 60 lines of skills and dates.
#[must_use]
pub fn dense_page_text() -> String {
    let line = "Senior engineer: Rust, Python, Kubernetes, PostgreSQL, AWS — 2015 to 2024 at Acme Corp.";
    (0..60).map(|i| format!("{line} {i}\n")).collect()
}

/// A PDF of `pages` pages of dense text ([`dense_page_text`] each), one compressed content stream
/// a page, a shared Helvetica font.
#[must_use]
pub fn dense_pdf(pages: usize) -> Vec<u8> {
    let page = dense_page_text();
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} /Resources << /Font << /F1 3 0 R >> >> >>",
            (0..pages).map(|i| format!("{} 0 R ", 4 + 2 * i)).collect::<String>()
        )
        .into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ];
    for i in 0..pages {
        objects.push(format!("<< /Type /Page /Parent 2 0 R /Contents {} 0 R >>", 5 + 2 * i).into_bytes());
        let mut content = b"BT /F1 10 Tf 12 TL 72 760 Td ".to_vec();
        for l in page.lines() {
            content.extend_from_slice(&pdf_literal(l));
            content.extend_from_slice(b" ' ");
        }
        content.extend_from_slice(b"ET");
        objects.push(pdf_stream("", &content, true));
    }
    pdf_document(&objects)
}
