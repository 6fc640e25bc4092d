//! Model-name matching shared by the price table ([`super::cost`]) and the context-window table
//! ([`super::memory`]).
//!
//! Model names are configuration (docs/interviews.md#cost: several current models have announced retirement
//! dates), and providers append dated snapshot suffixes (`gpt-4o-mini-2024-07-18`). A table entry
//! therefore names a *family*: it matches the exact name or the name followed by `-…`, never a
//! mere string prefix, so `gpt-4` does not claim `gpt-4o` and `gpt-4o-mini` does not claim
//! `gpt-4o-minix`. When several families match, the longest wins (`gpt-4o-mini` over `gpt-4o`).
//! Nothing here allocates per entry or knows any prices or windows.

/// True when `model` is `family` itself or a member of it (`family-…`), ignoring ASCII case and
/// surrounding whitespace.
#[must_use]
pub(crate) fn in_family(model: &str, family: &str) -> bool {
    let model = model.trim();
    let family = family.trim();
    if family.is_empty() {
        return false;
    }
    // `None` when the model is shorter or the cut falls inside a multi-byte character.
    match model.split_at_checked(family.len()) {
        Some((head, rest)) => head.eq_ignore_ascii_case(family) && (rest.is_empty() || rest.starts_with('-')),
        None => false,
    }
}

/// The value of the longest family in `entries` that `model` belongs to.
#[must_use]
pub(crate) fn best_match<'a, T: 'a>(
    model: &str,
    entries: impl IntoIterator<Item = (&'a str, T)>,
) -> Option<T> {
    entries
        .into_iter()
        .filter(|(family, _)| in_family(model, family))
        .max_by_key(|(family, _)| family.trim().len())
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_match_on_a_dash_boundary_only() {
        let cases = [
            ("gpt-4o-mini", "gpt-4o-mini", true),
            ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", true),
            ("GPT-4o-Mini", "gpt-4o-mini", true),
            (" gpt-4o-mini ", "gpt-4o-mini", true),
            ("gpt-4o-minix", "gpt-4o-mini", false),
            ("gpt-4o", "gpt-4", false),
            ("gpt-4-0613", "gpt-4", true),
            ("gpt-4", "gpt-4o", false),
            ("anything", "", false),
            ("é-model", "e", false),
        ];
        for (model, family, expected) in cases {
            assert_eq!(in_family(model, family), expected, "{model} in {family}");
        }
    }

    #[test]
    fn the_longest_matching_family_wins() {
        let table = [("gpt-4o", 1), ("gpt-4o-mini", 2), ("gpt-4", 3)];
        assert_eq!(best_match("gpt-4o-mini-2024-07-18", table), Some(2));
        assert_eq!(best_match("gpt-4o-2024-08-06", table), Some(1));
        assert_eq!(best_match("gpt-4-turbo", table), Some(3));
        assert_eq!(best_match("o3", table), None);
    }
}
