//! A workflow file: a recurring job written down once (prompt, checks, model or route, limits,
//! the tools it may use and the paths it must not change) and run with `reins run NAME`.

use super::template;
use super::WorkflowError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// One line for `reins workflows`.
    #[serde(default)]
    pub description: String,
    /// The task, with `{{var}}` placeholders filled from `--var` (or `vars`).
    pub prompt: String,
    /// Commands that must pass for the job to be done; placeholders allowed.
    #[serde(default)]
    pub checks: Vec<String>,
    /// A `[routers.*]` name; exclusive with `model`.
    pub route: Option<String>,
    pub model: Option<String>,
    pub max_steps: Option<u32>,
    pub max_cost: Option<f64>,
    /// The only tools the model may call; absent = all of them.
    pub tools: Option<Vec<String>>,
    /// Globs (relative to the workspace root) that write tools must not touch.
    #[serde(default)]
    pub deny_paths: Vec<String>,
    /// Default values of variables; `--var` overrides them.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
}

impl Workflow {
    /// Reads and checks a workflow file.
    pub fn load(path: &Path) -> Result<Self, WorkflowError> {
        let text = std::fs::read_to_string(path).map_err(|source| WorkflowError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Workflow::parse(&text, path)
    }

    /// Checks a workflow's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, WorkflowError> {
        let wf: Workflow = toml::from_str(text).map_err(|e| WorkflowError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if wf.route.is_some() && wf.model.is_some() {
            return Err(WorkflowError::Invalid {
                path: path.to_path_buf(),
                message: "set `route` or `model`, not both".into(),
            });
        }
        if wf.max_steps == Some(0) {
            return Err(WorkflowError::Invalid {
                path: path.to_path_buf(),
                message: "`max_steps = 0` would end the job before its first model request: use 1 or more".into(),
            });
        }
        Ok(wf)
    }

    /// The parts a repository may not set for itself (commands run as checks, the model or
    /// route and so the spending, the step and cost limits, and the tool list) as `key = value`
    /// lines; empty when it sets none.
    pub fn sensitive_parts(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut add = |key: &str, value: String| out.push(format!("{key} = {value}"));
        if !self.checks.is_empty() {
            add("checks", format!("{:?}", self.checks));
        }
        if let Some(m) = &self.model {
            add("model", format!("{m:?}"));
        }
        if let Some(r) = &self.route {
            add("route", format!("{r:?}"));
        }
        if let Some(n) = self.max_steps {
            add("max_steps", n.to_string());
        }
        if let Some(c) = self.max_cost {
            add("max_cost", c.to_string());
        }
        if let Some(t) = &self.tools {
            add("tools", format!("{t:?}"));
        }
        out
    }

    /// This workflow without its [`Workflow::sensitive_parts`], for an untrusted workspace: the
    /// prompt, variables and deny paths (which only restrict) stay.
    pub fn without_sensitive_parts(&self) -> Workflow {
        Workflow {
            checks: Vec::new(),
            model: None,
            route: None,
            max_steps: None,
            max_cost: None,
            tools: None,
            ..self.clone()
        }
    }

    /// Every variable the prompt, checks and paths use.
    pub fn variables(&self) -> Vec<String> {
        let mut names = Vec::new();
        for text in self.templated() {
            for v in template::variables(text) {
                if !names.contains(&v) {
                    names.push(v);
                }
            }
        }
        names
    }

    fn templated(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.prompt)
            .chain(&self.checks)
            .chain(&self.deny_paths)
    }

    /// This workflow with every placeholder filled from `given` over the defaults. A variable
    /// with no value, or a given one the workflow does not use, is an error naming it.
    pub fn instantiate(
        &self,
        name: &str,
        given: &BTreeMap<String, String>,
    ) -> Result<Workflow, WorkflowError> {
        let used = self.variables();
        if let Some(unknown) = given.keys().find(|k| !used.contains(k)) {
            return Err(WorkflowError::UnknownVar {
                workflow: name.to_string(),
                var: unknown.clone(),
                uses: if used.is_empty() {
                    "none".into()
                } else {
                    used.join(", ")
                },
            });
        }
        let mut vars = self.vars.clone();
        vars.extend(given.clone());
        let missing: Vec<String> = used.into_iter().filter(|v| !vars.contains_key(v)).collect();
        if !missing.is_empty() {
            return Err(WorkflowError::MissingVars {
                workflow: name.to_string(),
                missing,
            });
        }
        let fill = |t: &String| template::render(t, &vars).unwrap_or_else(|_| t.clone());
        Ok(Workflow {
            prompt: fill(&self.prompt),
            checks: self.checks.iter().map(fill).collect(),
            deny_paths: self.deny_paths.iter().map(fill).collect(),
            vars,
            ..self.clone()
        })
    }
}

/// Parses `--var KEY=VALUE` arguments.
pub fn parse_vars(args: &[String]) -> Result<BTreeMap<String, String>, WorkflowError> {
    args.iter()
        .map(|a| match a.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(WorkflowError::BadVar(a.clone())),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wf() -> Workflow {
        Workflow {
            prompt: "fix {{dir}} for {{who}}".into(),
            checks: vec!["cargo test -p {{crate}}".into()],
            vars: [("who".to_string(), "me".to_string())].into(),
            ..Workflow::default()
        }
    }

    #[test]
    fn zero_steps_are_refused() {
        let err = Workflow::parse("prompt = \"x\"\nmax_steps = 0\n", Path::new("w.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_steps") && err.contains("w.toml"), "{err}");
    }

    #[test]
    fn variables_come_from_prompt_and_checks_with_defaults() {
        let given = parse_vars(&["dir=src".into(), "crate=core".into()]).unwrap();
        let w = wf().instantiate("fix", &given).unwrap();
        assert_eq!(w.prompt, "fix src for me");
        assert_eq!(w.checks, ["cargo test -p core"]);
    }

    #[test]
    fn missing_and_unknown_variables_are_named() {
        let err = wf()
            .instantiate("fix", &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("dir") && err.contains("crate") && !err.contains("who"),
            "{err}"
        );
        let given = parse_vars(&["dri=src".into()]).unwrap();
        let err = wf().instantiate("fix", &given).unwrap_err().to_string();
        assert!(
            err.contains("`dri`") && err.contains("dir, who, crate"),
            "{err}"
        );
    }

    #[test]
    fn a_var_needs_an_equals_sign() {
        assert!(parse_vars(&["novalue".into()]).is_err());
        assert_eq!(parse_vars(&["k=a=b".into()]).unwrap()["k"], "a=b");
    }
}
