//! Small, real résumé files built in code, for tests (unit and integration) to parse and upload:
//! [`tiny_pdf`] writes a one-page PDF whose text layer is a DEFLATE-compressed content stream
//! with a classic cross-reference table; [`tiny_docx`] writes a DOCX (a ZIP with
//! `[Content_Types].xml`, `_rels/.rels` and a deflated `word/document.xml`) that word processors
//! open. The lower-level builders let tests make variants (other objects, damaged archives).
//!
//! Not used by the service itself; public (and hidden from the docs) so `tests/` can use it.

use miniz_oxide::deflate::{compress_to_vec, compress_to_vec_zlib};

use super::pdf::WIN_ANSI_HIGH;
use super::zip::crc32;

/// A PDF literal string for `text` in WinAnsi: `(`, `)` and `\` escaped, Latin-1 characters
/// and WinAnsi's extras (`€`, `–`, `—`, curly quotes, `•`, …) written as octal escapes of their
/// WinAnsi bytes, anything else replaced by `?`.
#[must_use]
pub fn pdf_literal(text: &str) -> Vec<u8> {
    let mut out = vec![b'('];
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push(b'\\');
                out.push(c as u8);
            }
            ' '..='~' => out.push(c as u8),
            _ => {
                let latin1 = u8::try_from(u32::from(c)).ok().filter(|b| *b >= 0xA0);
                let win_ansi = WIN_ANSI_HIGH
                    .iter()
                    .position(|w| *w == Some(c))
                    .and_then(|i| u8::try_from(0x80 + i).ok());
                match latin1.or(win_ansi) {
                    Some(byte) => out.extend_from_slice(format!("\\{byte:03o}").as_bytes()),
                    None => out.push(b'?'),
                }
            }
        }
    }
    out.push(b')');
    out
}

/// A stream object's body: `<< /Length n {dict} >> stream … endstream`, its data
/// zlib-compressed with `/Filter /FlateDecode` when `compress`.
#[must_use]
pub fn pdf_stream(dict: &str, data: &[u8], compress: bool) -> Vec<u8> {
    let (data, filter) =
        if compress { (compress_to_vec_zlib(data, 6), " /Filter /FlateDecode") } else { (data.to_vec(), "") };
    let mut out = format!("<< /Length {}{filter} {dict} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\nendstream");
    out
}

/// A complete PDF from object bodies: `objects[i]` becomes object `i + 1`, then a classic
/// cross-reference table and a trailer whose `/Root` is object 1.
#[must_use]
pub fn pdf_document(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

/// A one-page PDF (Helvetica, WinAnsi) showing `text`, one PDF text line per line of `text`,
/// in a FlateDecode content stream.
#[must_use]
pub fn tiny_pdf(text: &str) -> Vec<u8> {
    let mut content = b"BT\n/F1 11 Tf\n14 TL\n72 760 Td\n".to_vec();
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            content.extend_from_slice(b"T*\n");
        }
        content.extend_from_slice(&pdf_literal(line));
        content.extend_from_slice(b" Tj\n");
    }
    content.extend_from_slice(b"ET\n");
    pdf_document(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> \
          /Contents 4 0 R >>"
            .to_vec(),
        pdf_stream("", &content, true),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
    ])
}

/// A ZIP archive of `(name, data, deflate)` files (DEFLATE when `deflate`, else stored), with
/// correct CRC-32s and a central directory.
#[must_use]
pub fn zip_archive(files: &[(&str, &[u8], bool)]) -> Vec<u8> {
    const DOS_DATE_1980_01_01: u16 = 0x21;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, deflate) in files {
        let (method, stored): (u16, Vec<u8>) =
            if *deflate { (8, compress_to_vec(data, 6)) } else { (0, data.to_vec()) };
        let header = |sig: u32, central: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // version made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // version needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&method.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // time
            h.extend_from_slice(&DOS_DATE_1980_01_01.to_le_bytes());
            h.extend_from_slice(&crc32(data).to_le_bytes());
            h.extend_from_slice(&u32::try_from(stored.len()).unwrap_or(u32::MAX).to_le_bytes());
            h.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
            h.extend_from_slice(&u16::try_from(name.len()).unwrap_or(u16::MAX).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra length
            h
        };
        let offset = u32::try_from(out.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&header(0x0403_4b50, false));
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&stored);
        central.extend_from_slice(&header(0x0201_4b50, true));
        central.extend_from_slice(&[0; 10]); // comment length, disk, internal and external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = u32::try_from(out.len()).unwrap_or(u32::MAX);
    let cd_size = u32::try_from(central.len()).unwrap_or(u32::MAX);
    let count = u16::try_from(files.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disk numbers
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}

/// `text` with XML's special characters escaped.
#[must_use]
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// The `[Content_Types].xml` and `_rels/.rels` every DOCX has.
pub const DOCX_CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
pub const DOCX_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

/// A `word/document.xml` with one paragraph per line of `text`.
#[must_use]
pub fn docx_document_xml(text: &str) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document \
         xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>",
    );
    for line in text.lines() {
        xml.push_str("<w:p><w:r><w:t xml:space=\"preserve\">");
        xml.push_str(&xml_escape(line));
        xml.push_str("</w:t></w:r></w:p>");
    }
    xml.push_str("<w:sectPr/></w:body></w:document>");
    xml
}

/// A DOCX whose body has one paragraph per line of `text`.
#[must_use]
pub fn tiny_docx(text: &str) -> Vec<u8> {
    docx_from_document_xml(&docx_document_xml(text))
}

/// A DOCX around a given `word/document.xml`.
#[must_use]
pub fn docx_from_document_xml(document_xml: &str) -> Vec<u8> {
    zip_archive(&[
        ("[Content_Types].xml", DOCX_CONTENT_TYPES.as_bytes(), true),
        ("_rels/.rels", DOCX_RELS.as_bytes(), true),
        ("word/document.xml", document_xml.as_bytes(), true),
    ])
}
