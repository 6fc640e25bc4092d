//! CSV exports (RFC 4180): a header row, CRLF line ends, UTF-8, every field quoted when it
//! holds a comma, quote or line break, and spreadsheet formula injection neutralised — a text
//! cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so a
//! candidate named `=HYPERLINK(…)` stays text in Excel, LibreOffice and Google Sheets.

/// The `Content-Type` of an export.
pub const CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// One text cell, neutralised and quoted as needed.
#[must_use]
pub fn cell(value: &str) -> String {
    let risky = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let value = if risky { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// A number cell (never neutralised: we format it ourselves); empty for `None`.
#[must_use]
pub fn number(value: Option<f64>) -> String {
    value.map(|v| format!("{}", (v * 100.0).round() / 100.0)).unwrap_or_default()
}

/// One row of text cells, with its CRLF.
#[must_use]
pub fn row<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = cells.iter().map(|c| cell(c.as_ref())).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// A `Content-Disposition` for a download named `name` (ASCII letters, digits, `-`, `_`, `.`).
#[must_use]
pub fn attachment(name: &str) -> String {
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    format!("attachment; filename=\"{safe}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_only_when_needed() {
        assert_eq!(cell("Ada Lovelace"), "Ada Lovelace");
        assert_eq!(cell("Lovelace, Ada"), "\"Lovelace, Ada\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("Zoë 🚀"), "Zoë 🚀");
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("=HYPERLINK(\"x\",\"y\")"), "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
        assert_eq!(cell("a=b"), "a=b");
    }

    #[test]
    fn rows_end_with_crlf_and_numbers_are_plain() {
        assert_eq!(row(&["a", "b,c"]), "a,\"b,c\"\r\n");
        assert_eq!(number(Some(72.456)), "72.46");
        assert_eq!(number(None), "");
        assert_eq!(attachment("job 1/results.csv"), "attachment; filename=\"job_1_results.csv\"");
    }
}
