//! Narrow ports to AWS, one trait per concern. `aws` implements them with the SDK;
//! unit tests implement them in memory.

use std::future::Future;

use crate::decision::Written;
use crate::error::Result;
use crate::model::{RouteSpec, RouteTable};

/// The tag every resource the project manages carries, so the customer can see it.
pub const MANAGED_TAG_KEY: &str = "astro-handshake:managed";
pub const MANAGED_TAG_VALUE: &str = "true";

/// Route tables and routes of a customer VPC.
pub trait VpcRoutes: Sync {
    /// The VPC's associated IPv4 CIDR blocks.
    fn vpc_cidrs(&self, vpc_id: &str) -> impl Future<Output = Result<Vec<String>>> + Send;
    fn route_tables(&self, vpc_id: &str) -> impl Future<Output = Result<Vec<RouteTable>>> + Send;
    /// Creates a route; never replaces one. `RouteAlreadyExists` is `already_done`.
    fn create_route(&self, route: &RouteSpec) -> impl Future<Output = Result<Written>> + Send;
}
