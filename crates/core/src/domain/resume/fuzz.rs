//! A property test of extraction on stable Rust (no cargo-fuzz): a deterministic generator
//! makes random and mutated PDF, DOCX, ZIP and text inputs — byte flips, truncation, splicing of
//! two files, repeated sections, inserted PDF and XML tokens, damaged ZIP fields — from the
//! valid fixtures of `fixtures.rs` and the hostile ones of `hostile.rs`, and asserts for every
//! one: no panic (each case also runs under `catch_unwind`), work within the budget, output
//! within [`MAX_TEXT_BYTES`], and an error only with a budget limit when the budget says so.
//!
//! Why a hand-written xorshift generator rather than `proptest` or `arbitrary`: the properties
//! hold for *every* input, so shrinking buys little; the mutations that matter are
//! format-aware (tokens, ZIP fields), which those crates would not write for us; and a
//! twenty-line generator adds no dependency to the pure core and reproduces a failure from
//! the printed case number alone.
//!
//! [`CASES`] inputs (20,000) run in `cargo test -p interview-core`, in two halves (about 5 s in
//! a debug build on two cores); `extraction_survives_many_more_inputs` (ignored) runs ten times
//! more.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::detect::{detect, ResumeKind};
use super::extract::extract_text_within;
use super::fixtures::{docx_from_document_xml, pdf_document, pdf_stream, tiny_docx, tiny_pdf, zip_archive};
use super::limits::{Budget, MAX_TEXT_BYTES};

/// Inputs per run of the default test, over all kinds.
const CASES: u64 = 20_000;
/// The budget of one case: small inputs need far less, and a small budget keeps the test fast.
const FUZZ_MAX_WORK: u64 = 1_000_000;
/// The most one charge can overshoot the budget by for these inputs (one decoded stream or
/// inflated entry, at most a few hundred KB from a mutated few-KB file).
const SLACK: u64 = 4 * 1024 * 1024;

/// xorshift64*: deterministic, seedable, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next() % n as u64).unwrap_or(0)
        }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Tokens worth inserting: structure that makes the interpreter work.
const TOKENS: &[&[u8]] = &[
    b"[",
    b"]",
    b"<<",
    b">>",
    b"(",
    b")",
    b"<",
    b">",
    b"/X Do ",
    b"5 0 R ",
    b" obj ",
    b"endobj",
    b"stream\n",
    b"endstream",
    b" Tj ",
    b" TJ ",
    b"BT ",
    b"ET ",
    b"q ",
    b"Q ",
    b"1 0 0 1 0 0 cm ",
    b"/F1 12 Tf ",
    b"beginbfrange <0000> <FFFF> <0041> endbfrange ",
    b"/Filter /FlateDecode ",
    b"/Length 99999 ",
    b"/Type /ObjStm /N 999999 /First 0 ",
    b"/Encrypt",
    b"%PDF-1.4\n",
    b"ID \x00\x01 EI ",
    b"\\",
    b"\\0",
    b"<w:t>",
    b"</w:t>",
    b"<w:p>",
    b"</w:p>",
    b"&amp;",
    b"&#x",
    b"<![CDATA[",
    b"<!--",
    b"PK\x01\x02",
    b"PK\x05\x06",
    b"PK\x03\x04",
];

/// Valid and hostile documents to mutate.
fn seeds() -> Vec<Vec<u8>> {
    let resume = "Jane Doe\nSkills: Rust, Python (Django), SQL & AWS\nExperience: 2019 – 2024 at Acme";
    let form_page = pdf_document(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /Resources << /XObject << /X 5 0 R >> /Font << /F1 6 0 R >> >> \
          /Contents [4 0 R 4 0 R] >>"
            .to_vec(),
        pdf_stream("", b"BT /F1 10 Tf 72 700 Td (Page) Tj ET /X Do /X Do", true),
        pdf_stream(
            "/Type /XObject /Subtype /Form /Resources << /XObject << /X 5 0 R >> >>",
            b"BT /F1 10 Tf [(In) -300 (a form)] TJ ET /X Do",
            false,
        ),
        b"<< /Type /Font /Subtype /Type0 /Encoding /Identity-H /ToUnicode 7 0 R \
          /DescendantFonts [<< /W [1 [500 600] 3 9 400] >>] >>"
            .to_vec(),
        pdf_stream("", b"begincmap 1 beginbfrange <0001> <00FF> <0041> endbfrange endcmap", true),
    ]);
    let objstm = pdf_document(&[
        b"<< /Type /Catalog /Pages 3 0 R >>".to_vec(),
        pdf_stream(
            "/Type /ObjStm /N 2 /First 10",
            b"3 0 4 48 << /Type /Pages /Kids [4 0 R] /Count 1 >> << /Type /Page /Contents 5 0 R >>",
            true,
        ),
        b"null".to_vec(),
        b"null".to_vec(),
        pdf_stream("/Filter /ASCIIHexDecode", b"42 54 20 28 48 69 29 20 54 6a 20 45 54>", false),
    ]);
    vec![
        tiny_pdf(resume),
        form_page,
        objstm,
        tiny_docx(resume),
        docx_from_document_xml(
            "<w:document><w:p><w:r><w:t>C&amp;C++</w:t><w:tab/><w:t>Go</w:t></w:r></w:p>\
             <mc:AlternateContent><mc:Fallback><w:t>x</w:t></mc:Fallback></mc:AlternateContent></w:document>",
        ),
        zip_archive(&[("word/document.xml", b"<w:t>stored</w:t>", false), ("a.xml", b"<a/>", true)]),
        resume.as_bytes().to_vec(),
    ]
}

/// One mutation of `input` (some use `other`, another seed).
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, other: &[u8]) {
    let len = input.len();
    match rng.below(9) {
        // Flip a few bits.
        0 => {
            for _ in 0..=rng.below(8) {
                if len > 0 {
                    let at = rng.below(len);
                    input[at] ^= 1 << rng.below(8);
                }
            }
        }
        // Random bytes.
        1 => {
            for _ in 0..=rng.below(16) {
                if len > 0 {
                    let at = rng.below(len);
                    input[at] = rng.next() as u8;
                }
            }
        }
        // Truncate.
        2 => input.truncate(rng.below(len + 1)),
        // Splice: our head, the other's tail.
        3 => {
            let at = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            input.truncate(at);
            input.extend_from_slice(&other[from..]);
        }
        // Repeat a section many times.
        4 => {
            let start = rng.below(len + 1);
            let end = (start + 1 + rng.below(64)).min(len);
            let section = input[start..end].to_vec();
            let times = 1 + rng.below(200);
            let tail = input.split_off(end);
            for _ in 0..times {
                input.extend_from_slice(&section);
            }
            input.extend_from_slice(&tail);
        }
        // Insert tokens.
        5 => {
            for _ in 0..=rng.below(4) {
                let at = rng.below(input.len() + 1);
                let token = rng.pick(TOKENS);
                let times = if rng.below(4) == 0 { 1 + rng.below(100) } else { 1 };
                let insert: Vec<u8> = token.iter().copied().cycle().take(token.len() * times).collect();
                input.splice(at..at, insert);
            }
        }
        // Delete a range.
        6 => {
            let start = rng.below(len + 1);
            let end = (start + rng.below(256)).min(len);
            input.drain(start..end);
        }
        // Overwrite a number-looking field with an extreme value (ZIP sizes, offsets, counts).
        7 => {
            if len >= 4 {
                let at = rng.below(len - 3);
                let value: u32 = *rng.pick(&[0, 1, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x0140_0001]);
                input[at..at + 4].copy_from_slice(&value.to_le_bytes());
            }
        }
        // Random garbage of random length.
        _ => {
            let n = rng.below(2048);
            input.clear();
            input.extend((0..n).map(|_| rng.next() as u8));
        }
    }
}

/// Runs one extraction of `bytes` as `kind` and checks the properties; `Ok` is the work spent
/// and the outcome's code, `Err` describes a violation.
fn check(case: u64, kind: ResumeKind, bytes: &[u8]) -> Result<(u64, &'static str), String> {
    let budget = Budget::new(FUZZ_MAX_WORK);
    let outcome = catch_unwind(AssertUnwindSafe(|| extract_text_within(kind, bytes, &budget)));
    let result =
        outcome.map_err(|_| format!("case {case}: panic extracting {kind:?} of {} bytes", bytes.len()))?;
    let used = budget.used();
    if used > FUZZ_MAX_WORK + SLACK {
        return Err(format!("case {case}: {used} work units for {kind:?}"));
    }
    match (&result, budget.exceeded()) {
        (Ok(text), None) if text.len() <= MAX_TEXT_BYTES => Ok((used, "ok")),
        (Ok(text), _) => {
            Err(format!("case {case}: {} bytes of text, limit {:?}", text.len(), budget.exceeded()))
        }
        (Err(e), Some(limit)) if e.code() != limit.code() => {
            Err(format!("case {case}: budget exceeded {limit:?} but the error is {e:?}"))
        }
        (Err(e), _) => Ok((used, e.code())),
    }
}

/// Runs `cases` inputs from `first_case` on; returns the total work. Each case mutates a seed one
/// to four times and extracts it as the detected kind and as the kind of its seed.
fn run_cases(first_case: u64, cases: u64) -> u64 {
    let seeds = seeds();
    let kinds = [ResumeKind::Pdf, ResumeKind::Docx, ResumeKind::Text];
    let mut total = 0;
    let mut failures = Vec::new();
    let mut outcomes = std::collections::BTreeMap::<&str, u64>::new();
    for case in first_case..first_case + cases {
        let mut rng = Rng::new(case);
        let seed_index = rng.below(seeds.len());
        let mut input = seeds[seed_index].clone();
        // Mostly one or two mutations, so the result is still close enough to the format to
        // reach the interpreter; sometimes many.
        let mutations = if rng.below(8) == 0 { 3 + rng.below(8) } else { 1 + rng.below(2) };
        for _ in 0..mutations {
            let other = rng.pick(&seeds).clone();
            mutate(&mut rng, &mut input, &other);
        }
        let seed_kind = detect(&seeds[seed_index]).unwrap_or(ResumeKind::Text);
        // A PDF whose header a mutation destroyed gets it back (else it is just "not a PDF").
        if seed_kind == ResumeKind::Pdf && !input.starts_with(b"%PDF-") && rng.below(4) != 0 {
            input.splice(0..0, b"%PDF-1.7\n".iter().copied());
        }
        let mut tried = vec![seed_kind];
        if let Some(kind) = detect(&input).filter(|k| *k != seed_kind) {
            tried.push(kind);
        }
        if rng.below(8) == 0 {
            tried.push(*rng.pick(&kinds));
        }
        for kind in tried {
            match check(case, kind, &input) {
                Ok((used, code)) => {
                    total += used;
                    *outcomes.entry(code).or_default() += 1;
                }
                Err(e) => failures.push(e),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures, first ones: {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    eprintln!("outcomes: {outcomes:?}");
    total
}

// Two halves, so the test harness runs them on both cores.
#[test]
fn extraction_survives_random_and_mutated_inputs_first_half() {
    let started = std::time::Instant::now();
    let work = run_cases(0, CASES / 2);
    eprintln!("fuzz cases 0..{}: {work} work units in {:?}", CASES / 2, started.elapsed());
}

#[test]
fn extraction_survives_random_and_mutated_inputs_second_half() {
    let started = std::time::Instant::now();
    let work = run_cases(CASES / 2, CASES / 2);
    eprintln!("fuzz cases {}..{CASES}: {work} work units in {:?}", CASES / 2, started.elapsed());
}

#[test]
#[ignore = "200,000 cases; about 90 s in a debug build"]
fn extraction_survives_many_more_inputs() {
    run_cases(CASES, 10 * CASES);
}
