//! astro-handshake: customer-side automation of Astro network handshakes.
//!
//! Every handshake is reconciled the same way (see [`engine`]): observe the resource from
//! the API, decide with a pure function of policy and observation, act on what is missing,
//! and record every decision and write.

pub mod audit;
pub mod aws;
pub mod cidr;
pub mod config;
pub mod decision;
pub mod diagnose;
pub mod endpoint_services;
pub mod engine;
pub mod error;
pub mod ids;
pub mod model;
pub mod peer_role;
pub mod peering;
pub mod ports;
pub mod runtime;
pub mod selector;
pub mod tgw;
pub mod trigger;
pub mod zones;

pub use error::{Error, Result};
