//! The built-in interviewer's evaluation of one answer against a bank question's rubric
//! (docs/interviews.md#built-in-interviewer), plus follow-up questions that probe what the answer missed.
//!
//! Everything here is deterministic, allocation-light and dependency-free: the answer is
//! normalised once (lower-case, apostrophes dropped, every other non-alphanumeric character
//! becomes a space, tokens lightly stemmed), and each rubric phrase is matched lazily against
//! the token list without building per-synonym strings. A phrase with no letters or digits (an
//! operator such as `===`, `??` or `=>`) is matched literally in the raw answer instead, unless
//! it is part of a longer operator (`==` does not match inside `===`).
//!
//! ## Scores
//!
//! * `technical_accuracy` — weighted rubric coverage: the sum of the weights of the concepts the
//!   answer mentions (by name or any synonym, as a whole-token phrase) over the sum of all weights.
//!   A short answer that hedges ("I don't know", "not sure", "no idea") has its accuracy halved.
//! * `explanation_clarity` — structure heuristics on the raw text, then scaled by relevance:
//!   * length: ramps linearly from 0 (no words) to 0.7 at 40 words, stays 0.7 up to 250 words,
//!     then falls to 0.5 at 600+ words (rambling earns nothing extra);
//!   * +0.05 for two or more real sentences, +0.10 for three or more; −0.10 for a 60+ word
//!     single run-on sentence;
//!   * +0.05 per distinct connective ("because", "for example", "so that", "which means",
//!     "whereas", "trade-off", …), at most +0.15;
//!   * +0.10 for something concrete and code-like (backticks, `=>`, `()`, braces, a camelCase or
//!     dotted identifier such as `useEffect` or `Promise.all`);
//!   * −0.20 when 20+ words use fewer than 40 % distinct words (repetition, keyword stuffing);
//!   * the result is clamped to 0..=1 and multiplied by `0.5 + min(accuracy, 0.5)`, so text that
//!     touches none of the rubric is at most half as "clear" as an on-topic explanation.
//! * `answer_quality` — banded from accuracy `a` and clarity `c` so that it agrees with
//!   [`Evaluation::composite`] (`0.6·a + 0.3·c + 0.1·quality`):
//!
//!   | band      | rule (first that applies)                          | composite     |
//!   |-----------|----------------------------------------------------|---------------|
//!   | excellent | `a ≥ 0.75` and `c ≥ 0.5` and `0.6·a + 0.3·c > 0.70` | > 0.80        |
//!   | good      | `a ≥ 0.50` and `0.6·a + 0.3·c ≥ 0.45`              | ≥ 0.525       |
//!   | fair      | `a ≥ 0.25`                                         | 0.20 ..= 0.80 |
//!   | poor      | otherwise (`a < 0.25`)                             | < 0.50        |
//!
//!   So an excellent answer always clears the engine's 0.8 "move up" bar, a good one never falls
//!   under its 0.5 "move down" bar, and a poor one (empty, "I don't know", off-topic, gibberish)
//!   always does. A correct keyword list without explanation (low clarity) tops out at good.

use super::{Concept, Question};
use crate::domain::enums::AnswerQuality;
use crate::domain::evaluation::{clamp01, Evaluation};

/// Evaluates `answer` against `question`'s rubric (see the module docs for the scoring rules).
#[must_use]
pub fn evaluate(question: &Question, answer: &str) -> Evaluation {
    evaluate_focused(question, answer, &[])
}

/// Like [`evaluate`], but only the rubric concepts named in `focus` (case-insensitive) count: a
/// follow-up that probes one concept an earlier answer missed is graded on that concept, not on
/// the whole rubric again. An empty `focus`, or one naming no concept of the rubric, grades the
/// whole rubric.
#[must_use]
pub fn evaluate_focused(question: &Question, answer: &str, focus: &[String]) -> Evaluation {
    let in_focus = |c: &Concept| focus.iter().any(|f| f.trim().eq_ignore_ascii_case(c.name));
    let focused = question.rubric.iter().any(in_focus);
    let normalised = normalise(answer);
    let tokens: Vec<&str> = normalised.split_whitespace().map(stem).collect();

    let mut total = 0.0;
    let mut covered = 0.0;
    let mut identified_skills = Vec::new();
    let mut missed: Vec<&Concept> = Vec::new();
    for concept in question.rubric.iter().filter(|c| !focused || in_focus(c)) {
        let weight = concept.weight.max(0.0);
        total += weight;
        if covers(answer, &tokens, concept) {
            covered += weight;
            identified_skills.push(concept.name.to_string());
        } else {
            missed.push(concept);
        }
    }
    // Stable: equal weights keep rubric order.
    missed.sort_by(|a, b| b.weight.total_cmp(&a.weight));

    let mut accuracy = if total > 0.0 { covered / total } else { 0.0 };
    if is_hedge(&tokens) {
        accuracy *= 0.5;
    }
    let accuracy = clamp01(accuracy);
    let clarity = clamp01(raw_clarity(answer, &tokens) * (0.5 + accuracy.min(0.5)));

    Evaluation {
        answer_quality: band(accuracy, clarity),
        technical_accuracy: accuracy,
        explanation_clarity: clarity,
        identified_skills,
        skill_area: question.skill_area.to_string(),
        missed_concepts: missed.iter().map(|c| c.name.to_string()).collect(),
    }
}

/// The quality band for accuracy `a` and clarity `c` (table in the module docs).
#[must_use]
pub fn band(a: f64, c: f64) -> AnswerQuality {
    let weighted = 0.6 * a + 0.3 * c;
    if a >= 0.75 && c >= 0.5 && weighted > 0.70 {
        AnswerQuality::Excellent
    } else if a >= 0.5 && weighted >= 0.45 {
        AnswerQuality::Good
    } else if a >= 0.25 {
        AnswerQuality::Fair
    } else {
        AnswerQuality::Poor
    }
}

/// A follow-up question probing the most important concept the answer missed, or `None` when
/// nothing was missed. The phrasing is chosen deterministically from the question id.
#[must_use]
pub fn follow_up(question: &Question, eval: &Evaluation) -> Option<String> {
    follow_up_seeded(question, eval, fnv1a(question.id.as_bytes()))
}

/// Like [`follow_up`], with the phrasing chosen from `seed` (e.g. a hash of the interview id and
/// question number) so a whole interview varies its wording reproducibly.
#[must_use]
pub fn follow_up_seeded(question: &Question, eval: &Evaluation, seed: u64) -> Option<String> {
    let concept = target_concept(question, eval)?;
    let started_well = !eval.identified_skills.is_empty();
    // Names are short labels or claims ("state is a snapshot per render"), so every template
    // sets the name off as a topic rather than splicing it into a sentence.
    let text = match (seed ^ fnv1a(concept.as_bytes())) % 6 {
        0 if started_well => {
            format!("One thing we haven't touched on yet: {concept}. How does that fit in?")
        }
        0 => format!("One thing you didn't touch on: {concept}. How does that come into play here?"),
        1 => {
            format!("Let's dig a little deeper on one point: {concept}. Can you explain how that works here?")
        }
        2 => format!(
            "I'd like to push on something you left out: {concept}. Why does that matter in this situation?"
        ),
        3 => format!("A part you skipped: {concept}. Can you expand on it, ideally with a concrete example?"),
        4 => format!("Before we move on: {concept}. What can you tell me about that?"),
        _ => format!("If a reviewer raised this point with you ({concept}), what would you tell them?"),
    };
    Some(text)
}

/// The highest-weight rubric concept among `eval.missed_concepts`; when none of them is a rubric
/// concept (another provider's wording), the first non-blank missed concept as written.
fn target_concept<'a>(question: &'a Question, eval: &'a Evaluation) -> Option<&'a str> {
    let is_missed = |name: &str| eval.missed_concepts.iter().any(|m| m.trim().eq_ignore_ascii_case(name));
    let mut best: Option<&Concept> = None;
    for concept in question.rubric.iter().filter(|c| is_missed(c.name)) {
        if best.is_none_or(|b| concept.weight > b.weight) {
            best = Some(concept);
        }
    }
    best.map(|c| c.name).or_else(|| eval.missed_concepts.iter().map(|m| m.trim()).find(|m| !m.is_empty()))
}

/// FNV-1a, 64 bit: a tiny, stable hash for choosing phrasings.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

// ------------------------------------------------------------------------------- matching

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}')
}

/// Lower-cases, drops apostrophes ("don't" → "dont", "React's" → "reacts") and turns every other
/// non-alphanumeric character into a space.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if is_apostrophe(ch) {
            continue;
        }
        if ch.is_alphanumeric() {
            out.extend(ch.to_lowercase());
        } else {
            out.push(' ');
        }
    }
    out
}

fn ends_with_ci(word: &str, suffix: &str) -> bool {
    word.len() >= suffix.len()
        && word.as_bytes()[word.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Light, consistent stemming applied to answer tokens and rubric phrases alike: plural endings
/// ("closures" → "closure", "classes" → "class", "dependencies" → "dependenc") and a final "y"
/// ("dependency" → "dependenc"). Only ASCII suffixes are cut, so slicing stays on char boundaries.
fn stem(word: &str) -> &str {
    let len = word.len();
    let base = if len > 4 && ends_with_ci(word, "ies") {
        &word[..len - 3]
    } else if len > 4
        && (ends_with_ci(word, "sses")
            || ends_with_ci(word, "xes")
            || ends_with_ci(word, "ches")
            || ends_with_ci(word, "shes"))
    {
        &word[..len - 2]
    } else if len > 3
        && ends_with_ci(word, "s")
        && !ends_with_ci(word, "ss")
        && !ends_with_ci(word, "us")
        && !ends_with_ci(word, "is")
    {
        &word[..len - 1]
    } else {
        word
    };
    if base.len() > 3 && ends_with_ci(base, "y") {
        &base[..base.len() - 1]
    } else {
        base
    }
}

/// A rubric phrase's tokens, stemmed; apostrophes stay inside a token and are ignored when
/// comparing (see [`chars_of`]).
fn phrase_tokens(phrase: &str) -> impl Iterator<Item = &str> + Clone {
    phrase
        .split(|c: char| !(c.is_alphanumeric() || is_apostrophe(c)))
        .map(|p| p.trim_matches(is_apostrophe))
        .filter(|p| !p.is_empty())
        .map(stem)
}

/// A phrase token's characters as they appear in a normalised answer.
fn chars_of(part: &str) -> impl Iterator<Item = char> + '_ {
    part.chars().filter(|c| !is_apostrophe(*c)).flat_map(char::to_lowercase)
}

/// Whether `phrase` occurs in `tokens` as a contiguous run of whole tokens, or — for a
/// multi-word phrase — glued into one token ("re render" matches "rerenders", "use effect"
/// matches "useEffect").
fn phrase_in(tokens: &[&str], phrase: &str) -> bool {
    let parts = phrase_tokens(phrase);
    let n = parts.clone().count();
    if n == 0 || tokens.is_empty() {
        return false;
    }
    if tokens.len() >= n
        && tokens.windows(n).any(|window| {
            window.iter().zip(parts.clone()).all(|(token, part)| chars_of(part).eq(token.chars()))
        })
    {
        return true;
    }
    n > 1
        && tokens.iter().any(|token| {
            let mut rest = token.chars();
            parts.clone().all(|part| chars_of(part).all(|c| rest.next() == Some(c))) && rest.next().is_none()
        })
}

/// Characters that continue an operator, so `==` does not match inside `===` or `!==`.
fn is_operator_char(c: char) -> bool {
    "=!<>&|?+-*/%^~:".contains(c)
}

/// Whether a phrase with no letters or digits (an operator such as `===`, `??` or `=>`) occurs
/// in the raw answer, not glued to further operator characters.
fn symbol_in(raw: &str, phrase: &str) -> bool {
    let phrase = phrase.trim();
    if phrase.is_empty() {
        return false;
    }
    raw.match_indices(phrase).any(|(at, _)| {
        let before = raw[..at].chars().next_back();
        let after = raw[at + phrase.len()..].chars().next();
        !before.is_some_and(is_operator_char) && !after.is_some_and(is_operator_char)
    })
}

/// Whether `phrase` occurs in the answer: whole-token matching for ordinary phrases, literal
/// matching for operator-only phrases.
fn mentions(raw: &str, tokens: &[&str], phrase: &str) -> bool {
    if phrase.chars().any(char::is_alphanumeric) {
        phrase_in(tokens, phrase)
    } else {
        symbol_in(raw, phrase)
    }
}

fn covers(raw: &str, tokens: &[&str], concept: &Concept) -> bool {
    mentions(raw, tokens, concept.name) || concept.synonyms.iter().any(|s| mentions(raw, tokens, s))
}

const HEDGES: &[&str] = &[
    "dont know",
    "do not know",
    "no idea",
    "not sure",
    "no clue",
    "idk",
    "never heard",
    "cant remember",
    "dont remember",
    "cannot remember",
    "not familiar",
];

/// A short answer that mostly says the candidate doesn't know.
fn is_hedge(tokens: &[&str]) -> bool {
    tokens.len() < 15 && HEDGES.iter().any(|h| phrase_in(tokens, h))
}

// ------------------------------------------------------------------------------- clarity

const CONNECTIVES: &[&str] = &[
    "because",
    "so that",
    "for example",
    "for instance",
    "e g",
    "such as",
    "which means",
    "this means",
    "that means",
    "therefore",
    "whereas",
    "however",
    "instead",
    "otherwise",
    "unless",
    "in contrast",
    "on the other hand",
    "trade off",
    "tradeoff",
    "the downside",
    "the cost",
    "in practice",
    "first",
    "finally",
];

/// Structure/length/specificity score before relevance scaling (module docs).
fn raw_clarity(answer: &str, tokens: &[&str]) -> f64 {
    let words = tokens.len();
    if words == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)] // word counts are small
    let n = words as f64;
    let mut score = if words < 40 {
        0.7 * n / 40.0
    } else if words <= 250 {
        0.7
    } else {
        0.7 - 0.2 * ((n - 250.0) / 350.0).min(1.0)
    };

    let sentences = answer
        .split(['.', '!', '?', ';', '\n'])
        .filter(|s| s.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count() >= 3)
        .count();
    if sentences >= 3 {
        score += 0.10;
    } else if sentences == 2 {
        score += 0.05;
    } else if words >= 60 {
        score -= 0.10;
    }

    #[allow(clippy::cast_precision_loss)] // at most CONNECTIVES.len()
    let connectives = CONNECTIVES.iter().filter(|c| phrase_in(tokens, c)).count() as f64;
    score += (0.05 * connectives).min(0.15);

    if looks_concrete(answer) {
        score += 0.10;
    }

    if words >= 20 {
        let mut distinct: Vec<&str> = tokens.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        #[allow(clippy::cast_precision_loss)]
        let ratio = distinct.len() as f64 / n;
        if ratio < 0.4 {
            score -= 0.20;
        }
    }
    clamp01(score)
}

/// Code-ish or concrete detail: backticks, arrows, calls, braces, camelCase or dotted names.
fn looks_concrete(answer: &str) -> bool {
    if answer.contains('`') || answer.contains("=>") || answer.contains("()") || answer.contains('{') {
        return true;
    }
    let b = answer.as_bytes();
    (1..b.len()).any(|i| {
        let camel = b[i - 1].is_ascii_lowercase()
            && b[i].is_ascii_uppercase()
            && b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
        let dotted = i >= 2
            && b[i] == b'.'
            && b[i - 1].is_ascii_alphanumeric()
            && b[i - 2].is_ascii_alphanumeric()
            && b.get(i + 1).is_some_and(u8::is_ascii_alphabetic);
        camel || dotted
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::bank::for_role;
    use crate::domain::enums::{Difficulty, RoleType};

    /// Roles whose every question is exercised by the scoring tests below.
    const SCORED_ROLES: &[RoleType] = RoleType::ALL;

    const OFF_TOPIC: &str = "I like turtles and the weather is nice";

    fn scored_questions() -> impl Iterator<Item = &'static Question> {
        SCORED_ROLES.iter().flat_map(|r| for_role(*r).questions.iter())
    }

    /// Every concept named, each in its own explained sentence.
    fn strong_answer(q: &Question) -> String {
        let mut out = String::new();
        for (i, c) in q.rubric.iter().enumerate() {
            if i % 2 == 0 {
                out.push_str(&format!(
                    "{} matters here because it decides how the code behaves at runtime. ",
                    c.name
                ));
            } else {
                out.push_str(&format!(
                    "For example, {} shows up when you change the inputs, so that the result stays correct. ",
                    c.name
                ));
            }
        }
        out
    }

    fn names_answer(q: &Question) -> String {
        q.rubric.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
    }

    fn q(role: RoleType, id: &str) -> &'static Question {
        match for_role(role).questions.iter().find(|q| q.id == id) {
            Some(q) => q,
            None => panic!("missing question {id}"),
        }
    }

    #[test]
    fn scored_roles_have_questions() {
        for r in SCORED_ROLES {
            assert!(for_role(*r).questions.len() >= 60, "{r}");
        }
    }

    #[test]
    fn concept_names_beat_empty_and_off_topic_answers_for_every_question() {
        for q in scored_questions() {
            let names = evaluate(q, &names_answer(q));
            let empty = evaluate(q, "");
            let off = evaluate(q, OFF_TOPIC);
            assert!((names.technical_accuracy - 1.0).abs() < 1e-9, "{}: {names:?}", q.id);
            assert!(names.technical_accuracy > empty.technical_accuracy, "{}", q.id);
            assert!(names.technical_accuracy > off.technical_accuracy, "{}: {off:?}", q.id);
            assert_eq!(off.answer_quality, AnswerQuality::Poor, "{}", q.id);
            assert!(off.composite() < 0.5, "{}", q.id);
            assert_eq!(empty.answer_quality, AnswerQuality::Poor, "{}", q.id);
            assert!(empty.explanation_clarity.abs() < 1e-9, "{}", q.id);
        }
    }

    #[test]
    fn every_single_concept_is_detectable_on_its_own() {
        for q in scored_questions() {
            for c in q.rubric {
                let e = evaluate(q, &format!("I would mention {}.", c.name));
                assert!(e.identified_skills.iter().any(|s| s == c.name), "{}: {}", q.id, c.name);
                for s in c.synonyms {
                    let e = evaluate(q, &format!("Well, {s} is relevant."));
                    assert!(
                        e.identified_skills.iter().any(|n| n == c.name),
                        "{}: synonym {s:?} of {} not detected",
                        q.id,
                        c.name
                    );
                }
            }
        }
    }

    #[test]
    fn i_dont_know_is_poor_everywhere() {
        for q in scored_questions() {
            for text in ["I don't know", "Sorry, no idea.", "idk", "asdf qwerty zxcv lorem ipsum"] {
                let e = evaluate(q, text);
                assert_eq!(e.answer_quality, AnswerQuality::Poor, "{}: {text}", q.id);
                assert!(e.composite() < 0.5, "{}: {text}", q.id);
            }
        }
    }

    #[test]
    fn strong_answers_are_excellent_everywhere() {
        for q in scored_questions() {
            let e = evaluate(q, &strong_answer(q));
            assert_eq!(e.answer_quality, AnswerQuality::Excellent, "{}: {e:?}", q.id);
            assert!(e.composite() > 0.8, "{}: {}", q.id, e.composite());
            assert!(e.missed_concepts.is_empty(), "{}", q.id);
            assert_eq!(e.identified_skills.len(), q.rubric.len(), "{}", q.id);
            assert_eq!(e.skill_area, q.skill_area);
            assert_eq!(follow_up(q, &e), None, "{}", q.id);
        }
    }

    #[test]
    fn partial_answers_land_in_the_middle_bands() {
        for q in scored_questions() {
            // The heaviest half of the rubric, explained.
            let mut by_weight: Vec<&Concept> = q.rubric.iter().collect();
            by_weight.sort_by(|a, b| b.weight.total_cmp(&a.weight));
            let half = &by_weight[..q.rubric.len().div_ceil(2)];
            let text: String = half
                .iter()
                .map(|c| format!("{} is important because it changes what the program does. ", c.name))
                .collect();
            let e = evaluate(q, &text);
            assert!(
                matches!(
                    e.answer_quality,
                    AnswerQuality::Good | AnswerQuality::Fair | AnswerQuality::Excellent
                ),
                "{}: {e:?}",
                q.id
            );
            let full = evaluate(q, &strong_answer(q));
            assert!(e.composite() < full.composite(), "{}", q.id);
            // Follow-ups probe the heaviest missed concept.
            if let Some(first) = e.missed_concepts.first() {
                let Some(text) = follow_up(q, &e) else { panic!("{}: no follow-up", q.id) };
                assert!(text.contains(first.as_str()), "{}: {text}", q.id);
            }
        }
    }

    #[test]
    fn keyword_dump_is_not_excellent_but_explained_answer_is() {
        let q = q(RoleType::Javascript, "javascript.scope_closures.fundamental.1");
        let dump = evaluate(q, &names_answer(q));
        assert_ne!(dump.answer_quality, AnswerQuality::Excellent, "{dump:?}");
        assert!(dump.explanation_clarity < 0.5);
        let strong = evaluate(q, &strong_answer(q));
        assert!(strong.explanation_clarity > dump.explanation_clarity);
    }

    #[test]
    fn realistic_answers_score_sensibly() {
        let q1 = q(RoleType::Javascript, "javascript.scope_closures.fundamental.1");
        let good = "var is function-scoped and gets hoisted and initialised to undefined, so you \
            can read it before the declaration. let and const are block-scoped and also hoisted, \
            but they sit in the temporal dead zone until the declaration runs, so touching them \
            early throws a ReferenceError. const only prevents reassignment of the binding; the \
            object it points to can still be mutated, for example pushing to a const array.";
        let e = evaluate(q1, good);
        assert!(matches!(e.answer_quality, AnswerQuality::Excellent | AnswerQuality::Good), "{e:?}");
        assert!(e.composite() > 0.7, "{e:?}");

        let weak = evaluate(q1, "let is newer than var.");
        assert!(weak.composite() < e.composite());
        assert!(matches!(weak.answer_quality, AnswerQuality::Poor | AnswerQuality::Fair));

        let q2 = q(RoleType::React, "react.effects_lifecycle.fundamental.2");
        let answer = "You return a cleanup so the effect can undo what it set up: unsubscribe, \
            removeEventListener, clearInterval. React calls it when the component unmounts and \
            also before running the effect again when its dependencies change, which prevents \
            memory leaks and duplicate subscriptions.";
        let e = evaluate(q2, answer);
        assert_eq!(e.answer_quality, AnswerQuality::Excellent, "{e:?}");
    }

    #[test]
    fn hedged_short_answers_are_penalised() {
        let q = q(RoleType::Javascript, "javascript.async_event_loop.fundamental.1");
        let hedge = evaluate(q, "I don't know what the event loop is, sorry.");
        assert_eq!(hedge.answer_quality, AnswerQuality::Poor);
    }

    #[test]
    fn rambling_gets_no_extra_credit() {
        let q = q(RoleType::React, "react.state_hooks.fundamental.1");
        let base = strong_answer(q);
        let long = base.repeat(12);
        let a = evaluate(q, &base);
        let b = evaluate(q, &long);
        assert!(b.explanation_clarity <= a.explanation_clarity, "{a:?} {b:?}");
    }

    #[test]
    fn matching_is_case_punctuation_plural_and_glue_insensitive() {
        fn m(answer: &str, phrase: &str) -> bool {
            let n = normalise(answer);
            let t: Vec<&str> = n.split_whitespace().map(stem).collect();
            phrase_in(&t, phrase)
        }
        assert!(m("It RE-RENDERS twice", "re render"));
        assert!(m("it rerenders", "re render"));
        assert!(m("call useEffect()", "use effect"));
        assert!(m("Closures remember", "closure"));
        assert!(m("all the dependencies", "dependency"));
        assert!(m("both classes", "class"));
        assert!(m("React's model", "react"));
        assert!(m("I don't know", "don't know"));
        assert!(m("React.memo helps", "react.memo"));
        assert!(!m("unreactive", "react"));
        assert!(!m("the reaction", "react"));
        assert!(!m("anything", ""));
        assert!(!m("", "react"));
        assert!(!m("a b c", "..."));
        let sym = |answer: &str, phrase: &str| symbol_in(answer, phrase);
        assert!(sym("use a == null check", "=="));
        assert!(sym("`a ?? b`", "??"));
        assert!(!sym("always use ===", "=="));
        assert!(!sym("a !== b", "=="));
        assert!(sym("a !== b", "!=="));
        assert!(!sym("anything", ""));
    }

    #[test]
    fn follow_up_targets_heaviest_missed_concept_and_varies() {
        let q = q(RoleType::React, "react.state_hooks.fundamental.1");
        let e = evaluate(q, "");
        let max = q.rubric.iter().map(|c| c.weight).fold(0.0, f64::max);
        let Some(heaviest) = q.rubric.iter().find(|c| c.weight >= max) else { panic!("empty rubric") };
        assert_eq!(e.missed_concepts.first().map(String::as_str), Some(heaviest.name));
        let texts: Vec<String> = (0..32).filter_map(|seed| follow_up_seeded(q, &e, seed)).collect();
        assert_eq!(texts.len(), 32);
        assert!(texts.iter().all(|t| t.contains(heaviest.name) && t.ends_with('?')));
        let mut distinct = texts.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() >= 4, "{distinct:?}");
        // Deterministic.
        assert_eq!(follow_up(q, &e), follow_up(q, &e));
    }

    #[test]
    fn follow_up_falls_back_to_foreign_missed_concepts() {
        let q = q(RoleType::React, "react.state_hooks.fundamental.1");
        let mut e = evaluate(q, "");
        e.missed_concepts = vec!["  ".into(), "fiber internals".into()];
        let Some(t) = follow_up(q, &e) else { panic!("no follow-up") };
        assert!(t.contains("fiber internals"), "{t}");
        e.missed_concepts.clear();
        assert_eq!(follow_up(q, &e), None);
    }

    #[test]
    fn bands_match_the_composite_thresholds() {
        let mut a = 0.0;
        while a <= 1.0 {
            let mut c = 0.0;
            while c <= 1.0 {
                let quality = band(a, c);
                let e = Evaluation {
                    answer_quality: quality,
                    technical_accuracy: a,
                    explanation_clarity: c,
                    identified_skills: vec![],
                    skill_area: String::new(),
                    missed_concepts: vec![],
                };
                match quality {
                    AnswerQuality::Excellent => assert!(e.composite() > 0.8),
                    AnswerQuality::Good => assert!(e.composite() >= 0.525 - 1e-9),
                    AnswerQuality::Poor => assert!(e.composite() < 0.5),
                    AnswerQuality::Fair => {}
                }
                c += 0.01;
            }
            a += 0.01;
        }
        assert_eq!(band(1.0, 1.0), AnswerQuality::Excellent);
        assert_eq!(band(0.0, 1.0), AnswerQuality::Poor);
    }

    #[test]
    fn warmup_questions_exist_for_every_scored_area() {
        for r in SCORED_ROLES {
            let bank = for_role(*r);
            for area in bank.skill_areas {
                assert!(bank.questions_for(area, Difficulty::Warmup).count() >= 2, "{r} {area}");
            }
        }
    }
}
