//! Typed properties of the resource types the worktime stack uses.
//!
//! Each struct serialises with CloudFormation's property names (PascalCase) and leaves out
//! unset optional properties. [`ResourceProperties`] ties each one to its type name.

use indexmap::IndexMap;
use serde::Serialize;

use crate::expr::Expr;
use crate::iam::PolicyDocument;

/// Properties of one resource, tagged by its CloudFormation type.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceProperties {
    IamRole(Box<IamRole>),
    IamPolicy(Box<IamPolicy>),
    LogGroup(LogGroup),
    LambdaFunction(Box<LambdaFunction>),
    LambdaPermission(LambdaPermission),
    LambdaEventInvokeConfig(LambdaEventInvokeConfig),
    SqsQueue(SqsQueue),
    CloudWatchAlarm(Box<CloudWatchAlarm>),
    EventsRule(Box<EventsRule>),
    SchedulerSchedule(Box<SchedulerSchedule>),
    KmsKey(Box<KmsKey>),
    SnsTopic(Box<SnsTopic>),
    SnsTopicPolicy(Box<SnsTopicPolicy>),
    StateMachine(Box<StateMachine>),
    ElbTargetGroup(Box<ElbTargetGroup>),
}

impl ResourceProperties {
    /// The CloudFormation resource type, e.g. `AWS::IAM::Role`.
    pub fn type_name(&self) -> &'static str {
        match self {
            ResourceProperties::IamRole(_) => "AWS::IAM::Role",
            ResourceProperties::IamPolicy(_) => "AWS::IAM::Policy",
            ResourceProperties::LogGroup(_) => "AWS::Logs::LogGroup",
            ResourceProperties::LambdaFunction(_) => "AWS::Lambda::Function",
            ResourceProperties::LambdaPermission(_) => "AWS::Lambda::Permission",
            ResourceProperties::LambdaEventInvokeConfig(_) => "AWS::Lambda::EventInvokeConfig",
            ResourceProperties::SqsQueue(_) => "AWS::SQS::Queue",
            ResourceProperties::CloudWatchAlarm(_) => "AWS::CloudWatch::Alarm",
            ResourceProperties::EventsRule(_) => "AWS::Events::Rule",
            ResourceProperties::SchedulerSchedule(_) => "AWS::Scheduler::Schedule",
            ResourceProperties::KmsKey(_) => "AWS::KMS::Key",
            ResourceProperties::SnsTopic(_) => "AWS::SNS::Topic",
            ResourceProperties::SnsTopicPolicy(_) => "AWS::SNS::TopicPolicy",
            ResourceProperties::StateMachine(_) => "AWS::StepFunctions::StateMachine",
            ResourceProperties::ElbTargetGroup(_) => "AWS::ElasticLoadBalancingV2::TargetGroup",
        }
    }
}

impl Serialize for ResourceProperties {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ResourceProperties::IamRole(p) => p.serialize(serializer),
            ResourceProperties::IamPolicy(p) => p.serialize(serializer),
            ResourceProperties::LogGroup(p) => p.serialize(serializer),
            ResourceProperties::LambdaFunction(p) => p.serialize(serializer),
            ResourceProperties::LambdaPermission(p) => p.serialize(serializer),
            ResourceProperties::LambdaEventInvokeConfig(p) => p.serialize(serializer),
            ResourceProperties::SqsQueue(p) => p.serialize(serializer),
            ResourceProperties::CloudWatchAlarm(p) => p.serialize(serializer),
            ResourceProperties::EventsRule(p) => p.serialize(serializer),
            ResourceProperties::SchedulerSchedule(p) => p.serialize(serializer),
            ResourceProperties::KmsKey(p) => p.serialize(serializer),
            ResourceProperties::SnsTopic(p) => p.serialize(serializer),
            ResourceProperties::SnsTopicPolicy(p) => p.serialize(serializer),
            ResourceProperties::StateMachine(p) => p.serialize(serializer),
            ResourceProperties::ElbTargetGroup(p) => p.serialize(serializer),
        }
    }
}

impl From<IamRole> for ResourceProperties {
    fn from(p: IamRole) -> Self {
        ResourceProperties::IamRole(Box::new(p))
    }
}
impl From<IamPolicy> for ResourceProperties {
    fn from(p: IamPolicy) -> Self {
        ResourceProperties::IamPolicy(Box::new(p))
    }
}
impl From<LogGroup> for ResourceProperties {
    fn from(p: LogGroup) -> Self {
        ResourceProperties::LogGroup(p)
    }
}
impl From<LambdaFunction> for ResourceProperties {
    fn from(p: LambdaFunction) -> Self {
        ResourceProperties::LambdaFunction(Box::new(p))
    }
}
impl From<LambdaEventInvokeConfig> for ResourceProperties {
    fn from(p: LambdaEventInvokeConfig) -> Self {
        ResourceProperties::LambdaEventInvokeConfig(p)
    }
}
impl From<LambdaPermission> for ResourceProperties {
    fn from(p: LambdaPermission) -> Self {
        ResourceProperties::LambdaPermission(p)
    }
}
impl From<SqsQueue> for ResourceProperties {
    fn from(p: SqsQueue) -> Self {
        ResourceProperties::SqsQueue(p)
    }
}
impl From<CloudWatchAlarm> for ResourceProperties {
    fn from(p: CloudWatchAlarm) -> Self {
        ResourceProperties::CloudWatchAlarm(Box::new(p))
    }
}
impl From<EventsRule> for ResourceProperties {
    fn from(p: EventsRule) -> Self {
        ResourceProperties::EventsRule(Box::new(p))
    }
}
impl From<SchedulerSchedule> for ResourceProperties {
    fn from(p: SchedulerSchedule) -> Self {
        ResourceProperties::SchedulerSchedule(Box::new(p))
    }
}

impl From<KmsKey> for ResourceProperties {
    fn from(p: KmsKey) -> Self {
        ResourceProperties::KmsKey(Box::new(p))
    }
}
impl From<SnsTopic> for ResourceProperties {
    fn from(p: SnsTopic) -> Self {
        ResourceProperties::SnsTopic(Box::new(p))
    }
}
impl From<SnsTopicPolicy> for ResourceProperties {
    fn from(p: SnsTopicPolicy) -> Self {
        ResourceProperties::SnsTopicPolicy(Box::new(p))
    }
}
impl From<ElbTargetGroup> for ResourceProperties {
    fn from(p: ElbTargetGroup) -> Self {
        ResourceProperties::ElbTargetGroup(Box::new(p))
    }
}
impl From<StateMachine> for ResourceProperties {
    fn from(p: StateMachine) -> Self {
        ResourceProperties::StateMachine(Box::new(p))
    }
}

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: Expr,
}

// ---------------------------------------------------------------- IAM

/// `AWS::IAM::Role`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IamRole {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub assume_role_policy_document: PolicyDocument,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_policy_arns: Vec<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<InlinePolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_session_duration: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl Default for PolicyDocument {
    fn default() -> Self {
        PolicyDocument::new(Vec::new())
    }
}

/// An inline policy of a role (`Policies` item).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: Expr,
    pub policy_document: PolicyDocument,
}

/// `AWS::IAM::Policy`: an inline policy attached to roles, users or groups.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IamPolicy {
    pub policy_name: Expr,
    pub policy_document: PolicyDocument,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Expr>,
}

// ---------------------------------------------------------------- Logs

/// `AWS::Logs::LogGroup`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

// ---------------------------------------------------------------- Lambda

/// `AWS::Lambda::Function`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LambdaFunction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    pub code: LambdaCode,
    pub role: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_config: Option<LambdaDeadLetterConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_config: Option<LambdaLoggingConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<LambdaEnvironment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved_concurrent_executions: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracing_config: Option<LambdaTracingConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_arn: Option<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// `Code`: an S3 location (or inline `ZipFile` source).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LambdaCode {
    #[serde(rename = "S3Bucket", skip_serializing_if = "Option::is_none")]
    pub s3_bucket: Option<Expr>,
    #[serde(rename = "S3Key", skip_serializing_if = "Option::is_none")]
    pub s3_key: Option<Expr>,
    #[serde(rename = "S3ObjectVersion", skip_serializing_if = "Option::is_none")]
    pub s3_object_version: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_file: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LambdaDeadLetterConfig {
    pub target_arn: Expr,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LambdaLoggingConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group: Option<Expr>,
    /// `Text` or `JSON`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_log_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_log_level: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LambdaEnvironment {
    pub variables: IndexMap<String, Expr>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LambdaTracingConfig {
    /// `Active` or `PassThrough`.
    pub mode: String,
}

/// `AWS::Lambda::Permission`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LambdaPermission {
    pub action: String,
    pub function_name: Expr,
    pub principal: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_account: Option<Expr>,
}

/// `AWS::Lambda::EventInvokeConfig`: how Lambda handles the function's asynchronous events.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LambdaEventInvokeConfig {
    pub function_name: Expr,
    /// `$LATEST`, a version number or an alias name.
    pub qualifier: String,
    /// 60 to 21600.
    pub maximum_event_age_in_seconds: u32,
    /// 0 to 2.
    pub maximum_retry_attempts: u32,
}

// ---------------------------------------------------------------- SQS

/// `AWS::SQS::Queue`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SqsQueue {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sqs_managed_sse_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_retention_period: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility_timeout: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

// ---------------------------------------------------------------- CloudWatch

/// `AWS::CloudWatch::Alarm` (single-metric form).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CloudWatchAlarm {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_description: Option<String>,
    pub namespace: String,
    pub metric_name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<Dimension>,
    pub statistic: String,
    pub period: u32,
    pub evaluation_periods: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datapoints_to_alarm: Option<u32>,
    pub threshold: f64,
    pub comparison_operator: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treat_missing_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alarm_actions: Vec<Expr>,
    #[serde(rename = "OKActions", skip_serializing_if = "Vec::is_empty")]
    pub ok_actions: Vec<Expr>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    pub name: String,
    pub value: Expr,
}

// ---------------------------------------------------------------- EventBridge

/// `AWS::Events::Rule` (scheduled form).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventsRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_expression: Option<Expr>,
    /// `ENABLED` or `DISABLED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<EventsTarget>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventsTarget {
    pub id: String,
    pub arn: Expr,
    /// A constant payload; nothing of the event is passed on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Expr>,
    /// A payload built from the event (exclusive with `input`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_transformer: Option<InputTransformer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<RetryPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_config: Option<TargetDeadLetterConfig>,
}

/// An EventBridge rule target's `InputTransformer`: variables read from the event by JSON
/// path, placed into `InputTemplate` as `<name>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InputTransformer {
    pub input_paths_map: IndexMap<String, String>,
    pub input_template: Expr,
}

/// Retry policy of an EventBridge rule target or a Scheduler target (same shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RetryPolicy {
    pub maximum_retry_attempts: u32,
    pub maximum_event_age_in_seconds: u32,
}

/// Dead-letter queue of an EventBridge rule target or a Scheduler target (same shape).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetDeadLetterConfig {
    pub arn: Expr,
}

/// `AWS::Scheduler::Schedule`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SchedulerSchedule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<Expr>,
    pub schedule_expression: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_expression_timezone: Option<Expr>,
    pub flexible_time_window: FlexibleTimeWindow,
    /// `ENABLED` or `DISABLED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    pub target: SchedulerTarget,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlexibleTimeWindow {
    /// `OFF` or `FLEXIBLE`.
    pub mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_window_in_minutes: Option<u32>,
}

impl FlexibleTimeWindow {
    pub fn off() -> Self {
        FlexibleTimeWindow {
            mode: "OFF".to_string(),
            maximum_window_in_minutes: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SchedulerTarget {
    pub arn: Expr,
    pub role_arn: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<RetryPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_config: Option<TargetDeadLetterConfig>,
}

// ---------------------------------------------------------------- KMS and SNS

/// `AWS::KMS::Key` (symmetric, for encryption).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KmsKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub enable_key_rotation: bool,
    /// 7 to 30 days between deleting the stack and the key's deletion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_window_in_days: Option<u32>,
    pub key_policy: PolicyDocument,
}

/// `AWS::SNS::Topic`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsTopic {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// A KMS key id, ARN or alias: the topic is encrypted at rest with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subscription: Vec<SnsSubscription>,
}

/// One of `AWS::SNS::Topic`'s `Subscription` entries.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsSubscription {
    pub endpoint: Expr,
    pub protocol: String,
}

/// `AWS::SNS::TopicPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsTopicPolicy {
    pub topics: Vec<Expr>,
    pub policy_document: PolicyDocument,
}

// ---------------------------------------------------------------- Step Functions

/// `AWS::StepFunctions::StateMachine`. The definition is given as `DefinitionString` (the
/// Amazon States Language as JSON text, usually an `Fn::Sub`), the form every CloudFormation
/// implementation reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateMachine {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_machine_name: Option<Expr>,
    /// `STANDARD` or `EXPRESS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_machine_type: Option<String>,
    pub definition_string: Expr,
    pub role_arn: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_configuration: Option<StateMachineLogging>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracing_configuration: Option<StateMachineTracing>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateMachineLogging {
    /// `ALL`, `ERROR`, `FATAL` or `OFF`.
    pub level: String,
    pub include_execution_data: bool,
    pub destinations: Vec<LogDestination>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogDestination {
    pub cloud_watch_logs_log_group: LogGroupDestination,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroupDestination {
    /// The log group's ARN, ending in `:*` (what `Fn::GetAtt <LogGroup>.Arn` returns).
    pub log_group_arn: Expr,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateMachineTracing {
    pub enabled: bool,
}

// ---------------------------------------------------------------- Elastic Load Balancing

/// `AWS::ElasticLoadBalancingV2::TargetGroup`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ElbTargetGroup {
    /// At most 32 letters, digits and hyphens, not starting or ending with a hyphen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub target_type: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<TargetDescription>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub target_group_attributes: Vec<TargetGroupAttribute>,
}

/// One target of a target group (a Lambda target: the function's ARN).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetDescription {
    pub id: Expr,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroupAttribute {
    pub key: String,
    pub value: String,
}
