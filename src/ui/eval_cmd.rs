//! `reins eval`: run a suite, compare two reports, merge shard reports.

use super::ExitError;
use crate::cli::{EvalArgs, GlobalArgs};

pub async fn run(_args: EvalArgs, _global: GlobalArgs) -> Result<i32, ExitError> {
    Err(ExitError::failure("reins eval is not built yet"))
}
