//! The core's standard provider with the Worker's HTTP client.

use super::openai_http::FetchClient;
use crate::config::Config;
use crate::interview::provider::StandardProvider;

/// The provider the interview DO uses.
pub type PlatformProvider<'a> = StandardProvider<'a, FetchClient>;

/// The provider for `config`.
pub fn platform_provider(config: &Config) -> PlatformProvider<'_> {
    StandardProvider { config, http: &FetchClient }
}
