//! Text matching shared by rubric scoring (`score.rs`) and claim detection (`claims.rs`):
//! normalisation, light stemming, and whole-token phrase matching.

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}')
}

/// Lower-cases, drops apostrophes ("don't" → "dont", "React's" → "reacts") and turns every other
/// non-alphanumeric character into a space.
pub(super) fn normalise(text: &str) -> String {
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
pub(super) fn stem(word: &str) -> &str {
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
pub(super) fn phrase_in(tokens: &[&str], phrase: &str) -> bool {
    Phrase::new(phrase).is_in(tokens)
}

/// A phrase tokenised once, for matching against many token lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Phrase {
    parts: Vec<String>,
    glued: String,
}

impl Phrase {
    pub(super) fn new(phrase: &str) -> Phrase {
        let parts: Vec<String> = phrase_tokens(phrase).map(|p| chars_of(p).collect()).collect();
        let glued = parts.concat();
        Phrase { parts, glued }
    }

    /// See [`phrase_in`].
    pub(super) fn is_in(&self, tokens: &[&str]) -> bool {
        let n = self.parts.len();
        if n == 0 || tokens.is_empty() {
            return false;
        }
        if tokens.len() >= n
            && tokens.windows(n).any(|window| window.iter().zip(&self.parts).all(|(t, p)| *t == p))
        {
            return true;
        }
        n > 1 && tokens.iter().any(|t| *t == self.glued)
    }
}
