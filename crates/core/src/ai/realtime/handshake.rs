//! Where the socket's ticket comes from and which subprotocol is answered (docs/voice.md#tickets):
//! the official OpenAI Realtime clients send their API key, here the ticket, in one of three
//! places, and browsers fail a handshake that offered subprotocols and got none back.
//!
//! Must not: answer the subprotocol that carries the ticket (it would echo a credential).

/// The subprotocol prefix that carries an API key (the ticket) from a browser.
pub const KEY_PROTOCOL_PREFIX: &str = "openai-insecure-api-key.";

/// The subprotocol the official browser clients offer and expect back.
pub const REALTIME_PROTOCOL: &str = "realtime";

/// The subprotocols offered in a `Sec-WebSocket-Protocol` header value.
#[must_use]
pub fn offered_protocols(header: &str) -> Vec<&str> {
    header.split(',').map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// The ticket: the `ticket` query parameter, else the token of `Authorization: Bearer <ticket>`,
/// else the `openai-insecure-api-key.<ticket>` subprotocol; `None` when none carries one.
#[must_use]
pub fn ticket_from(
    query_ticket: Option<&str>,
    authorization: Option<&str>,
    protocols: &[&str],
) -> Option<String> {
    let bearer = authorization.and_then(|auth| {
        let (scheme, token) = auth.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    let protocol = || protocols.iter().find_map(|p| p.strip_prefix(KEY_PROTOCOL_PREFIX));
    [query_ticket, bearer, protocol()].into_iter().flatten().find(|t| !t.is_empty()).map(str::to_owned)
}

/// The subprotocol to answer: [`REALTIME_PROTOCOL`] when offered, else none.
#[must_use]
pub fn answered_protocol(protocols: &[&str]) -> Option<&'static str> {
    protocols.contains(&REALTIME_PROTOCOL).then_some(REALTIME_PROTOCOL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ticket_comes_from_where_each_client_puts_its_key() {
        let browser = offered_protocols("realtime, openai-insecure-api-key.rt1_B ,openai-agents-sdk.0.20.0");
        assert_eq!(browser, ["realtime", "openai-insecure-api-key.rt1_B", "openai-agents-sdk.0.20.0"]);
        type Case<'a> = (Option<&'a str>, Option<&'a str>, &'a [&'a str], Option<&'a str>);
        let table: [Case<'_>; 8] = [
            (Some("rt1_Q"), Some("Bearer rt1_A"), &browser, Some("rt1_Q")),
            (None, Some("Bearer rt1_A"), &browser, Some("rt1_A")),
            (None, Some("bearer  rt1_A "), &[], Some("rt1_A")),
            (None, None, &browser, Some("rt1_B")),
            (None, Some("Basic dXNlcg=="), &browser, Some("rt1_B")),
            (Some(""), Some("Bearer "), &["openai-insecure-api-key."], None),
            (None, Some("Bearer"), &["realtime"], None),
            (None, None, &[], None),
        ];
        for (query, auth, protocols, expected) in table {
            assert_eq!(
                ticket_from(query, auth, protocols).as_deref(),
                expected,
                "{query:?} {auth:?} {protocols:?}"
            );
        }
    }

    #[test]
    fn only_realtime_is_answered() {
        assert_eq!(
            answered_protocol(&offered_protocols("realtime, openai-insecure-api-key.rt1_B")),
            Some("realtime")
        );
        assert_eq!(answered_protocol(&offered_protocols("openai-insecure-api-key.rt1_B")), None);
        assert_eq!(answered_protocol(&offered_protocols("")), None);
        assert_eq!(answered_protocol(&offered_protocols("realtimes")), None);
    }
}
