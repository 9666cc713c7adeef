//! `skill`: loads a skill's instructions, or one of its files, on demand.

use super::Skill;
use crate::sandbox::SandboxPolicy;
use crate::tools::{parse_args, Tool, ToolContext, ToolError, ToolResult};
use crate::types::{BoxFuture, Effects, Subject, ToolKind};
use schemars::JsonSchema;
use serde::Deserialize;

pub struct SkillTool {
    skills: Vec<Skill>,
    /// The prompt plus one line per skill: fixed for the session, so the prefix stays the same.
    description: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    name: String,
    /// A file of the skill to read instead of its instructions.
    file: Option<String>,
}

impl SkillTool {
    pub fn new(skills: Vec<Skill>) -> Self {
        let mut description = include_str!("../../prompts/tools/skill.md")
            .trim()
            .to_string();
        for s in &skills {
            description.push_str(&format!("\n- {}: {}", s.name, s.description));
        }
        SkillTool {
            skills,
            description,
        }
    }

    fn find(&self, name: &str) -> Result<&Skill, ToolError> {
        self.skills.iter().find(|s| s.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.skills.iter().map(|s| s.name.as_str()).collect();
            ToolError::new(format!(
                "no skill `{name}`; the skills are: {}",
                names.join(", ")
            ))
        })
    }

    fn load(&self, skill: &Skill, policy: &SandboxPolicy) -> Result<String, ToolError> {
        let body = skill
            .body(policy)
            .map_err(|e| ToolError::new(e.to_string()))?;
        let mut out = format!(
            "<skill name=\"{}\" folder=\"{}\">\n{}\n</skill>",
            skill.name,
            skill.shown_folder(policy),
            body.trim()
        );
        let files = skill.files(policy);
        if !files.is_empty() {
            out.push_str(&format!(
                "\nThe skill's files (read one with `skill` and `file`): {}",
                files.join(", ")
            ));
        }
        Ok(out)
    }
}

impl Tool for SkillTool {
    fn name(&self) -> &str {
        "skill"
    }
    fn description(&self) -> &str {
        &self.description
    }
    fn parameters(&self) -> serde_json::Value {
        // The skills are known only at run time: their names are listed as the enum of `name`
        // (an unknown one is refused by `find`, which lists them).
        let names: Vec<&str> = self.skills.iter().map(|s| s.name.as_str()).collect();
        let mut schema = crate::tools::schema_for::<Args>();
        schema["properties"]["name"]["enum"] = serde_json::json!(names);
        schema
    }
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects::of(ToolKind::Read)
    }
    /// Skill files are not workspace paths the rules could match (the user's are not in the
    /// workspace at all); the repository's are read under the session's read policy.
    fn subjects(&self, _args: &serde_json::Value) -> Vec<Subject> {
        Vec::new()
    }
    /// Files are read under the session's read policy as it is now (the repository's skills).
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: Args = parse_args(self.name(), args)?;
            let skill = self.find(&a.name)?;
            match a.file.as_deref() {
                None => self.load(skill, &ctx.policy).map(Into::into),
                Some(file) => skill
                    .read(&ctx.policy, file)
                    .map(Into::into)
                    .map_err(|e| ToolError(e.to_string())),
            }
        })
    }
}
