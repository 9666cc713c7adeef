//! reins: a terminal coding agent. The binary in `main.rs` is a thin front; every behaviour lives in
//! one of these modules so that tests, benches and examples can drive it without a terminal.

pub mod diff;
pub mod patch;
pub mod sandbox;
