//! Every SDK client the CLI uses is built here, from one `SdkConfig`, so that each one can
//! carry the call recorder (`record.rs`) when `WORKTIME_RECORD_CALLS` names a file.

use aws_config::SdkConfig;

use super::record::Recorder;

macro_rules! client {
    ($(#[$doc:meta])* $name:ident, $sdk:ident) => {
        $(#[$doc])*
        pub fn $name(sdk: &SdkConfig) -> $sdk::Client {
            let mut builder = $sdk::config::Builder::from(sdk);
            if let Some(recorder) = Recorder::from_env() {
                builder = builder.interceptor(recorder);
            }
            $sdk::Client::from_conf(builder.build())
        }
    };
}

client!(cloudformation, aws_sdk_cloudformation);
client!(sts, aws_sdk_sts);
client!(iam, aws_sdk_iam);
client!(lambda, aws_sdk_lambda);
client!(logs, aws_sdk_cloudwatchlogs);
client!(cloudwatch, aws_sdk_cloudwatch);
client!(events, aws_sdk_eventbridge);
client!(sqs, aws_sdk_sqs);
client!(ecs, aws_sdk_ecs);
client!(autoscaling, aws_sdk_applicationautoscaling);
client!(sns, aws_sdk_sns);
client!(sfn, aws_sdk_sfn);
client!(
    /// Elastic Load Balancing (v2: Application and Network Load Balancers).
    elbv2,
    aws_sdk_elasticloadbalancingv2
);
client!(
    /// EC2 Auto Scaling (groups of instances), not Application Auto Scaling.
    ec2_autoscaling,
    aws_sdk_autoscaling
);

/// S3 in `region` (a bucket is regional), path-style for a custom endpoint (an emulator's
/// `<bucket>.127.0.0.1` does not resolve).
pub fn s3(sdk: &SdkConfig, region: Option<&str>, path_style: bool) -> aws_sdk_s3::Client {
    let mut builder = aws_sdk_s3::config::Builder::from(sdk).force_path_style(path_style);
    if let Some(region) = region {
        builder = builder.region(aws_config::Region::new(region.to_string()));
    }
    if let Some(recorder) = Recorder::from_env() {
        builder = builder.interceptor(recorder);
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}

/// The function library's clients (scaling, hold, wake, report, teardown's give-back),
/// built here so that they carry the recorder too.
pub fn function(sdk: &SdkConfig) -> worktime_lambda::Clients {
    worktime_lambda::Clients {
        autoscaling: autoscaling(sdk),
        ecs: ecs(sdk),
        groups: ec2_autoscaling(sdk),
        events: events(sdk),
        sns: sns(sdk),
        // The notice's delivery record; the CLI runs no notice with a function ARN, so it
        // never calls it.
        lambda: lambda(sdk),
        // Target health, read only by a wave step of the deployed function.
        elb: elbv2(sdk),
    }
}
