//! The apply_patch engine (being written).
