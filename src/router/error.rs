//! Why a router table or a budget was refused. Every message names the table and the key so the
//! user can find the line to fix without reading reins' source.

/// A router or budget configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RouterError {
    #[error("{table}: `{key}` names unknown model `{model}`; [models.*] keys are: {known}")]
    UnknownModel {
        table: String,
        key: String,
        model: String,
        known: String,
    },
    #[error("{table}: `{key}` is not set; it must name a [models.*] key")]
    Missing { table: String, key: String },
    #[error("{table}: `{key}` {problem}")]
    Invalid {
        table: String,
        key: String,
        problem: String,
    },
    #[error("unknown route `{name}` (--route): no [routers.{name}] table; defined: {available}")]
    UnknownRoute { name: String, available: String },
    #[error("the budget must be a positive number of USD, got {0}")]
    BadBudget(f64),
}
