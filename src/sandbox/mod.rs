//! The boundary between the untrusted model and the user's machine: which paths a tool may touch,
//! and (being written) how child processes are confined.

pub mod paths;
