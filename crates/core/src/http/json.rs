//! JSON request bodies: content type, size, syntax, and field-by-field validation that names the
//! offending field for every kind of problem (missing, wrong type, out of range, unknown field).
//!
//! Handlers read fields through [`Fields`], which accumulates every problem and reports them all
//! at once in one 422, then refuses any field it was not asked about.

use serde_json::{Map, Value};

use super::MAX_JSON_BODY_BYTES;
use crate::error::{ApiError, ErrorCode, FieldError};

/// True for `application/json` with optional parameters (`; charset=utf-8`).
#[must_use]
pub fn is_json_content_type(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// Checks the content type and size, then parses the body as a JSON object.
///
/// # Errors
/// 415 for another content type, 413 above 64 KiB, 400 `MALFORMED_JSON` for invalid JSON,
/// 422 when the JSON is not an object.
pub fn parse_object(content_type: Option<&str>, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if !is_json_content_type(content_type) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "This route accepts application/json only.",
        ));
    }
    if body.len() > MAX_JSON_BODY_BYTES {
        return Err(too_large());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::field("body", "The body must be a JSON object.")),
        Err(_) => Err(ApiError::new(ErrorCode::MalformedJson, "The body is not valid JSON.")),
    }
}

/// The 413 for JSON bodies.
#[must_use]
pub fn too_large() -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge, "The body is larger than 64 KiB.")
}

/// Typed access to a JSON object's fields with accumulated validation errors.
#[derive(Debug)]
pub struct Fields {
    map: Map<String, Value>,
    prefix: String,
    errors: Vec<FieldError>,
}

impl Fields {
    #[must_use]
    pub fn new(map: Map<String, Value>) -> Self {
        Self { map, prefix: String::new(), errors: Vec::new() }
    }

    /// The whole object, for bodies validated by a domain module (`domain::job`).
    #[must_use]
    pub fn into_map(self) -> Map<String, Value> {
        self.map
    }

    fn name(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    /// Records a problem with a field (for checks the caller makes itself).
    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        let field = self.name(field);
        self.errors.push(FieldError { field, message: message.into() });
    }

    fn take(&mut self, field: &str) -> Option<Value> {
        self.map.remove(field).filter(|v| !v.is_null())
    }

    /// A required string; trimmed when `trim` is set; its length in characters within `len`.
    pub fn required_str(
        &mut self,
        field: &str,
        len: std::ops::RangeInclusive<usize>,
        trim: bool,
    ) -> Option<String> {
        match self.take(field) {
            None => {
                self.error(field, "This field is required.");
                None
            }
            Some(v) => self.check_str(field, v, len, trim),
        }
    }

    /// An optional string (absent or null → `None`).
    pub fn optional_str(
        &mut self,
        field: &str,
        len: std::ops::RangeInclusive<usize>,
        trim: bool,
    ) -> Option<String> {
        let v = self.take(field)?;
        self.check_str(field, v, len, trim)
    }

    fn check_str(
        &mut self,
        field: &str,
        v: Value,
        len: std::ops::RangeInclusive<usize>,
        trim: bool,
    ) -> Option<String> {
        let Value::String(s) = v else {
            self.error(field, "Must be a string.");
            return None;
        };
        let s = if trim { s.trim().to_owned() } else { s };
        let n = s.chars().count();
        if !len.contains(&n) {
            self.error(field, format!("Must be {} to {} characters long.", len.start(), len.end()));
            return None;
        }
        Some(s)
    }

    /// A required boolean.
    pub fn required_bool(&mut self, field: &str) -> Option<bool> {
        match self.take(field) {
            None => {
                self.error(field, "This field is required.");
                None
            }
            Some(Value::Bool(b)) => Some(b),
            Some(_) => {
                self.error(field, "Must be true or false.");
                None
            }
        }
    }

    /// An optional boolean.
    pub fn optional_bool(&mut self, field: &str) -> Option<bool> {
        match self.take(field)? {
            Value::Bool(b) => Some(b),
            _ => {
                self.error(field, "Must be true or false.");
                None
            }
        }
    }

    /// An optional non-negative integer within `range`.
    pub fn optional_u64(&mut self, field: &str, range: std::ops::RangeInclusive<u64>) -> Option<u64> {
        let v = self.take(field)?;
        match v.as_u64() {
            Some(n) if range.contains(&n) => Some(n),
            Some(_) => {
                self.error(field, format!("Must be between {} and {}.", range.start(), range.end()));
                None
            }
            None => {
                self.error(field, "Must be a non-negative integer.");
                None
            }
        }
    }

    /// An optional finite number within `range` (absent or null → `None`).
    pub fn optional_f64(&mut self, field: &str, range: std::ops::RangeInclusive<f64>) -> Option<f64> {
        let v = self.take(field)?;
        match v.as_f64() {
            Some(x) if range.contains(&x) => Some(x),
            _ => {
                self.error(field, format!("Must be a number between {} and {}.", range.start(), range.end()));
                None
            }
        }
    }

    /// A required string that must parse with `parse` (an enum); `allowed` lists the values.
    pub fn required_enum<T>(
        &mut self,
        field: &str,
        parse: fn(&str) -> Option<T>,
        allowed: &[&str],
    ) -> Option<T> {
        match self.take(field) {
            None => {
                self.error(field, "This field is required.");
                None
            }
            Some(v) => self.check_enum(field, &v, parse, allowed),
        }
    }

    /// An optional enum string.
    pub fn optional_enum<T>(
        &mut self,
        field: &str,
        parse: fn(&str) -> Option<T>,
        allowed: &[&str],
    ) -> Option<T> {
        let v = self.take(field)?;
        self.check_enum(field, &v, parse, allowed)
    }

    fn check_enum<T>(
        &mut self,
        field: &str,
        v: &Value,
        parse: fn(&str) -> Option<T>,
        allowed: &[&str],
    ) -> Option<T> {
        let parsed = v.as_str().and_then(parse);
        if parsed.is_none() {
            self.error(field, format!("Must be one of: {}.", allowed.join(", ")));
        }
        parsed
    }

    /// An optional nested object, validated by `inner` with field names prefixed `field.`.
    pub fn optional_object<T>(
        &mut self,
        field: &str,
        inner: impl FnOnce(&mut Fields) -> Option<T>,
    ) -> Option<T> {
        let v = self.take(field)?;
        let Value::Object(map) = v else {
            self.error(field, "Must be an object.");
            return None;
        };
        let mut nested = Fields { map, prefix: format!("{}.", self.name(field)), errors: Vec::new() };
        let out = inner(&mut nested);
        nested.reject_unknown();
        self.errors.append(&mut nested.errors);
        out
    }

    fn reject_unknown(&mut self) {
        let unknown: Vec<String> = self.map.keys().cloned().collect();
        for key in unknown {
            self.error(&key, "Unknown field.");
        }
        self.map.clear();
    }

    /// Whether a problem was recorded so far.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Ends validation: any field not read is unknown.
    ///
    /// # Errors
    /// 422 `VALIDATION_ERROR` listing every problem found.
    pub fn finish(mut self) -> Result<(), ApiError> {
        self.reject_unknown();
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: &str) -> Fields {
        Fields::new(parse_object(Some("application/json"), json.as_bytes()).expect("object"))
    }

    fn detail_fields(err: &ApiError) -> Vec<&str> {
        err.details.iter().map(|d| d.field.as_str()).collect()
    }

    #[test]
    fn content_type_size_and_syntax_are_checked_in_order() {
        assert_eq!(parse_object(Some("text/plain"), b"{}").expect_err("415").status(), 415);
        assert_eq!(parse_object(None, b"{}").expect_err("415").status(), 415);
        assert!(parse_object(Some("application/json; charset=utf-8"), b"{}").is_ok());
        let big = vec![b' '; MAX_JSON_BODY_BYTES + 1];
        assert_eq!(parse_object(Some("application/json"), &big).expect_err("413").status(), 413);
        let err = parse_object(Some("application/json"), b"{\"a\":").expect_err("400");
        assert_eq!(err.code, ErrorCode::MalformedJson);
        assert_eq!(parse_object(Some("application/json"), b"[1]").expect_err("422").status(), 422);
    }

    #[test]
    fn every_kind_of_field_problem_names_the_field() {
        let cases: &[(&str, &str)] = &[
            (r#"{}"#, "name"),
            (r#"{"name": 5}"#, "name"),
            (r#"{"name": "x"}"#, "name"),
            (r#"{"name": "valid", "extra": 1}"#, "extra"),
            (r#"{"name": "valid", "flag": "yes"}"#, "flag"),
            (r#"{"name": "valid", "count": -1}"#, "count"),
            (r#"{"name": "valid", "count": 1000}"#, "count"),
            (r#"{"name": "valid", "meta": {"typing_ms": "x"}}"#, "meta.typing_ms"),
            (r#"{"name": "valid", "meta": {"bogus": 1}}"#, "meta.bogus"),
            (r#"{"name": "valid", "meta": 3}"#, "meta"),
        ];
        for (json, field) in cases {
            let mut f = fields(json);
            f.required_str("name", 2..=10, true);
            f.optional_bool("flag");
            f.optional_u64("count", 0..=100);
            f.optional_object("meta", |m| m.optional_u64("typing_ms", 0..=10));
            let err = f.finish().expect_err(json);
            assert_eq!(err.status(), 422, "{json}");
            assert_eq!(detail_fields(&err), vec![*field], "{json}");
        }
    }

    #[test]
    fn valid_input_passes_and_null_counts_as_absent() {
        let mut f = fields(r#"{"name": "  ok  ", "flag": null}"#);
        assert_eq!(f.required_str("name", 2..=10, true).as_deref(), Some("ok"));
        assert_eq!(f.optional_bool("flag"), None);
        assert!(f.finish().is_ok());
    }

    #[test]
    fn enums_list_the_allowed_values() {
        let mut f = fields(r#"{"role_type": "cobol"}"#);
        let parsed =
            f.required_enum("role_type", crate::domain::enums::RoleType::parse, &["react", "python"]);
        assert!(parsed.is_none());
        let err = f.finish().expect_err("bad enum");
        assert!(err.details[0].message.contains("react"));
    }
}
