//! Sandbox policy and Linux confinement (being written).
