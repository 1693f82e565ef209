//! Typed CloudFormation template model.
//!
//! A [`Template`] holds parameters, conditions, resources and outputs in insertion order;
//! each [`Resource`] carries typed properties ([`ResourceProperties`]) and its attributes
//! (`DependsOn`, `DeletionPolicy`, `Metadata`, ...). String values are [`Expr`]s: literals or
//! intrinsic functions, always written in the long JSON form (`{"Ref": "X"}`), so the YAML
//! output carries no tags and every YAML parser reads it.
//!
//! ```
//! use worktime_cfn::{Expr, Pseudo, Resource, Template};
//! use worktime_cfn::resources::SqsQueue;
//!
//! let mut template = Template::new().with_description("a queue");
//! template.resource(
//!     "Queue",
//!     Resource::new(SqsQueue {
//!         queue_name: Some(Expr::sub("${AWS::StackName}-queue")),
//!         sqs_managed_sse_enabled: Some(true),
//!         ..Default::default()
//!     }),
//! );
//! let yaml = template.to_yaml().unwrap();
//! assert!(yaml.contains("Fn::Sub: ${AWS::StackName}-queue"));
//! # let _ = Expr::pseudo(Pseudo::Region);
//! ```

pub mod expr;
pub mod iam;
pub mod resources;
pub mod template;
pub mod yaml;

pub use expr::{ConditionExpr, Expr, OneOrMany, Pseudo};
pub use iam::{Effect, PolicyDocument, Principal, Statement};
pub use resources::ResourceProperties;
pub use template::{DeletionPolicy, Error, Export, Output, Parameter, Resource, Template};
