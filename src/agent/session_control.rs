//! What a front end reads of a session between turns: the figures its status line shows. The
//! changes a front end makes go to the part that owns them: the model through
//! [`super::Session::switch_model`], the approval policy and the sandbox mode through the
//! session's [`super::Toolbox`].

/// How full the context is: tokens the next request would carry, and the model's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextFill {
    pub tokens: u64,
    pub window: Option<u64>,
}

/// The model the next request goes to when no router decides otherwise, how full the context
/// is, and the session's cost so far (`None` when no model with known prices was used).
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub model: String,
    pub context: ContextFill,
    pub cost: Option<f64>,
}
