//! The call recorder: with `WORKTIME_RECORD_CALLS=FILE`, every SDK operation any client
//! is appended, once its configuration is complete (before it is serialized), to FILE as one line `<service>\t<operation>` (the SDK's own names, as
//! `aws::calls::CALLS` lists them). The end-to-end tests run each command with it and check
//! that the permissions table lists every operation the command made.

use std::io::Write;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The environment variable naming the file to append to.
pub const RECORD_ENV: &str = "WORKTIME_RECORD_CALLS";

#[derive(Debug, Clone)]
pub struct Recorder {
    path: std::path::PathBuf,
}

impl Recorder {
    pub fn from_env() -> Option<Self> {
        std::env::var_os(RECORD_ENV)
            .filter(|path| !path.is_empty())
            .map(|path| Recorder { path: path.into() })
    }
}

/// One recorded line.
pub fn line(service: &str, operation: &str) -> String {
    format!("{service}\t{operation}\n")
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "WorktimeCallRecorder"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let metadata = cfg
            .load::<Metadata>()
            .ok_or("the call recorder found no operation metadata")?;
        // One write per line (O_APPEND): concurrent calls never interleave within a line.
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        file.write_all(line(metadata.service(), metadata.name()).as_bytes())?;
        Ok(())
    }
}
