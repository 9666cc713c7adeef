//! Picking the router table for a session: `--route NAME` selects `[routers.NAME]`, otherwise
//! `[router]` if present; no table means no routing (the session's single model serves every step).

use super::config::RouterConfig;
use super::error::RouterError;
use std::collections::BTreeMap;

/// The chosen table and its label for error messages (`[router]` or `[routers.NAME]`).
pub fn select(
    router: Option<&RouterConfig>,
    routers: &BTreeMap<String, RouterConfig>,
    route: Option<&str>,
) -> Result<Option<(String, RouterConfig)>, RouterError> {
    let Some(name) = route else {
        return Ok(router.map(|r| ("[router]".to_string(), r.clone())));
    };
    match routers.get(name) {
        Some(r) => Ok(Some((format!("[routers.{name}]"), r.clone()))),
        None => Err(RouterError::UnknownRoute {
            name: name.to_string(),
            available: available(routers),
        }),
    }
}

fn available(routers: &BTreeMap<String, RouterConfig>) -> String {
    if routers.is_empty() {
        "none".to_string()
    } else {
        routers.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}
