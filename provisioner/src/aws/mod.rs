//! AWS access: the shared `--profile/--region/--endpoint-url` argument group and the SDK
//! config it builds, the poll interval it carries, the session (identity and clients) of one account and region, and
//! per-target credentials.
//!
//! Everything else comes from the standard chain: environment credentials, profiles and SSO,
//! `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`, container and instance roles.

pub mod calls;
pub mod clients;
mod poll;
pub mod record;
pub(crate) mod session;
pub(crate) mod target;

use aws_config::retry::RetryConfig;
use aws_config::{Region, SdkConfig};
use clap::Args;

pub use poll::Poll;
pub use session::Session;
pub use target::connect;

#[derive(Debug, Clone, Default, Args)]
pub struct AwsArgs {
    /// Named profile from ~/.aws/config (default: AWS_PROFILE, then "default").
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Region to deploy to (default: the config file's `stack.region`).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Send every AWS call to this endpoint (default: AWS_ENDPOINT_URL, else AWS's own).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// How often to poll CloudFormation, in milliseconds (default: each operation's own
    /// interval). For a local endpoint, where operations finish at once.
    #[arg(
        long,
        global = true,
        hide = true,
        env = "WORKTIME_POLL_MS",
        value_name = "MS"
    )]
    pub poll_ms: Option<u64>,
}

impl AwsArgs {
    /// Loads the SDK config: flags first, then `fallback_region` (the config file's), then
    /// the standard chain.
    pub async fn load(&self, fallback_region: Option<&str>) -> SdkConfig {
        let mut loader = worktime_lambda::sdk::config_loader();
        // Throttling on Application Auto Scaling and CloudFormation is routine at scale: more
        // patient than the SDK's default of 3 attempts, unless the user chose (AWS_MAX_ATTEMPTS).
        if std::env::var_os("AWS_MAX_ATTEMPTS").is_none() {
            loader = loader.retry_config(RetryConfig::standard().with_max_attempts(6));
        }
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = self.region.as_deref().or(fallback_region) {
            loader = loader.region(Region::new(region.to_string()));
        }
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        loader.load().await
    }

    /// How often long CloudFormation operations are polled.
    pub fn poll(&self) -> Poll {
        match self.poll_ms {
            Some(ms) => Poll::every(std::time::Duration::from_millis(ms)),
            None => Poll::default(),
        }
    }

    /// Whether calls go to a custom endpoint (an emulator, a VPC endpoint): S3 then needs
    /// path-style addressing, since `<bucket>.127.0.0.1` does not resolve.
    pub fn custom_endpoint(&self) -> bool {
        self.endpoint_url.is_some()
            || std::env::var_os("AWS_ENDPOINT_URL").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
    }
}
