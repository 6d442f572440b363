//! The port every handshake that routes shares: a customer VPC's CIDRs and route tables,
//! and creating a route in them. `aws` implements it with the SDK; unit tests in memory.
//! Each handshake's own port is in its module (`PeeringPort`, `TgwPort`, ...).

use std::future::Future;

use crate::decision::Written;
use crate::error::Result;
use crate::model::{RouteSpec, RouteTable};

/// The tag every resource the project manages carries, so the customer can see it.
pub const MANAGED_TAG_KEY: &str = "astro-handshake:managed";
pub const MANAGED_TAG_VALUE: &str = "true";

/// Reads of a customer VPC.
pub trait VpcReads: Sync {
    /// The VPC's associated IPv4 CIDR blocks.
    fn vpc_cidrs(&self, vpc_id: &str) -> impl Future<Output = Result<Vec<String>>> + Send;
    fn route_tables(&self, vpc_id: &str) -> impl Future<Output = Result<Vec<RouteTable>>> + Send;
}

/// A customer VPC's routes: the reads, and creating a route.
pub trait VpcRoutes: VpcReads {
    /// Creates a route; never replaces one. `RouteAlreadyExists` is `already_done`.
    fn create_route(&self, route: &RouteSpec) -> impl Future<Output = Result<Written>> + Send;
}
