//! `docs/openapi.json` documents exactly the routes in the router's table, with valid JSON and
//! every error response pointing at the envelope. Native: no server needed.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;

use interview_edge::http::routes::ROUTES;

fn document() -> serde_json::Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json")).expect("read");
    serde_json::from_str(&text).expect("openapi.json is valid JSON")
}

#[test]
fn every_route_in_the_router_is_documented_and_nothing_else() {
    let doc = document();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
    let paths = doc["paths"].as_object().expect("paths");
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .into_iter()
                .flat_map(|o| o.keys())
                .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> =
        ROUTES.iter().map(|r| (r.method.to_owned(), r.pattern.to_owned())).collect();
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(missing.is_empty(), "routes missing from openapi.json: {missing:?}");
    assert!(extra.is_empty(), "openapi.json documents routes the router lacks: {extra:?}");
}

#[test]
fn authenticated_routes_declare_bearer_security_and_401() {
    let doc = document();
    for r in ROUTES.iter().filter(|r| r.authenticated) {
        let op = &doc["paths"][r.pattern][r.method.to_lowercase()];
        assert!(op["security"].is_array(), "{} {} lacks security", r.method, r.pattern);
        assert!(op["responses"]["401"].is_object(), "{} {} lacks a 401", r.method, r.pattern);
    }
}

#[test]
fn every_reference_resolves() {
    fn walk(v: &serde_json::Value, doc: &serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(r) = map.get("$ref").and_then(|r| r.as_str()) {
                    let pointer = r.trim_start_matches('#');
                    assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
                }
                map.values().for_each(|x| walk(x, doc));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|x| walk(x, doc)),
            _ => {}
        }
    }
    let doc = document();
    walk(&doc, &doc);
}
