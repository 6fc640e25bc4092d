//! Adapters from the core's ports to the platform: the OpenAI HTTP calls over `worker::Fetch`.

pub mod openai_http;
pub mod provider;
pub mod speech_http;
