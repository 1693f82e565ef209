//! The SDK clients the function uses, and how their errors are described.

/// Application Auto Scaling and ECS (scaling), EC2 Auto Scaling (the `[[capacity]]` groups),
/// EventBridge (one event per run), SNS (the notice), Lambda (the notice's delivery record,
/// on the function's own tags) and Elastic Load Balancing (target health), built once
/// per process from one SDK config.
#[derive(Debug, Clone)]
pub struct Clients {
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub groups: aws_sdk_autoscaling::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub sns: aws_sdk_sns::Client,
    pub lambda: aws_sdk_lambda::Client,
    /// Elastic Load Balancing: a wave's services' target health.
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
}

impl Clients {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Clients {
            autoscaling: aws_sdk_applicationautoscaling::Client::new(config),
            ecs: aws_sdk_ecs::Client::new(config),
            groups: aws_sdk_autoscaling::Client::new(config),
            events: aws_sdk_eventbridge::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
            lambda: aws_sdk_lambda::Client::new(config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(config),
        }
    }
}

/// One line for an SDK error: the service's own error code and message where there is one,
/// else each distinct cause in the chain (a connection refused, an unparsable answer, no
/// credentials), never the SDK's `Debug` dump — that is logged at debug level
/// (`RUST_LOG=debug`) for whoever needs it.
pub fn describe_error<E, R>(error: &aws_sdk_ecs::error::SdkError<E, R>) -> String
where
    E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if let Some(service_error) = error.as_service_error() {
        match (service_error.code(), service_error.message()) {
            (Some(code), Some(message)) => return format!("{code}: {message}"),
            (Some(code), None) => return code.to_string(),
            _ => {}
        }
    }
    tracing::debug!(error = ?error, "AWS SDK error");
    cause_chain(error)
}

/// Each distinct message down `error`'s chain of sources, joined with ": ", on one line. A
/// credential chain that found nothing is said the way the AWS CLI says it.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    use aws_credential_types::provider::error::CredentialsError;
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(cause) = current {
        if let Some(CredentialsError::CredentialsNotLoaded(_)) =
            cause.downcast_ref::<CredentialsError>()
        {
            return "unable to locate AWS credentials (tried the environment, the shared \
                    config and credentials files, web identity, the ECS container and EC2 \
                    instance metadata)"
                .into();
        }
        let text = cause
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        // An SDK error often repeats its source's message in its own.
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<dyn std::error::Error + 'static>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref()
        }
    }

    #[test]
    fn a_chain_is_one_line_of_distinct_causes() {
        let refused = Layer("Connection refused (os error 111)", None);
        let io = Layer("io error", Some(Box::new(refused)));
        let dispatch = Layer("dispatch failure", Some(Box::new(io)));
        assert_eq!(
            cause_chain(&dispatch),
            "dispatch failure: io error: Connection refused (os error 111)"
        );
        let multi_line = Layer("no luck.\n  Attempted:\n    this", None);
        assert_eq!(cause_chain(&multi_line), "no luck. Attempted: this");
    }

    #[test]
    fn no_credentials_is_said_as_the_aws_cli_says_it() {
        let missing = aws_credential_types::provider::error::CredentialsError::not_loaded(
            "no providers in chain provided credentials",
        );
        let dispatch = Layer("dispatch failure", Some(Box::new(missing)));
        let line = cause_chain(&dispatch);
        assert!(
            line.starts_with("unable to locate AWS credentials"),
            "{line}"
        );
    }
}
