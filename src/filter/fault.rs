//! The test-only host failures are the engine's (`crate::fault`), shared with the dynamic module.

pub use crate::fault::{injected, Point};
