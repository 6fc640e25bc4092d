//! Text from a PDF's text layer, for résumés: enough of PDF to read what word processors,
//! browsers and TeX write, bounded so a hostile file cannot exhaust memory or time.
//!
//! How:
//! 1. Objects are found by scanning for `N G obj` (the cross-reference table is not trusted, so
//!    damaged or truncated files still yield their objects); stream data is located by a direct
//!    `/Length` when it checks out, else by `endstream`. Later definitions win (incremental
//!    updates). Compressed object streams (`/Type /ObjStm`) are expanded.
//! 2. A `/Encrypt` entry outside stream data means an encrypted file: refused.
//! 3. Pages in page-tree order (else every `/Type /Page` in object order); each page's content
//!    streams are decoded (`FlateDecode`, `ASCIIHexDecode`, `ASCII85Decode`; other filters are
//!    skipped) and interpreted: text operators `Tj`, `TJ`, `'`, `"` with literal (all escapes)
//!    and hex strings; `Td`, `TD`, `Tm`, `T*`, `cm`, `q`/`Q` track the pen so that a line break
//!    or a word gap becomes `\n` or a space (glyph widths from `/Widths` or `/W`); form
//!    XObjects (`Do`) are followed; inline images are skipped.
//! 4. Strings become text through the font's `/ToUnicode` CMap (`bfchar`, `bfrange`) when it
//!    has one, else through its simple encoding (WinAnsi, with `/Differences` glyph names
//!    for the common Latin glyphs).
//!
//! Limits (documented, by design): Type0/CID fonts are read as 2-byte codes and only through
//! their `/ToUnicode` CMap (a CID font without one yields no text); MacRoman and Standard
//! encodings are read as WinAnsi; vertical writing, Type3 glyph procedures, `ActualText` and
//! LZW/RunLength streams are ignored; no OCR, so a scanned résumé has no text layer.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::rc::Rc;

use miniz_oxide::inflate::core::inflate_flags::{
    TINFL_FLAG_PARSE_ZLIB_HEADER, TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
};
use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

use super::detect::find;
use super::limits::{
    Budget, ExtractError, Limit, ENTRY_COST, GLYPH_COST, MAX_DECOMPRESSED_BYTES, MAX_NESTING,
    MAX_OBJECT_ITEMS, MAX_PDF_OBJECTS, MAX_TEXT_BYTES, REENTRY_COST,
};

/// Pages read per document.
const MAX_PAGES: usize = 2_000;
/// Page-tree levels and reference chains followed (deeper ones are cut, not refused).
const MAX_DEPTH: usize = 32;
/// Nesting of form XObjects.
const MAX_FORM_DEPTH: usize = 8;
/// Entries of one ToUnicode CMap or CID width table.
const MAX_CMAP_ENTRIES: usize = 100_000;
/// Entries of all font tables (CMaps, widths) of one document together.
const MAX_FONT_TABLE_ENTRIES: usize = 500_000;
/// Saved graphics states (`q`).
const MAX_SAVED_STATES: usize = 256;
/// Operands kept before an operator.
const MAX_OPERANDS: usize = 64;

// ---------------------------------------------------------------------------------------------
// Objects and the lexer.

#[derive(Debug, Clone, PartialEq)]
enum Obj {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    Str(Vec<u8>),
    Array(Vec<Obj>),
    Dict(Dict),
    /// An indirect reference (object number; the generation is ignored).
    Ref(u32),
    /// A bare keyword: an operator in a content stream, `obj`/`stream`/… elsewhere.
    Keyword(Vec<u8>),
}

static NULL: Obj = Obj::Null;

/// A dictionary, sorted by key (the first of duplicate keys kept), so a lookup costs
/// `O(log n)` however large a hostile dictionary is.
#[derive(Debug, Clone, PartialEq, Default)]
struct Dict(Vec<(Vec<u8>, Obj)>);

impl Dict {
    fn new(mut entries: Vec<(Vec<u8>, Obj)>) -> Self {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| later.0 == earlier.0);
        Dict(entries)
    }

    fn get(&self, key: &[u8]) -> Option<&Obj> {
        self.0.binary_search_by(|(k, _)| k.as_slice().cmp(key)).ok().map(|i| &self.0[i].1)
    }
}

impl Obj {
    fn number(&self) -> Option<f64> {
        match self {
            #[allow(clippy::cast_precision_loss)]
            Obj::Int(n) => Some(*n as f64),
            Obj::Real(r) if r.is_finite() => Some(*r),
            _ => None,
        }
    }

    fn int(&self) -> Option<i64> {
        match self {
            Obj::Int(n) => Some(*n),
            _ => None,
        }
    }

    fn name(&self) -> Option<&[u8]> {
        match self {
            Obj::Name(n) => Some(n),
            _ => None,
        }
    }
}

const fn is_ws(b: u8) -> bool {
    matches!(b, 0 | 9 | 10 | 12 | 13 | 32)
}

const fn is_delim(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

const fn is_regular(b: u8) -> bool {
    !is_ws(b) && !is_delim(b)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A PDF tokenizer/parser over a byte slice. Every call to [`Lexer::object`] that returns
/// `None` with input left has consumed at least one byte, so loops over it always progress.
///
/// Every lexed byte and every object is charged to the document's [`Budget`]; too deep nesting
/// or too many items in one object cross a limit. Once the budget is exhausted the lexer
/// jumps to the end of its input, so every loop over it stops.
struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    /// Whether `N G R` is read as a reference (not in content streams and CMaps).
    refs: bool,
    budget: &'a Budget<'a>,
    /// Objects lexed in the current (or last) top-level object, nested ones included.
    items: u64,
}

impl<'a> Lexer<'a> {
    fn new(data: &'a [u8], pos: usize, refs: bool, budget: &'a Budget<'a>) -> Self {
        Self { data, pos, refs, budget, items: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.data.len() || self.budget.exhausted()
    }

    /// Charges `units`; on exhaustion moves to the end of the input. Returns whether to go on.
    fn spend(&mut self, units: usize) -> bool {
        if self.budget.spend_n(units) {
            true
        } else {
            self.pos = self.data.len();
            false
        }
    }

    fn fail(&mut self, limit: Limit) {
        self.budget.fail(limit);
        self.pos = self.data.len();
    }

    fn skip_ws(&mut self) {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_ws(b) {
                self.pos += 1;
            } else if b == b'%' {
                while self.peek().is_some_and(|b| b != b'\n' && b != b'\r') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
        let skipped = self.pos - start;
        if skipped > 0 {
            self.spend(skipped);
        }
    }

    fn regular_run(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(is_regular) {
            self.pos += 1;
        }
        let end = self.pos;
        self.spend(end - start);
        &self.data[start..end]
    }

    fn object(&mut self, depth: usize) -> Option<Obj> {
        if depth == 0 {
            self.items = 0;
        }
        self.skip_ws();
        let b = self.peek()?;
        self.items += 1;
        if depth > MAX_NESTING {
            self.fail(Limit::Depth);
            return None;
        }
        if self.items > MAX_OBJECT_ITEMS {
            self.fail(Limit::Items);
            return None;
        }
        if !self.spend(1) {
            return None;
        }
        match b {
            b'/' => {
                self.pos += 1;
                Some(Obj::Name(self.name_body()))
            }
            b'(' => Some(Obj::Str(self.literal())),
            b'<' if self.data.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                Some(Obj::Dict(self.dict_body(depth)))
            }
            b'<' => Some(Obj::Str(self.hex())),
            b'[' => {
                self.pos += 1;
                Some(Obj::Array(self.array_body(depth)))
            }
            b')' | b'>' | b']' | b'{' | b'}' => {
                self.pos += 1;
                None
            }
            _ => {
                let token = self.regular_run();
                if token.is_empty() {
                    self.pos += 1;
                    return None;
                }
                Some(self.token(token))
            }
        }
    }

    fn token(&mut self, token: &'a [u8]) -> Obj {
        match token {
            b"true" => return Obj::Bool(true),
            b"false" => return Obj::Bool(false),
            b"null" => return Obj::Null,
            _ => {}
        }
        if !token.first().is_some_and(|b| b"+-.0123456789".contains(b)) {
            return Obj::Keyword(token.to_vec());
        }
        let text = std::str::from_utf8(token).unwrap_or_default();
        if let Ok(n) = text.parse::<i64>() {
            if self.refs && n >= 0 {
                if let Some(reference) = self.reference_after(n) {
                    return reference;
                }
            }
            return Obj::Int(n);
        }
        match text.parse::<f64>() {
            Ok(r) if r.is_finite() => Obj::Real(r),
            _ => Obj::Keyword(token.to_vec()),
        }
    }

    /// After an integer: `G R` makes it a reference; otherwise the position is restored.
    fn reference_after(&mut self, n: i64) -> Option<Obj> {
        let save = self.pos;
        self.skip_ws();
        let generation = self.regular_run();
        if !generation.is_empty() && generation.iter().all(u8::is_ascii_digit) {
            self.skip_ws();
            if self.regular_run() == b"R" {
                if let Ok(n) = u32::try_from(n) {
                    return Some(Obj::Ref(n));
                }
            }
        }
        self.pos = save;
        None
    }

    fn name_body(&mut self) -> Vec<u8> {
        let raw = self.regular_run();
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'#' {
                if let (Some(h), Some(l)) =
                    (raw.get(i + 1).and_then(|b| hex_value(*b)), raw.get(i + 2).and_then(|b| hex_value(*b)))
                {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
            }
            out.push(raw[i]);
            i += 1;
        }
        out
    }

    fn literal(&mut self) -> Vec<u8> {
        let start = self.pos;
        let out = self.literal_body();
        self.spend(self.pos - start);
        out
    }

    fn literal_body(&mut self) -> Vec<u8> {
        self.pos += 1; // (
        let mut out = Vec::new();
        let mut depth = 1usize;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'\\' => {
                    let Some(e) = self.peek() else { break };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'0'..=b'7' => {
                            let mut value = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        value = value * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((value & 0xFF) as u8);
                        }
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        other => out.push(other),
                    }
                }
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\r' => {
                    out.push(b'\n');
                    if self.peek() == Some(b'\n') {
                        self.pos += 1;
                    }
                }
                _ => out.push(b),
            }
        }
        out
    }

    fn hex(&mut self) -> Vec<u8> {
        let start = self.pos;
        let out = self.hex_body();
        self.spend(self.pos - start);
        out
    }

    fn hex_body(&mut self) -> Vec<u8> {
        self.pos += 1; // <
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(b) = self.peek() {
            self.pos += 1;
            if b == b'>' {
                break;
            }
            if let Some(v) = hex_value(b) {
                match high.take() {
                    Some(h) => out.push(h << 4 | v),
                    None => high = Some(v),
                }
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        out
    }

    fn array_body(&mut self, depth: usize) -> Vec<Obj> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => break,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                Some(_) => {
                    if let Some(obj) = self.object(depth + 1) {
                        items.push(obj);
                    }
                }
            }
        }
        items
    }

    fn dict_body(&mut self, depth: usize) -> Dict {
        let mut entries = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => break,
                Some(b'>') => {
                    self.pos += if self.data.get(self.pos + 1) == Some(&b'>') { 2 } else { 1 };
                    break;
                }
                Some(b'/') => {
                    self.pos += 1;
                    let key = self.name_body();
                    self.skip_ws();
                    if self.peek() == Some(b'>') {
                        continue;
                    }
                    if let Some(value) = self.object(depth + 1) {
                        entries.push((key, value));
                    }
                }
                Some(_) => {
                    // Garbage where a key belongs: skip it.
                    let _ = self.object(depth + 1);
                }
            }
        }
        // Sorting costs about one more unit an entry.
        self.spend(entries.len());
        Dict::new(entries)
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding.

/// Inflates `input` (zlib-wrapped or raw) up to `limit` bytes. A damaged or truncated stream
/// yields what could be decoded (`complete == false`); more than `limit` is `TooLarge`.
fn inflate(input: &[u8], zlib: bool, limit: usize) -> Result<(Vec<u8>, bool), ExtractError> {
    let flags =
        TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF | if zlib { TINFL_FLAG_PARSE_ZLIB_HEADER } else { 0 };
    let mut out = vec![0u8; input.len().saturating_mul(4).clamp(1024, 1 << 20).min(limit)];
    let mut decompressor = Box::<DecompressorOxide>::default();
    let (mut in_pos, mut out_pos) = (0usize, 0usize);
    loop {
        let rest = input.get(in_pos..).unwrap_or_default();
        let (status, consumed, written) = decompress(&mut decompressor, rest, &mut out, out_pos, flags);
        in_pos += consumed;
        out_pos += written;
        match status {
            TINFLStatus::Done => {
                out.truncate(out_pos);
                return Ok((out, true));
            }
            TINFLStatus::HasMoreOutput => {
                if out.len() >= limit {
                    return Err(ExtractError::TooLarge);
                }
                let grown = out.len().saturating_mul(2).clamp(1024, limit);
                out.resize(grown, 0);
            }
            _ => {
                out.truncate(out_pos);
                return Ok((out, false));
            }
        }
    }
}

fn flate(input: &[u8], limit: usize) -> Result<Option<Vec<u8>>, ExtractError> {
    let (zlib, complete) = inflate(input, true, limit)?;
    if complete || !zlib.is_empty() {
        return Ok(Some(zlib));
    }
    // Some writers omit the zlib header.
    let (raw, _) = inflate(input, false, limit)?;
    Ok((!raw.is_empty()).then_some(raw))
}

fn ascii_hex(input: &[u8], budget: &Budget) -> Vec<u8> {
    let mut wrapped = vec![b'<'];
    wrapped.extend(input.iter().take_while(|b| **b != b'>'));
    Lexer::new(&wrapped, 0, false, budget).hex()
}

fn ascii85(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * 4 / 5);
    let mut group = [0u8; 5];
    let mut n = 0;
    let body = input.strip_prefix(b"<~").unwrap_or(input);
    for &b in body {
        match b {
            b'~' => break,
            b'z' if n == 0 => out.extend_from_slice(&[0; 4]),
            b'!'..=b'u' => {
                group[n] = b - b'!';
                n += 1;
                if n == 5 {
                    let v = group.iter().fold(0u64, |v, d| v * 85 + u64::from(*d));
                    out.extend_from_slice(&(v as u32).to_be_bytes());
                    n = 0;
                }
            }
            _ => {}
        }
    }
    if n > 1 {
        for slot in group.iter_mut().skip(n) {
            *slot = 84;
        }
        let v = group.iter().fold(0u64, |v, d| v * 85 + u64::from(*d));
        out.extend_from_slice(&(v as u32).to_be_bytes()[..n - 1]);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The document.

struct Entry {
    obj: Obj,
    /// Where the stream data lies in the file, for stream objects.
    stream: Option<Range<usize>>,
}

struct Doc<'a> {
    data: &'a [u8],
    objects: BTreeMap<u32, Entry>,
    /// Stream data ranges, ascending.
    stream_ranges: Vec<Range<usize>>,
}

/// The object number of an `N G obj` whose `obj` keyword starts at `at`.
fn object_number_before(data: &[u8], at: usize) -> Option<u32> {
    let back_over = |mut i: usize, pred: fn(u8) -> bool, max: usize| {
        let end = i;
        while i > 0 && pred(data[i - 1]) && end - i < max {
            i -= 1;
        }
        (i < end).then_some(i)
    };
    let gen_end = back_over(at, is_ws, 64)?;
    let gen_start = back_over(gen_end, |b| b.is_ascii_digit(), 10)?;
    let num_end = back_over(gen_start, is_ws, 64)?;
    let num_start = back_over(num_end, |b| b.is_ascii_digit(), 10)?;
    if num_start > 0 && is_regular(data[num_start - 1]) {
        return None;
    }
    std::str::from_utf8(&data[num_start..num_end]).ok()?.parse().ok()
}

impl<'a> Doc<'a> {
    fn scan(data: &'a [u8], budget: &'a Budget<'a>) -> Result<Self, ExtractError> {
        let mut doc = Doc { data, objects: BTreeMap::new(), stream_ranges: Vec::new() };
        let mut definitions = 0usize;
        let mut pos = 0;
        while let Some(at) = find(data, b"obj", pos) {
            // The bytes searched, once.
            if !budget.spend_n((at + 3).saturating_sub(pos)) {
                break;
            }
            pos = at + 3;
            if data.get(at + 3).is_some_and(|b| is_regular(*b)) {
                continue;
            }
            let Some(number) = object_number_before(data, at) else { continue };
            definitions += 1;
            if definitions > MAX_PDF_OBJECTS {
                return Err(ExtractError::TooLarge);
            }
            let mut lexer = Lexer::new(data, at + 3, true, budget);
            let Some(obj) = lexer.object(0) else {
                pos = pos.max(lexer.pos);
                continue;
            };
            pos = pos.max(lexer.pos);
            if !budget.retain(lexer.items) {
                break;
            }
            let mut stream = None;
            if let Obj::Dict(dict) = &obj {
                lexer.skip_ws();
                if data.get(lexer.pos..).is_some_and(|rest| rest.starts_with(b"stream")) {
                    let mut start = lexer.pos + 6;
                    if data.get(start) == Some(&b'\r') {
                        start += 1;
                    }
                    if data.get(start) == Some(&b'\n') {
                        start += 1;
                    }
                    let start = start.min(data.len());
                    let end = stream_end(data, start, dict.get(b"Length"), budget);
                    doc.stream_ranges.push(start..end);
                    stream = Some(start..end);
                    pos = find(data, b"endstream", end).map_or(data.len(), |e| e + 9);
                }
            }
            doc.objects.insert(number, Entry { obj, stream });
        }
        budget.check()?;
        Ok(doc)
    }

    fn in_stream(&self, at: usize) -> bool {
        let i = self.stream_ranges.partition_point(|r| r.start <= at);
        i > 0 && self.stream_ranges[i - 1].contains(&at)
    }

    /// Whether a `/Encrypt` key appears outside stream data.
    fn is_encrypted(&self) -> bool {
        let mut from = 0;
        while let Some(at) = find(self.data, b"/Encrypt", from) {
            from = at + 1;
            let delimited = self.data.get(at + 8).is_none_or(|b| !is_regular(*b));
            if delimited && !self.in_stream(at) {
                return true;
            }
        }
        false
    }

    fn resolve<'o>(&'o self, obj: &'o Obj) -> &'o Obj {
        let mut current = obj;
        for _ in 0..MAX_DEPTH {
            match current {
                Obj::Ref(n) => current = self.objects.get(n).map_or(&NULL, |e| &e.obj),
                _ => return current,
            }
        }
        &NULL
    }

    fn dict<'o>(&'o self, obj: Option<&'o Obj>) -> Option<&'o Dict> {
        match self.resolve(obj?) {
            Obj::Dict(d) => Some(d),
            _ => None,
        }
    }

    fn get<'o>(&'o self, dict: &'o Dict, key: &[u8]) -> &'o Obj {
        dict.get(key).map_or(&NULL, |v| self.resolve(v))
    }

    fn type_is(&self, dict: &Dict, name: &[u8]) -> bool {
        self.get(dict, b"Type").name() == Some(name)
    }
}

/// Where stream data starting at `start` ends: at `/Length` when it is direct and followed by
/// `endstream`, else just before the next `endstream` (or at the end of a truncated file).
fn stream_end(data: &[u8], start: usize, length: Option<&Obj>, budget: &Budget) -> usize {
    if let Some(len) = length.and_then(Obj::int).and_then(|n| usize::try_from(n).ok()) {
        if let Some(end) = start.checked_add(len).filter(|end| *end <= data.len()) {
            let mut lexer = Lexer::new(data, end, false, budget);
            lexer.skip_ws();
            if data.get(lexer.pos..).is_some_and(|rest| rest.starts_with(b"endstream")) {
                return end;
            }
        }
    }
    match find(data, b"endstream", start) {
        Some(mut end) => {
            if end > start && data[end - 1] == b'\n' {
                end -= 1;
            }
            if end > start && data[end - 1] == b'\r' {
                end -= 1;
            }
            end
        }
        None => data.len(),
    }
}

// ---------------------------------------------------------------------------------------------
// Fonts.

/// How a font's string bytes become text and advance the pen.
#[derive(Debug, Clone)]
struct Font {
    two_byte: bool,
    to_unicode: HashMap<u32, String>,
    encoding: [Option<char>; 256],
    /// Glyph widths in thousandths of an em, by code.
    widths: HashMap<u32, f64>,
    default_width: f64,
}

/// WinAnsiEncoding's 0x80–0x9F (the rest is Latin-1).
pub(crate) const WIN_ANSI_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

fn win_ansi() -> [Option<char>; 256] {
    let mut table = [None; 256];
    for (code, slot) in table.iter_mut().enumerate() {
        *slot = match code {
            0x20..=0x7E | 0xA0..=0xFF => u32::try_from(code).ok().and_then(char::from_u32),
            0x80..=0x9F => WIN_ANSI_HIGH[code - 0x80],
            _ => None,
        };
    }
    table
}

/// Glyph widths (thousandths of an em) of ASCII 32–126 in the standard 14 fonts, which PDFs
/// may use without a `/Widths` array (from the fonts' AFM metrics).
#[rustfmt::skip]
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556,
    556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722,
    278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278,
    469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333,
    500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584
];
#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556,
    556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278,
    556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584,
    556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556,
    333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584
];
#[rustfmt::skip]
const TIMES: [u16; 95] = [
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, 500, 500, 500, 500, 500,
    500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, 921, 722, 667, 667, 722, 611, 556, 722, 722, 333,
    389, 722, 611, 889, 722, 722, 556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469,
    500, 333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500, 500, 500, 333, 389,
    278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541
];
#[rustfmt::skip]
const TIMES_BOLD: [u16; 95] = [
    250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278, 500, 500, 500, 500,
    500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500, 930, 722, 667, 722, 722, 667, 611, 778, 778,
    389, 500, 778, 667, 944, 722, 778, 611, 778, 722, 556, 667, 722, 722, 1000, 722, 722, 667, 333, 278,
    333, 581, 500, 333, 500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556, 278, 833, 556, 500, 556, 556,
    444, 389, 333, 556, 500, 722, 500, 500, 444, 394, 220, 394, 520
];

/// The widths of a standard font named `base_font` (subset prefix allowed): a table for
/// Helvetica/Arial and Times (regular or bold), or a fixed width for Courier.
fn standard_widths(base_font: &[u8]) -> Option<Result<&'static [u16; 95], f64>> {
    let name = std::str::from_utf8(base_font).ok()?;
    let name = name.split_once('+').map_or(name, |(_, n)| n);
    let bold = name.contains("Bold");
    if name.starts_with("Courier") {
        Some(Err(600.0))
    } else if name.starts_with("Helvetica") || name.starts_with("Arial") {
        Some(Ok(if bold { &HELVETICA_BOLD } else { &HELVETICA }))
    } else if name.starts_with("Times") {
        Some(Ok(if bold { &TIMES_BOLD } else { &TIMES }))
    } else {
        None
    }
}

/// Common glyph names (Adobe Glyph List) beyond single letters and `uniXXXX`.
#[rustfmt::skip]
const GLYPH_NAMES: &[(&str, char)] = &[
    ("space", ' '), ("exclam", '!'), ("quotedbl", '"'), ("numbersign", '#'), ("dollar", '$'),
    ("percent", '%'), ("ampersand", '&'), ("quotesingle", '\''), ("quoteright", '’'), ("quoteleft", '‘'),
    ("parenleft", '('), ("parenright", ')'), ("asterisk", '*'), ("plus", '+'), ("comma", ','),
    ("hyphen", '-'), ("minus", '−'), ("period", '.'), ("slash", '/'), ("colon", ':'), ("semicolon", ';'),
    ("less", '<'), ("equal", '='), ("greater", '>'), ("question", '?'), ("at", '@'),
    ("bracketleft", '['), ("backslash", '\\'), ("bracketright", ']'), ("asciicircum", '^'),
    ("underscore", '_'), ("grave", '`'), ("braceleft", '{'), ("bar", '|'), ("braceright", '}'),
    ("asciitilde", '~'), ("zero", '0'), ("one", '1'), ("two", '2'), ("three", '3'), ("four", '4'),
    ("five", '5'), ("six", '6'), ("seven", '7'), ("eight", '8'), ("nine", '9'),
    ("ff", 'ﬀ'), ("fi", 'ﬁ'), ("fl", 'ﬂ'), ("ffi", 'ﬃ'), ("ffl", 'ﬄ'),
    ("endash", '–'), ("emdash", '—'), ("bullet", '•'), ("ellipsis", '…'), ("periodcentered", '·'),
    ("quotedblleft", '“'), ("quotedblright", '”'), ("quotesinglbase", '‚'), ("quotedblbase", '„'),
    ("guillemotleft", '«'), ("guillemotright", '»'), ("dagger", '†'), ("daggerdbl", '‡'),
    ("trademark", '™'), ("copyright", '©'), ("registered", '®'), ("degree", '°'), ("section", '§'),
    ("paragraph", '¶'), ("Euro", '€'), ("sterling", '£'), ("yen", '¥'), ("cent", '¢'),
    ("nbspace", '\u{a0}'), ("dotlessi", 'ı'), ("germandbls", 'ß'),
    ("aacute", 'á'), ("agrave", 'à'), ("acircumflex", 'â'), ("adieresis", 'ä'), ("atilde", 'ã'),
    ("aring", 'å'), ("ae", 'æ'), ("ccedilla", 'ç'), ("eacute", 'é'), ("egrave", 'è'),
    ("ecircumflex", 'ê'), ("edieresis", 'ë'), ("iacute", 'í'), ("igrave", 'ì'), ("icircumflex", 'î'),
    ("idieresis", 'ï'), ("ntilde", 'ñ'), ("oacute", 'ó'), ("ograve", 'ò'), ("ocircumflex", 'ô'),
    ("odieresis", 'ö'), ("otilde", 'õ'), ("oslash", 'ø'), ("uacute", 'ú'), ("ugrave", 'ù'),
    ("ucircumflex", 'û'), ("udieresis", 'ü'), ("yacute", 'ý'), ("ydieresis", 'ÿ'),
    ("Aacute", 'Á'), ("Adieresis", 'Ä'), ("Eacute", 'É'), ("Odieresis", 'Ö'), ("Udieresis", 'Ü'),
    ("Ccedilla", 'Ç'), ("Ntilde", 'Ñ'),
];

/// The character a glyph name stands for, when known.
fn glyph_char(name: &[u8]) -> Option<char> {
    let name = std::str::from_utf8(name).ok()?;
    let name = name.split('.').next().unwrap_or(name);
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_ascii_alphabetic() {
            return Some(c);
        }
    }
    let hex = |digits: &str| u32::from_str_radix(digits, 16).ok().and_then(char::from_u32);
    if let Some(digits) = name.strip_prefix("uni").filter(|d| d.len() >= 4) {
        return hex(digits.get(..4)?);
    }
    if let Some(digits) = name.strip_prefix('u').filter(|d| (4..=6).contains(&d.len())) {
        if let Some(c) = hex(digits) {
            return Some(c);
        }
    }
    GLYPH_NAMES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

impl Font {
    fn fallback() -> Self {
        Font {
            two_byte: false,
            to_unicode: HashMap::new(),
            encoding: win_ansi(),
            widths: HashMap::new(),
            default_width: 500.0,
        }
    }

    /// Appends the text of `bytes` to `out`; returns (sum of widths, glyphs, single-byte spaces).
    fn decode(&self, bytes: &[u8], out: &mut String) -> (f64, usize, usize) {
        let (mut width, mut glyphs, mut spaces) = (0.0, 0usize, 0usize);
        let mut emit = |code: u32, out: &mut String| {
            if let Some(text) = self.to_unicode.get(&code) {
                out.push_str(text);
            } else if !self.two_byte {
                if let Some(c) =
                    usize::try_from(code).ok().and_then(|c| self.encoding.get(c).copied().flatten())
                {
                    out.push(c);
                }
            }
            width += self.widths.get(&code).copied().unwrap_or(self.default_width);
            glyphs += 1;
        };
        if self.two_byte {
            for pair in bytes.chunks_exact(2) {
                emit(u32::from(pair[0]) << 8 | u32::from(pair[1]), out);
            }
        } else {
            for &b in bytes {
                emit(u32::from(b), out);
                if b == b' ' {
                    spaces += 1;
                }
            }
        }
        (width, glyphs, spaces)
    }
}

fn utf16_text(bytes: &[u8]) -> String {
    if bytes.len() % 2 == 1 {
        return bytes.iter().map(|b| char::from(*b)).collect();
    }
    let units = bytes.chunks_exact(2).map(|p| u16::from(p[0]) << 8 | u16::from(p[1]));
    char::decode_utf16(units).filter_map(Result::ok).collect()
}

fn code_of(bytes: &[u8]) -> Option<u32> {
    (!bytes.is_empty() && bytes.len() <= 4).then(|| bytes.iter().fold(0u32, |c, b| c << 8 | u32::from(*b)))
}

/// A ToUnicode CMap's `bfchar` and `bfrange` mappings, and the code length of its codespace.
/// Every entry written costs a work unit (more for long ones), so ranges rewritten over the
/// same codes cannot amplify a small CMap.
fn parse_cmap(data: &[u8], limit: usize, budget: &Budget) -> (HashMap<u32, String>, Option<usize>) {
    let limit = limit.min(MAX_CMAP_ENTRIES);
    let mut map = HashMap::new();
    let mut code_len = None;
    let mut operands: Vec<Obj> = Vec::new();
    let mut lexer = Lexer::new(data, 0, false, budget);
    while !lexer.at_end() && map.len() < limit {
        let Some(obj) = lexer.object(0) else { continue };
        let Obj::Keyword(keyword) = obj else {
            if operands.len() < 4 * MAX_OPERANDS * 10 {
                operands.push(obj);
            }
            continue;
        };
        match keyword.as_slice() {
            b"endcodespacerange" => {
                if let Some(Obj::Str(low)) = operands.first() {
                    code_len = Some(low.len());
                }
            }
            b"endbfchar" => {
                for pair in operands.chunks_exact(2) {
                    if let (Obj::Str(src), Obj::Str(dst)) = (&pair[0], &pair[1]) {
                        if let Some(code) = code_of(src) {
                            if !budget.spend(ENTRY_COST + dst.len() as u64) {
                                break;
                            }
                            map.insert(code, utf16_text(dst));
                        }
                    }
                }
            }
            b"endbfrange" => {
                for triple in operands.chunks_exact(3) {
                    let (Obj::Str(lo), Obj::Str(hi)) = (&triple[0], &triple[1]) else { continue };
                    let (Some(lo), Some(hi)) = (code_of(lo), code_of(hi)) else { continue };
                    let hi = hi.min(lo.saturating_add(0xFFFF));
                    match &triple[2] {
                        Obj::Str(dst) => {
                            let units: Vec<u16> = if dst.len() % 2 == 0 {
                                dst.chunks_exact(2).map(|p| u16::from(p[0]) << 8 | u16::from(p[1])).collect()
                            } else {
                                dst.iter().map(|b| u16::from(*b)).collect()
                            };
                            for (offset, code) in (lo..=hi).enumerate() {
                                if map.len() >= limit || !budget.spend(ENTRY_COST + units.len() as u64) {
                                    break;
                                }
                                let mut units = units.clone();
                                if let Some(last) = units.last_mut() {
                                    *last = last.wrapping_add(u16::try_from(offset).unwrap_or(0));
                                }
                                map.insert(code, char::decode_utf16(units).filter_map(Result::ok).collect());
                            }
                        }
                        Obj::Array(items) => {
                            for (code, item) in (lo..=hi).zip(items) {
                                if let Obj::Str(dst) = item {
                                    if map.len() >= limit || !budget.spend(ENTRY_COST + dst.len() as u64) {
                                        break;
                                    }
                                    map.insert(code, utf16_text(dst));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        operands.clear();
    }
    (map, code_len)
}

// ---------------------------------------------------------------------------------------------
// Interpretation.

type Matrix = [f64; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn multiply(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn translate(tx: f64, ty: f64, m: &Matrix) -> Matrix {
    multiply(&[1.0, 0.0, 0.0, 1.0, tx, ty], m)
}

fn matrix_of(operands: &[Obj]) -> Option<Matrix> {
    let values: Vec<f64> = operands.iter().filter_map(Obj::number).collect();
    values.get(values.len().checked_sub(6)?..)?.try_into().ok()
}

/// The extracted text, with separators decided from where each string is drawn.
struct Sink {
    out: String,
    /// Where the previous string ended: x, y (device space) and the text height there.
    last: Option<(f64, f64, f64)>,
    full: bool,
}

impl Sink {
    fn push(&mut self, text: &str) {
        if self.full {
            return;
        }
        if self.out.len() + text.len() > MAX_TEXT_BYTES {
            self.full = true;
            return;
        }
        self.out.push_str(text);
    }

    fn separator(&mut self, c: char) {
        if !self.out.is_empty() && !self.out.ends_with(['\n', ' ']) {
            self.push(if c == '\n' { "\n" } else { " " });
        } else if c == '\n' && self.out.ends_with(' ') {
            self.out.pop();
            self.push("\n");
        }
    }

    fn break_line(&mut self) {
        self.separator('\n');
        self.last = None;
    }

    /// Text drawn from `start` to `end` with height `height`.
    fn show(&mut self, text: &str, start: (f64, f64), end: (f64, f64), height: f64) {
        if text.is_empty() {
            self.last = Some((end.0, end.1, height));
            return;
        }
        if let Some((x, y, h)) = self.last {
            let scale = if height.max(h) > 0.0 { height.max(h) } else { 1.0 };
            if (start.1 - y).abs() > 0.5 * scale {
                self.separator('\n');
            } else {
                let gap = start.0 - x;
                if gap > 0.15 * scale || gap < -scale {
                    self.separator(' ');
                }
            }
        }
        self.push(text);
        self.last = Some((end.0, end.1, height));
    }
}

/// Mutable state of one extraction: the budgets, caches and the output.
struct Work<'b> {
    /// The document's one hard budget.
    budget: &'b Budget<'b>,
    /// Decompressed bytes still allowed ([`MAX_DECOMPRESSED_BYTES`]).
    decompressed_left: usize,
    streams: HashMap<u32, Option<Rc<Vec<u8>>>>,
    /// Fonts by object number (indirect) or by the address of their dictionary in the object
    /// table (direct), so a font is built once however often `Tf` selects it.
    fonts: HashMap<FontKey, Rc<Font>>,
    /// Font table entries still allowed ([`MAX_FONT_TABLE_ENTRIES`]).
    font_table_budget: usize,
    sink: Sink,
}

#[derive(Clone)]
struct TextState {
    tm: Matrix,
    tlm: Matrix,
    font_size: f64,
    char_spacing: f64,
    word_spacing: f64,
    horizontal_scale: f64,
    leading: f64,
    font: Rc<Font>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum FontKey {
    Object(u32),
    Direct(usize),
}

impl<'b> Work<'b> {
    fn new(budget: &'b Budget<'b>) -> Self {
        Work {
            budget,
            decompressed_left: MAX_DECOMPRESSED_BYTES,
            streams: HashMap::new(),
            fonts: HashMap::new(),
            font_table_budget: MAX_FONT_TABLE_ENTRIES,
            sink: Sink { out: String::new(), last: None, full: false },
        }
    }

    fn charge(&mut self, bytes: usize) -> Result<(), ExtractError> {
        self.decompressed_left = self.decompressed_left.checked_sub(bytes).ok_or(ExtractError::TooLarge)?;
        self.spend(bytes)
    }

    /// Spends work units; `Err` once the budget is exhausted.
    fn spend(&self, units: usize) -> Result<(), ExtractError> {
        self.budget.spend_n(units);
        self.budget.check()
    }

    /// The decoded data of stream object `number` (`None` when it is not a stream or uses a
    /// filter this reader does not decode). Cached; every reuse is charged.
    fn stream(&mut self, doc: &Doc, number: u32) -> Result<Option<Rc<Vec<u8>>>, ExtractError> {
        if let Some(cached) = self.streams.get(&number) {
            let cached = cached.clone();
            self.spend(REENTRY_COST as usize)?;
            return Ok(cached);
        }
        let decoded = match doc.objects.get(&number) {
            Some(Entry { obj: Obj::Dict(dict), stream: Some(range) }) => {
                self.decode(doc, dict, doc.data.get(range.clone()).unwrap_or_default())?.map(Rc::new)
            }
            _ => None,
        };
        self.streams.insert(number, decoded.clone());
        Ok(decoded)
    }

    fn decode(&mut self, doc: &Doc, dict: &Dict, raw: &[u8]) -> Result<Option<Vec<u8>>, ExtractError> {
        let filters: Vec<&[u8]> = match doc.get(dict, b"Filter") {
            Obj::Name(name) => vec![name.as_slice()],
            Obj::Array(items) => items.iter().filter_map(|f| doc.resolve(f).name()).collect(),
            _ => Vec::new(),
        };
        if filters.len() > 4 {
            return Ok(None);
        }
        self.spend(raw.len())?;
        let mut data = raw.to_vec();
        for filter in filters {
            data = match filter {
                b"FlateDecode" | b"Fl" => match flate(&data, self.decompressed_left)? {
                    Some(out) => out,
                    None => return Ok(None),
                },
                b"ASCIIHexDecode" | b"AHx" => ascii_hex(&data, self.budget),
                b"ASCII85Decode" | b"A85" => ascii85(&data),
                _ => return Ok(None),
            };
            self.spend(data.len())?;
        }
        self.charge(data.len())?;
        Ok(Some(data))
    }

    fn font(&mut self, doc: &Doc, resources: Option<&Obj>, name: &[u8]) -> Result<Rc<Font>, ExtractError> {
        let fonts = doc.dict(resources).and_then(|r| doc.dict(r.get(b"Font")));
        let Some(entry) = fonts.and_then(|f| f.get(name)) else {
            return Ok(Rc::new(Font::fallback()));
        };
        let key = match entry {
            Obj::Ref(number) => FontKey::Object(*number),
            direct => FontKey::Direct(std::ptr::from_ref(direct) as usize),
        };
        if let Some(font) = self.fonts.get(&key) {
            return Ok(font.clone());
        }
        let font = Rc::new(self.build_font(doc, doc.resolve(entry))?);
        self.fonts.insert(key, font.clone());
        Ok(font)
    }

    fn build_font(&mut self, doc: &Doc, font: &Obj) -> Result<Font, ExtractError> {
        let mut out = Font::fallback();
        let Obj::Dict(font) = font else { return Ok(out) };
        out.two_byte = doc.get(font, b"Subtype").name() == Some(b"Type0");
        if let Some(Obj::Ref(number)) = font.get(b"ToUnicode") {
            if let Some(cmap) = self.stream(doc, *number)? {
                let (map, code_len) = parse_cmap(&cmap, self.font_table_budget, self.budget);
                self.budget.check()?;
                self.font_table_budget = self.font_table_budget.saturating_sub(map.len());
                out.to_unicode = map;
                if out.two_byte && code_len == Some(1) {
                    out.two_byte = false;
                }
            }
        }
        if out.two_byte {
            out.default_width = 1000.0;
            let descendant = match doc.get(font, b"DescendantFonts") {
                Obj::Array(items) => doc.dict(items.first()),
                _ => None,
            };
            if let Some(descendant) = descendant {
                if let Some(dw) = doc.get(descendant, b"DW").number() {
                    out.default_width = dw;
                }
                if let Obj::Array(w) = doc.get(descendant, b"W") {
                    read_cid_widths(doc, w, &mut out.widths, self.font_table_budget, self.budget);
                    self.budget.check()?;
                    self.font_table_budget = self.font_table_budget.saturating_sub(out.widths.len());
                }
            }
        } else {
            if let Obj::Dict(encoding) = doc.get(font, b"Encoding") {
                if let Obj::Array(differences) = doc.get(encoding, b"Differences") {
                    self.spend(differences.len())?;
                    let mut code: Option<usize> = None;
                    for item in differences {
                        match doc.resolve(item) {
                            Obj::Int(n) => code = usize::try_from(*n).ok(),
                            Obj::Name(glyph) => {
                                if let Some(c) = code.filter(|c| *c < 256) {
                                    if let Some(ch) = glyph_char(glyph) {
                                        out.encoding[c] = Some(ch);
                                    }
                                }
                                code = code.map(|c| c + 1);
                            }
                            _ => {}
                        }
                    }
                }
            }
            let first = doc.get(font, b"FirstChar").int().unwrap_or(0);
            if let Obj::Array(widths) = doc.get(font, b"Widths") {
                self.spend(widths.len().min(256))?;
                for (i, w) in widths.iter().take(256).enumerate() {
                    if let (Some(w), Ok(code)) = (doc.resolve(w).number(), u32::try_from(first + i as i64)) {
                        out.widths.insert(code, w);
                    }
                }
            } else if let Some(standard) = doc.get(font, b"BaseFont").name().and_then(standard_widths) {
                match standard {
                    Ok(table) => out.widths.extend((32u32..).zip(table.iter().map(|w| f64::from(*w)))),
                    Err(fixed) => out.default_width = fixed,
                }
            }
        }
        Ok(out)
    }

    /// Interprets one content stream (a page's or a form's).
    fn run(
        &mut self,
        doc: &Doc,
        content: &[u8],
        resources: Option<&Obj>,
        ctm: Matrix,
        form_depth: usize,
    ) -> Result<(), ExtractError> {
        let mut lexer = Lexer::new(content, 0, false, self.budget);
        let mut operands: Vec<Obj> = Vec::new();
        let mut ctm = ctm;
        let mut saved: Vec<Matrix> = Vec::new();
        let mut ts = TextState {
            tm: IDENTITY,
            tlm: IDENTITY,
            font_size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            horizontal_scale: 1.0,
            leading: 0.0,
            font: Rc::new(Font::fallback()),
        };
        while !lexer.at_end() {
            let Some(obj) = lexer.object(0) else { continue };
            let Obj::Keyword(op) = obj else {
                if operands.len() >= MAX_OPERANDS {
                    operands.clear();
                }
                operands.push(obj);
                continue;
            };
            // The operator, once more than its token.
            self.spend(1)?;
            let num = |i: usize| operands.len().checked_sub(i).and_then(|at| operands[at].number());
            match op.as_slice() {
                b"BT" => {
                    ts.tm = IDENTITY;
                    ts.tlm = IDENTITY;
                }
                b"Tf" => {
                    if let Some(size) = num(1) {
                        ts.font_size = size;
                    }
                    let name = operands.len().checked_sub(2).and_then(|at| operands[at].name());
                    if let Some(name) = name {
                        ts.font = self.font(doc, resources, name)?;
                    }
                }
                b"Tc" => ts.char_spacing = num(1).unwrap_or(ts.char_spacing),
                b"Tw" => ts.word_spacing = num(1).unwrap_or(ts.word_spacing),
                b"Tz" => ts.horizontal_scale = num(1).map_or(ts.horizontal_scale, |s| s / 100.0),
                b"TL" => ts.leading = num(1).unwrap_or(ts.leading),
                b"Td" | b"TD" => {
                    if let (Some(tx), Some(ty)) = (num(2), num(1)) {
                        if op == b"TD" {
                            ts.leading = -ty;
                        }
                        ts.tlm = translate(tx, ty, &ts.tlm);
                        ts.tm = ts.tlm;
                    }
                }
                b"Tm" => {
                    if let Some(m) = matrix_of(&operands) {
                        ts.tlm = m;
                        ts.tm = m;
                    }
                }
                b"T*" => next_line(&mut ts),
                b"Tj" => {
                    if let Some(Obj::Str(s)) = operands.last() {
                        self.show(&mut ts, &ctm, s);
                    }
                }
                b"'" => {
                    next_line(&mut ts);
                    if let Some(Obj::Str(s)) = operands.last() {
                        self.show(&mut ts, &ctm, s);
                    }
                }
                b"\"" => {
                    if let (Some(aw), Some(ac)) = (num(3), num(2)) {
                        ts.word_spacing = aw;
                        ts.char_spacing = ac;
                    }
                    next_line(&mut ts);
                    if let Some(Obj::Str(s)) = operands.last() {
                        self.show(&mut ts, &ctm, s);
                    }
                }
                b"TJ" => {
                    if let Some(Obj::Array(items)) = operands.last() {
                        for item in items {
                            match item {
                                Obj::Str(s) => self.show(&mut ts, &ctm, s),
                                other => {
                                    if let Some(adjust) = other.number() {
                                        let tx = -adjust / 1000.0 * ts.font_size * ts.horizontal_scale;
                                        ts.tm = translate(tx, 0.0, &ts.tm);
                                    }
                                }
                            }
                        }
                    }
                }
                b"cm" => {
                    if let Some(m) = matrix_of(&operands) {
                        ctm = multiply(&m, &ctm);
                    }
                }
                b"q" if saved.len() < MAX_SAVED_STATES => saved.push(ctm),
                b"Q" => {
                    if let Some(m) = saved.pop() {
                        ctm = m;
                    }
                }
                b"Do" => {
                    if let Some(name) = operands.last().and_then(Obj::name) {
                        self.form(doc, resources, name, ctm, form_depth)?;
                    }
                }
                b"ID" => skip_inline_image(&mut lexer),
                _ => {}
            }
            operands.clear();
        }
        self.budget.check()
    }

    fn show(&mut self, ts: &mut TextState, ctm: &Matrix, bytes: &[u8]) {
        // Decoding costs about one more unit a byte; an exhausted budget ends the run.
        if !self.budget.spend(1 + GLYPH_COST * bytes.len() as u64) {
            return;
        }
        let mut text = String::new();
        let (width, glyphs, spaces) = ts.font.decode(bytes, &mut text);
        let device = multiply(&ts.tm, ctm);
        let start = (device[4], device[5]);
        let height = ts.font_size.abs() * device[2].hypot(device[3]);
        #[allow(clippy::cast_precision_loss)]
        let advance = (width / 1000.0 * ts.font_size
            + glyphs as f64 * ts.char_spacing
            + spaces as f64 * ts.word_spacing)
            * ts.horizontal_scale;
        ts.tm = translate(advance, 0.0, &ts.tm);
        let device = multiply(&ts.tm, ctm);
        self.sink.show(&text, start, (device[4], device[5]), height);
    }

    fn form(
        &mut self,
        doc: &Doc,
        resources: Option<&Obj>,
        name: &[u8],
        ctm: Matrix,
        form_depth: usize,
    ) -> Result<(), ExtractError> {
        if form_depth >= MAX_FORM_DEPTH {
            return Ok(());
        }
        self.spend(REENTRY_COST as usize)?;
        let xobjects = doc.dict(resources).and_then(|r| doc.dict(r.get(b"XObject")));
        let Some(Obj::Ref(number)) = xobjects.and_then(|x| x.get(name)) else { return Ok(()) };
        let Some(Entry { obj: Obj::Dict(dict), .. }) = doc.objects.get(number) else { return Ok(()) };
        if doc.get(dict, b"Subtype").name() != Some(b"Form") {
            return Ok(());
        }
        let Some(content) = self.stream(doc, *number)? else { return Ok(()) };
        let matrix = match doc.get(dict, b"Matrix") {
            Obj::Array(items) => matrix_of(items).unwrap_or(IDENTITY),
            _ => IDENTITY,
        };
        let form_resources = dict.get(b"Resources").or(resources);
        self.run(doc, &content, form_resources, multiply(&matrix, &ctm), form_depth + 1)
    }
}

fn next_line(ts: &mut TextState) {
    ts.tlm = translate(0.0, -ts.leading, &ts.tlm);
    ts.tm = ts.tlm;
}

/// Every entry written and every item read costs a work unit.
fn read_cid_widths(doc: &Doc, w: &[Obj], widths: &mut HashMap<u32, f64>, limit: usize, budget: &Budget) {
    let limit = limit.min(MAX_CMAP_ENTRIES);
    let mut i = 0;
    while i < w.len() && widths.len() < limit && budget.spend(1) {
        let first = doc.resolve(&w[i]).int().and_then(|n| u32::try_from(n).ok());
        match (first, w.get(i + 1).map(|o| doc.resolve(o))) {
            (Some(first), Some(Obj::Array(list))) => {
                for (code, width) in (first..).zip(list.iter().take(limit - widths.len())) {
                    if !budget.spend(ENTRY_COST) {
                        return;
                    }
                    if let Some(width) = doc.resolve(width).number() {
                        widths.insert(code, width);
                    }
                }
                i += 2;
            }
            (Some(first), Some(last)) => {
                let last = last.int().and_then(|n| u32::try_from(n).ok()).unwrap_or(first);
                if let Some(width) = w.get(i + 2).and_then(|o| doc.resolve(o).number()) {
                    for code in first..=last.min(first.saturating_add(0xFFFF)) {
                        if widths.len() >= limit || !budget.spend(ENTRY_COST) {
                            break;
                        }
                        widths.insert(code, width);
                    }
                }
                i += 3;
            }
            _ => break,
        }
    }
}

/// Skips an inline image's data: after `ID` and one whitespace byte, up to the `EI` that stands
/// alone (whitespace before it, whitespace or the end after it).
fn skip_inline_image(lexer: &mut Lexer) {
    let start = lexer.pos;
    skip_inline_image_data(lexer);
    // The bytes searched, once.
    lexer.spend(lexer.pos.saturating_sub(start));
}

fn skip_inline_image_data(lexer: &mut Lexer) {
    let data = lexer.data;
    let mut at = lexer.pos + 1;
    while let Some(found) = find(data, b"EI", at) {
        let before = found == 0 || is_ws(data[found - 1]);
        let after = data.get(found + 2).is_none_or(|b| !is_regular(*b));
        if before && after {
            lexer.pos = found + 2;
            return;
        }
        at = found + 1;
    }
    lexer.pos = data.len();
}

// ---------------------------------------------------------------------------------------------
// Pages.

struct Page<'d> {
    dict: &'d Dict,
    resources: Option<&'d Obj>,
}

fn collect_pages<'d>(
    doc: &'d Doc,
    node: &'d Obj,
    inherited: Option<&'d Obj>,
    depth: usize,
    visited: &mut HashSet<u32>,
    out: &mut Vec<Page<'d>>,
    budget: &Budget,
) {
    if depth > MAX_DEPTH || out.len() >= MAX_PAGES || !budget.spend(1) {
        return;
    }
    if let Obj::Ref(number) = node {
        if !visited.insert(*number) {
            return;
        }
    }
    let Obj::Dict(dict) = doc.resolve(node) else { return };
    let resources = dict.get(b"Resources").or(inherited);
    if let Obj::Array(kids) = doc.get(dict, b"Kids") {
        for kid in kids {
            collect_pages(doc, kid, resources, depth + 1, visited, out, budget);
        }
    } else if doc.type_is(dict, b"Page") || dict.get(b"Contents").is_some() {
        out.push(Page { dict, resources });
    }
}

/// The pages in reading order: the catalog's page tree, else every page object in order.
fn pages<'d>(doc: &'d Doc, budget: &Budget) -> Vec<Page<'d>> {
    let mut out = Vec::new();
    let mut visited = HashSet::new();
    // Each pass below looks at every object at most once.
    budget.spend_n(doc.objects.len().saturating_mul(2));
    let catalog = doc.objects.values().find_map(|e| match &e.obj {
        Obj::Dict(d) if doc.type_is(d, b"Catalog") => Some(d),
        _ => None,
    });
    if let Some(root) = catalog.and_then(|c| c.get(b"Pages")) {
        collect_pages(doc, root, None, 0, &mut visited, &mut out, budget);
    }
    if out.is_empty() {
        for entry in doc.objects.values() {
            if let Obj::Dict(dict) = &entry.obj {
                if doc.type_is(dict, b"Page") && out.len() < MAX_PAGES {
                    out.push(Page { dict, resources: inherited_resources(doc, dict) });
                }
            }
        }
    }
    out
}

fn inherited_resources<'d>(doc: &'d Doc, page: &'d Dict) -> Option<&'d Obj> {
    let mut node = page;
    for _ in 0..MAX_DEPTH {
        if let Some(resources) = node.get(b"Resources") {
            return Some(resources);
        }
        node = doc.dict(node.get(b"Parent"))?;
    }
    None
}

/// Expands compressed object streams into the object table (objects defined directly win).
fn expand_object_streams(doc: &mut Doc, work: &mut Work) -> Result<(), ExtractError> {
    let containers: Vec<u32> = doc
        .objects
        .iter()
        .filter(|(_, e)| e.stream.is_some() && matches!(&e.obj, Obj::Dict(d) if doc.type_is(d, b"ObjStm")))
        .map(|(n, _)| *n)
        .collect();
    let mut added = 0usize;
    let budget = work.budget;
    for number in containers {
        let Some(data) = work.stream(doc, number)? else { continue };
        let (count, first) = match doc.objects.get(&number).map(|e| &e.obj) {
            Some(Obj::Dict(d)) => {
                (doc.get(d, b"N").int().unwrap_or(0), doc.get(d, b"First").int().unwrap_or(0))
            }
            _ => continue,
        };
        let (Ok(count), Ok(first)) = (usize::try_from(count), usize::try_from(first)) else { continue };
        let mut header = Lexer::new(&data, 0, false, budget);
        let mut found = Vec::new();
        for _ in 0..count {
            let (Some(Obj::Int(n)), Some(Obj::Int(offset))) = (header.object(0), header.object(0)) else {
                break;
            };
            if let (Ok(n), Ok(offset)) = (u32::try_from(n), usize::try_from(offset)) {
                // A header listing more objects than a document may have is refused before its
                // list grows (16 bytes an entry).
                if doc.objects.len() + added + found.len() >= MAX_PDF_OBJECTS {
                    return Err(ExtractError::TooLarge);
                }
                found.push((n, offset));
            }
        }
        for (n, offset) in found {
            added += 1;
            if doc.objects.len() + added > MAX_PDF_OBJECTS {
                return Err(ExtractError::TooLarge);
            }
            let mut lexer = Lexer::new(&data, first.saturating_add(offset), true, budget);
            if let Some(obj) = lexer.object(0) {
                budget.retain(lexer.items);
                doc.objects.entry(n).or_insert(Entry { obj, stream: None });
            }
            budget.check()?;
        }
        budget.check()?;
    }
    Ok(())
}

/// The text layer of a PDF, lines separated by `\n` (not yet tidied), within `budget`.
pub(super) fn extract_pdf(data: &[u8], budget: &Budget) -> Result<String, ExtractError> {
    let head = data.get(..1024).unwrap_or(data);
    if find(head, b"%PDF-", 0).is_none() {
        return Err(ExtractError::CorruptPdf("the file is not a PDF"));
    }
    let mut doc = Doc::scan(data, budget)?;
    if doc.is_encrypted() {
        return Err(ExtractError::EncryptedPdf);
    }
    if doc.objects.is_empty() {
        return Err(ExtractError::CorruptPdf("no PDF objects could be read"));
    }
    let mut work = Work::new(budget);
    expand_object_streams(&mut doc, &mut work)?;
    let pages = pages(&doc, budget);
    budget.check()?;
    if pages.is_empty() {
        return Err(ExtractError::CorruptPdf("the PDF has no pages"));
    }
    for page in &pages {
        let refs = |items: &[Obj]| -> Vec<u32> {
            items.iter().filter_map(|i| if let Obj::Ref(n) = i { Some(*n) } else { None }).collect()
        };
        let contents: Vec<u32> = match page.dict.get(b"Contents") {
            Some(Obj::Ref(n)) => match doc.objects.get(n).map(|e| &e.obj) {
                Some(Obj::Array(items)) => refs(items),
                _ => vec![*n],
            },
            Some(Obj::Array(items)) => refs(items),
            _ => Vec::new(),
        };
        work.spend(contents.len())?;
        let mut content = Vec::new();
        for number in contents {
            if let Some(data) = work.stream(&doc, number)? {
                // Concatenated content is capped and charged, reused streams included.
                budget.content(data.len() + 1);
                budget.check()?;
                content.extend_from_slice(&data);
                content.push(b'\n');
            }
        }
        work.run(&doc, &content, page.resources, IDENTITY, 0)?;
        work.sink.break_line();
    }
    Ok(work.sink.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::resume::fixtures::{pdf_document, pdf_stream, tiny_pdf};

    /// Runs a content stream with the fallback font (WinAnsi, 500/1000 em glyphs).
    fn content_text(content: &str) -> String {
        let doc = Doc { data: b"", objects: BTreeMap::new(), stream_ranges: Vec::new() };
        let budget = Budget::default();
        let mut work = Work::new(&budget);
        work.run(&doc, content.as_bytes(), None, IDENTITY, 0).unwrap();
        work.sink.out
    }

    #[test]
    fn literal_strings_decode_every_escape() {
        let budget = Budget::default();
        let mut lexer = Lexer::new(
            br"(a\(b\)c\\d\ne\101\0601\7777(nested) \
x)",
            0,
            false,
            &budget,
        );
        assert_eq!(lexer.object(0), Some(Obj::Str(b"a(b)c\\d\neA01\xff7(nested) x".to_vec())));
        let mut lexer = Lexer::new(b"<48 65 6C6c 6>", 0, false, &budget);
        assert_eq!(lexer.object(0), Some(Obj::Str(b"Hell`".to_vec())));
    }

    #[test]
    fn objects_parse_with_references_names_and_nesting() {
        let budget = Budget::default();
        let mut lexer = Lexer::new(
            b"<< /A 1 0 R /B [1 2.5 -3 /N#41me (s)] /C << /D true >> /E null >>",
            0,
            true,
            &budget,
        );
        let Some(Obj::Dict(d)) = lexer.object(0) else { panic!("not a dict") };
        assert_eq!(d.get(b"A"), Some(&Obj::Ref(1)));
        assert_eq!(
            d.get(b"B"),
            Some(&Obj::Array(vec![
                Obj::Int(1),
                Obj::Real(2.5),
                Obj::Int(-3),
                Obj::Name(b"NAme".to_vec()),
                Obj::Str(b"s".to_vec())
            ]))
        );
        assert!(matches!(d.get(b"C"), Some(Obj::Dict(_))));
        assert_eq!(d.get(b"E"), Some(&Obj::Null));
        // In content streams, "0 0 1 R"-like runs are not references.
        let mut lexer = Lexer::new(b"1 0 R", 0, false, &budget);
        assert_eq!(lexer.object(0), Some(Obj::Int(1)));
    }

    #[test]
    fn the_lexer_always_progresses_on_garbage() {
        let budget = Budget::default();
        let garbage: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let mut lexer = Lexer::new(&garbage, 0, true, &budget);
        let mut steps = 0;
        while !lexer.at_end() {
            let before = lexer.pos;
            let _ = lexer.object(0);
            assert!(lexer.pos > before || lexer.at_end());
            steps += 1;
        }
        assert!(steps > 0);
        // Deep nesting is a limit: the lexer stops at once.
        let budget = Budget::default();
        let deep = "[".repeat(10_000);
        let mut lexer = Lexer::new(deep.as_bytes(), 0, true, &budget);
        while !lexer.at_end() {
            let _ = lexer.object(0);
        }
        assert_eq!(budget.exceeded(), Some(Limit::Depth));
        assert!(budget.used() < 100, "{}", budget.used());
    }

    #[test]
    fn text_operators_and_line_breaks() {
        let text = content_text(
            "BT /F1 10 Tf 12 TL 72 700 Td (Hello) Tj ( World) Tj T* (Second line) Tj \
             0 -12 Td [(Ke) -20 (rned) -400 (words)] TJ (Third) ' 1 2 (Fourth) \" ET",
        );
        assert_eq!(text, "Hello World\nSecond line\nKerned words\nThird\nFourth");
    }

    #[test]
    fn positions_decide_spaces_between_separately_drawn_words() {
        // Each word in its own BT block on one baseline, placed after the previous one's end.
        let text = content_text(
            "BT /F1 10 Tf 1 0 0 1 100 500 Tm (Rust) Tj ET BT /F1 10 Tf 1 0 0 1 125 500 Tm (Go) Tj ET \
             BT /F1 10 Tf 1 0 0 1 100 480 Tm (Next) Tj ET",
        );
        assert_eq!(text, "Rust Go\nNext");
        // A fragment drawn right where the previous one ended continues the word.
        let text = content_text("BT /F1 10 Tf 100 500 Td (Pyt) Tj 15 0 Td (hon) Tj ET");
        assert_eq!(text, "Python");
        // The transformation matrix counts (a line per cm).
        let text = content_text(
            "q 1 0 0 1 0 700 cm BT /F1 9 Tf (A) Tj ET Q q 1 0 0 1 0 680 cm BT /F1 9 Tf (B) Tj ET Q",
        );
        assert_eq!(text, "A\nB");
    }

    #[test]
    fn standard_fonts_without_widths_use_their_metrics() {
        // Words drawn one by one at their real Helvetica positions ("Skills: " is 31.779 pt at
        // 11 pt): the gap is found from the metrics, not guessed.
        let pdf = pdf_document(&[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
            pdf_stream("", b"BT /F1 11 Tf 1 0 0 1 72 800 Tm (Skills:) Tj ET BT /F1 11 Tf 1 0 0 1 103.779 800 Tm (Python) Tj ET", true),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        ]);
        assert_eq!(extract_pdf(&pdf, &Budget::default()).unwrap().trim(), "Skills: Python");
        assert_eq!(standard_widths(b"ABCDEF+Arial-BoldMT"), Some(Ok(&HELVETICA_BOLD)));
        assert_eq!(standard_widths(b"Courier-Oblique"), Some(Err(600.0)));
        assert_eq!(standard_widths(b"Inter"), None);
    }

    #[test]
    fn inline_images_and_comments_are_skipped() {
        let text = content_text(
            "BT (Before) Tj ET % a comment (not text) Tj\nBI /W 2 /H 2 /BPC 8 /CS /G ID \x01(x) Tj EI\x02 EI\nBT 0 -20 Td (After) Tj ET",
        );
        assert_eq!(text, "Before\nAfter");
    }

    #[test]
    fn ascii_filters_decode() {
        assert_eq!(ascii_hex(b"48656c6c6f>", &Budget::default()), b"Hello");
        assert_eq!(ascii85(b"<~87cURD]i,\"Ebo80~>"), b"Hello World!");
        assert_eq!(ascii85(b"z~>"), vec![0; 4]);
    }

    #[test]
    fn glyph_names_map_to_characters() {
        assert_eq!(glyph_char(b"A"), Some('A'));
        assert_eq!(glyph_char(b"fi"), Some('ﬁ'));
        assert_eq!(glyph_char(b"uni0041"), Some('A'));
        assert_eq!(glyph_char(b"u1F600"), Some('😀'));
        assert_eq!(glyph_char(b"a.sc"), Some('a'));
        assert_eq!(glyph_char(b"three"), Some('3'));
        assert_eq!(glyph_char(b"g123"), None);
    }

    #[test]
    fn cmaps_map_chars_and_ranges() {
        let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
            1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
            2 beginbfchar <0003> <0020> <0011> <00660069> endbfchar\n\
            2 beginbfrange <0024> <0026> <0041> <0030> <0031> [<0078> <D83DDE00>] endbfrange\n\
            endcmap end end";
        let (map, len) = parse_cmap(cmap, usize::MAX, &Budget::default());
        assert_eq!(len, Some(2));
        assert_eq!(map.get(&3).map(String::as_str), Some(" "));
        assert_eq!(map.get(&0x11).map(String::as_str), Some("fi"));
        assert_eq!(map.get(&0x24).map(String::as_str), Some("A"));
        assert_eq!(map.get(&0x26).map(String::as_str), Some("C"));
        assert_eq!(map.get(&0x31).map(String::as_str), Some("😀"));
    }

    #[test]
    fn a_type0_font_is_read_through_its_to_unicode_cmap() {
        let cmap = b"begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange \
            1 beginbfrange <0001> <001A> <0061> endbfrange 1 beginbfchar <0020> <0020> endbfchar endcmap";
        // "rust go" as 2-byte codes: a=1 … z=26, space=0x20.
        let codes: String = "rust go"
            .chars()
            .map(|c| if c == ' ' { "0020".to_owned() } else { format!("{:04X}", c as u32 - 'a' as u32 + 1) })
            .collect();
        let content = format!("BT /F0 12 Tf 72 700 Td <{codes}> Tj ET");
        let pdf = pdf_document(&[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F0 5 0 R >> >> /Contents 4 0 R >>"
                .to_vec(),
            pdf_stream("", content.as_bytes(), true),
            b"<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+Inter /Encoding /Identity-H \
              /DescendantFonts [7 0 R] /ToUnicode 6 0 R >>"
                .to_vec(),
            pdf_stream("", cmap, true),
            b"<< /Type /Font /Subtype /CIDFontType2 /DW 600 /W [1 [500 500] 20 26 400] >>".to_vec(),
        ]);
        assert_eq!(extract_pdf(&pdf, &Budget::default()).unwrap().trim(), "rust go");
    }

    #[test]
    fn differences_remap_codes() {
        let pdf = pdf_document(&[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
                .to_vec(),
            pdf_stream("", b"BT /F1 10 Tf (\x01\x02e) Tj ET", false),
            b"<< /Type /Font /Subtype /Type1 /FirstChar 1 /Widths [556 556] \
              /Encoding << /Type /Encoding /Differences [1 /fi /R] >> >>"
                .to_vec(),
        ]);
        assert_eq!(extract_pdf(&pdf, &Budget::default()).unwrap().trim(), "ﬁRe");
    }

    #[test]
    fn object_streams_forms_and_page_order_are_followed() {
        // The page tree lives in a compressed object stream (objects 10-12); page 12 comes
        // after page 11 in the file but first in the tree, and draws a form XObject.
        let packed = [
            (
                10u32,
                "<< /Type /Pages /Kids [12 0 R 11 0 R] /Count 2 \
                     /Resources << /Font << /F1 6 0 R >> /XObject << /X1 5 0 R >> >> >>",
            ),
            (11, "<< /Type /Page /Parent 10 0 R /Contents 4 0 R >>"),
            (12, "<< /Type /Page /Parent 10 0 R /Contents [3 0 R] >>"),
        ];
        let (mut header, mut body) = (String::new(), String::new());
        for (n, text) in packed {
            header.push_str(&format!("{n} {} ", body.len()));
            body.push_str(text);
            body.push('\n');
        }
        let first = header.len() + 1;
        let objstm = format!("{header}\n{body}");
        let pdf = pdf_document(&[
            b"<< /Type /Catalog /Pages 10 0 R >>".to_vec(),
            pdf_stream(&format!("/Type /ObjStm /N 3 /First {first}"), objstm.as_bytes(), true),
            pdf_stream("", b"BT /F1 10 Tf 72 700 Td (Page one) Tj ET /X1 Do", true),
            pdf_stream("", b"BT /F1 10 Tf 72 700 Td (Page two) Tj ET", true),
            pdf_stream(
                "/Type /XObject /Subtype /Form /BBox [0 0 100 100]",
                b"BT /F1 10 Tf 0 -50 Td (In a form) Tj ET",
                true,
            ),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        ]);
        let text = extract_pdf(&pdf, &Budget::default()).unwrap();
        assert_eq!(text.trim(), "Page one\nIn a form\nPage two");
    }

    #[test]
    fn a_truncated_file_without_xref_still_yields_its_text() {
        let pdf = tiny_pdf("Senior Rust engineer\nKubernetes and PostgreSQL");
        let cut = find(&pdf, b"xref", 0).unwrap();
        let text = extract_pdf(&pdf[..cut], &Budget::default()).unwrap();
        assert_eq!(text.trim(), "Senior Rust engineer\nKubernetes and PostgreSQL");
    }

    #[test]
    fn a_damaged_flate_stream_yields_what_decodes() {
        let pdf = tiny_pdf("Line one\nLine two");
        // Corrupt the end of the compressed content: the Adler-32 check and maybe the last
        // block fail, the decoded prefix is kept.
        let start = find(&pdf, b"stream\n", 0).unwrap() + 7;
        let end = find(&pdf, b"\nendstream", start).unwrap();
        let mut damaged = pdf.clone();
        for b in &mut damaged[end - 4..end] {
            *b ^= 0xFF;
        }
        let text = extract_pdf(&damaged, &Budget::default()).unwrap();
        assert!(text.contains("Line one"), "{text:?}");
    }

    #[test]
    fn encryption_is_detected_outside_streams_only() {
        let mut pdf = tiny_pdf("Secret");
        let trailer = find(&pdf, b"/Root", 0).unwrap();
        pdf.splice(trailer..trailer, b"/Encrypt 9 0 R ".iter().copied());
        assert_eq!(extract_pdf(&pdf, &Budget::default()), Err(ExtractError::EncryptedPdf));
        // The bytes "/Encrypt" inside stream data are just data.
        let pdf = pdf_document(&[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>".to_vec(),
            pdf_stream("", b"BT (Not /Encrypt ed) Tj ET", false),
        ]);
        assert_eq!(extract_pdf(&pdf, &Budget::default()).unwrap().trim(), "Not /Encrypt ed");
        // /EncryptMetadata alone is not /Encrypt.
        let pdf = pdf_document(&[
            b"<< /Type /Catalog /Pages 2 0 R /EncryptMetadata false >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>".to_vec(),
            pdf_stream("", b"BT (ok) Tj ET", false),
        ]);
        assert!(extract_pdf(&pdf, &Budget::default()).is_ok());
    }

    #[test]
    fn a_decompression_bomb_is_too_large() {
        let zeros = vec![b' '; MAX_DECOMPRESSED_BYTES + 1024];
        let pdf = pdf_document(&[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>".to_vec(),
            pdf_stream("", &zeros, true),
        ]);
        assert!(pdf.len() < 100_000, "the bomb is small: {}", pdf.len());
        assert_eq!(extract_pdf(&pdf, &Budget::default()), Err(ExtractError::TooLarge));
    }

    #[test]
    fn self_referencing_structures_terminate() {
        let pdf = pdf_document(&[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 1 /Resources 5 0 R >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>".to_vec(),
            pdf_stream("", b"BT /F1 10 Tf (Loop) Tj /Me Do ET", false),
            b"<< /XObject << /Me 6 0 R >> >>".to_vec(),
            pdf_stream("/Subtype /Form", b"BT /F1 10 Tf (again) Tj /Me Do ET", false),
            b"7 0 R".to_vec(),
        ]);
        let text = extract_pdf(&pdf, &Budget::default()).unwrap();
        assert!(text.starts_with("Loop again again"), "{text:?}");
        assert_eq!(text.matches("again").count(), MAX_FORM_DEPTH);
    }

    #[test]
    fn object_numbers_are_read_only_in_context() {
        assert_eq!(object_number_before(b"12 0 obj", 5), Some(12));
        assert_eq!(object_number_before(b"\n7  3\r\nobj", 7), Some(7));
        assert_eq!(object_number_before(b"x12 0 obj", 6), None);
        assert_eq!(object_number_before(b"0 obj", 2), None);
        assert_eq!(object_number_before(b"obj", 0), None);
    }
}
