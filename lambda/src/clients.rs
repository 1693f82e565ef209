//! The SDK clients the function uses, and how their errors are described.

/// Application Auto Scaling and ECS (scaling), EventBridge (one event per run), SNS (the
/// notice) and Lambda (the notice's delivery record, on the function's own tags), built once
/// per process from one SDK config.
#[derive(Debug, Clone)]
pub struct Clients {
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub sns: aws_sdk_sns::Client,
    pub lambda: aws_sdk_lambda::Client,
}

impl Clients {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Clients {
            autoscaling: aws_sdk_applicationautoscaling::Client::new(config),
            ecs: aws_sdk_ecs::Client::new(config),
            events: aws_sdk_eventbridge::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
            lambda: aws_sdk_lambda::Client::new(config),
        }
    }
}

/// The service's own error code and message where there is one, else the whole chain of
/// causes (a connection refused, an unparsable answer), not the SDK's bare "service error".
pub fn describe_error<E, R>(error: &aws_sdk_ecs::error::SdkError<E, R>) -> String
where
    E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if let Some(service_error) = error.as_service_error() {
        match (service_error.code(), service_error.message()) {
            (Some(code), Some(message)) => return format!("{code}: {message}"),
            (Some(code), None) => return code.to_string(),
            _ => {}
        }
    }
    aws_sdk_ecs::error::DisplayErrorContext(error).to_string()
}
