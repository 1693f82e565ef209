//! Deploying one stack: the function artifact (built, given, or carried by a release binary)
//! and its bucket, the service-linked role,
//! change sets and stack events, what is deployed (`inspect`), what is left after teardown,
//! and the lifecycle that ties them together.

pub mod activity;
pub mod artifact;
pub mod bucket;
pub mod bucket_policy;
pub mod capacity;
pub mod changes;
pub mod concurrency;
pub mod embedded;
pub mod execution_role;
pub mod inspect;
pub mod leftovers;
pub mod lifecycle;
pub mod service_role;
pub mod stack;
pub mod wake;
