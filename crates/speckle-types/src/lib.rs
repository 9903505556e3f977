//! Serde models of the Speckle v1 server API.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod ids;
pub use ids::*;
