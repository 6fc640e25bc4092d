//! Newtypes for the values that are easy to mix up: ids of different things, an answer's text,
//! an idempotency key, a page of a list. They serialise as the plain string or number they wrap,
//! so stored JSON and the wire format are unchanged.

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            #[must_use]
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }

            #[must_use]
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

string_id!(
    /// An interview's id (a UUID; also the name of its Durable Object).
    InterviewId
);
string_id!(
    /// A user's id (candidate or staff).
    UserId
);
string_id!(
    /// A client's `Idempotency-Key` for an answer.
    IdempotencyKey
);
string_id!(
    /// The text of a candidate's answer, as received (already length-checked by the Worker).
    AnswerText
);

/// One page of a list: how many rows to skip and how many to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paging {
    pub skip: u32,
    pub limit: u32,
}

impl Paging {
    /// A page, with `limit` clamped to `1..=max`.
    #[must_use]
    pub fn new(skip: u32, limit: u32, max: u32) -> Self {
        Paging { skip, limit: limit.clamp(1, max.max(1)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialise_as_plain_strings() {
        let id = InterviewId::new("abc");
        assert_eq!(serde_json::to_string(&id).ok().as_deref(), Some("\"abc\""));
        let back: UserId = serde_json::from_str("\"u1\"").unwrap_or_else(|_| UserId::new(""));
        assert_eq!(back, "u1");
    }

    #[test]
    fn paging_clamps_the_limit() {
        assert_eq!(Paging::new(0, 0, 100).limit, 1);
        assert_eq!(Paging::new(5, 500, 100), Paging { skip: 5, limit: 100 });
    }
}
