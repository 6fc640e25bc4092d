//! The Worker's one client of the interview Durable Object: typed calls over the
//! [`crate::protocol`] seam. Handlers, jobs and the health check go through it; nothing else
//! builds a request to the object.

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use crate::http::error::ApiError;
use crate::ids::InterviewId;
use crate::interview::Caller;
use crate::platform::{log_error, now_ms};
use crate::protocol::{decode_error, Bearer, InterviewCall, InterviewRequest, CALL_HEADER, CALL_URL};

/// The interview's object, named by the interview's id.
pub struct InterviewClient {
    stub: worker::Stub,
}

fn internal(context: &'static str) -> impl Fn(worker::Error) -> ApiError {
    move |e| {
        log_error(context, &e);
        ApiError::internal()
    }
}

impl InterviewClient {
    /// The client of interview `id`'s object.
    ///
    /// # Errors
    /// A missing binding (500).
    pub fn new(env: &Env, id: &InterviewId) -> Result<Self, ApiError> {
        Self::named(env, id.as_str())
    }

    /// The client of the object named `name` (the health check uses a dedicated one).
    ///
    /// # Errors
    /// A missing binding (500).
    pub fn named(env: &Env, name: &str) -> Result<Self, ApiError> {
        let namespace = env.durable_object("INTERVIEW").map_err(internal("interview namespace"))?;
        let stub = namespace
            .id_from_name(name)
            .and_then(|oid| oid.get_stub())
            .map_err(internal("interview stub"))?;
        Ok(InterviewClient { stub })
    }

    async fn send(
        &self,
        call: &InterviewCall,
        body: Option<JsValue>,
        headers: Headers,
    ) -> Result<Response, ApiError> {
        let encoded = call.encode();
        let body = if call.request.in_header() {
            headers.set(CALL_HEADER, &encoded).map_err(internal("call header"))?;
            body
        } else {
            let _ = headers.set("Content-Type", "application/json");
            Some(encoded.into())
        };
        // An upgrade is a GET; every other call a POST.
        let method =
            if matches!(call.request, InterviewRequest::Connect { .. }) { Method::Get } else { Method::Post };
        let init = RequestInit { method, headers, body, ..RequestInit::default() };
        let req = Request::new_with_init(CALL_URL, &init).map_err(internal("do request"))?;
        self.stub.fetch_with_request(req).await.map_err(internal("interview do"))
    }

    /// Sends the call and reads the object's whole answer: its status and JSON text, or its
    /// refusal as the envelope error.
    async fn exchange(
        &self,
        caller: Option<Caller>,
        request: InterviewRequest,
        body: Option<JsValue>,
    ) -> Result<(u16, String), ApiError> {
        self.exchange_as(InterviewCall { caller, bearer: None, request, sent_ms: Some(now_ms()) }, body).await
    }

    async fn exchange_as(
        &self,
        call: InterviewCall,
        body: Option<JsValue>,
    ) -> Result<(u16, String), ApiError> {
        let mut resp = self.send(&call, body, Headers::new()).await?;
        let status = resp.status_code();
        let text = resp.text().await.map_err(internal("interview do body"))?;
        if status >= 400 {
            return Err(decode_error(&text));
        }
        Ok((status, text))
    }

    /// The object's answer as the client's response: the JSON it wrote, passed through (it is
    /// serialised once, in the object), or its error.
    ///
    /// # Errors
    /// The object's refusal, as the envelope error.
    pub async fn forward(
        &self,
        caller: Option<Caller>,
        request: InterviewRequest,
    ) -> Result<Response, ApiError> {
        let (status, text) = self.exchange(caller, request, None).await?;
        Self::passed_through(status, text)
    }

    /// [`InterviewClient::forward`] for a `bearer` token whose account the object checks
    /// (a candidate's answer; docs/accounts.md#where-the-account-is-checked).
    ///
    /// # Errors
    /// The object's refusal (401 when the account check fails).
    pub async fn forward_bearer(
        &self,
        bearer: Bearer,
        request: InterviewRequest,
    ) -> Result<Response, ApiError> {
        let call = InterviewCall { caller: None, bearer: Some(bearer), request, sent_ms: Some(now_ms()) };
        let (status, text) = self.exchange_as(call, None).await?;
        Self::passed_through(status, text)
    }

    fn passed_through(status: u16, text: String) -> Result<Response, ApiError> {
        let headers = Headers::new();
        let _ = headers.set("Content-Type", "application/json");
        Ok(Response::ok(text)
            .map_err(internal("interview response"))?
            .with_status(status)
            .with_headers(headers))
    }

    /// The object's answer as JSON text (the export copies it into its document as it is).
    ///
    /// # Errors
    /// The object's refusal.
    pub async fn text(&self, caller: Option<Caller>, request: InterviewRequest) -> Result<String, ApiError> {
        self.exchange(caller, request, None).await.map(|(_, text)| text)
    }

    /// A typed answer, for Rust callers that read it (legacy voice, jobs, tests of the seam).
    ///
    /// # Errors
    /// The object's refusal; a reply that does not match `T` (500).
    pub async fn call<T: DeserializeOwned>(
        &self,
        caller: Option<Caller>,
        request: InterviewRequest,
    ) -> Result<(u16, T), ApiError> {
        self.call_with_body(caller, request, None).await
    }

    /// [`InterviewClient::call`] with a byte body (a video chunk).
    ///
    /// # Errors
    /// As [`InterviewClient::call`].
    pub async fn call_with_body<T: DeserializeOwned>(
        &self,
        caller: Option<Caller>,
        request: InterviewRequest,
        body: Option<JsValue>,
    ) -> Result<(u16, T), ApiError> {
        let (status, text) = self.exchange(caller, request, body).await?;
        let value = serde_json::from_str(&text).map_err(|e| {
            log_error("interview reply decode", &e);
            ApiError::internal()
        })?;
        Ok((status, value))
    }

    /// Opens the realtime socket: the upgrade goes to the object, which redeems the ticket and
    /// answers 101, or refuses before any upgrade.
    ///
    /// # Errors
    /// The object's refusal.
    pub async fn connect(&self, ticket: String) -> Result<Response, ApiError> {
        let headers = Headers::new();
        headers.set("Upgrade", "websocket").map_err(internal("upgrade header"))?;
        let call = InterviewCall {
            caller: None,
            bearer: None,
            request: InterviewRequest::Connect { ticket },
            sent_ms: Some(now_ms()),
        };
        let mut resp = self.send(&call, None, headers).await?;
        if resp.status_code() == 101 {
            return Ok(resp);
        }
        let text = resp.text().await.map_err(internal("interview do body"))?;
        Err(decode_error(&text))
    }
}
