//! The AWS SDK's configuration loader every binary here starts from: the function, the CLI
//! and the test harness load their `SdkConfig` through it, so they talk to AWS (or to the
//! local endpoint) with the same HTTPS client.
//!
//! The SDK crates are built without their default HTTPS client (rustls on aws-lc, whose C
//! build dominates a cold build on 2 cores); this is the same hyper + rustls client on ring.

use aws_config::provider_config::ProviderConfig;
use aws_config::{BehaviorVersion, ConfigLoader};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// `aws_config::defaults` (the standard credential chain, profiles, `AWS_ENDPOINT_URL`, ...)
/// with the HTTPS client set; callers add their own overrides.
pub fn config_loader() -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(https_client())
}

/// For a credential provider built on its own (a named profile's, say): without a client it
/// would panic at its first call, since no default client is compiled in.
pub fn provider_config() -> ProviderConfig {
    ProviderConfig::default().with_http_client(https_client())
}

fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}
