//! Skills: folders holding a `SKILL.md` (front matter `name` and `description`, then instructions)
//! and any files those instructions refer to. They are found in `$REINS_HOME/skills/` (the
//! user's) and in the repository's `.reins/skills/`, `.agents/skills/` and `.claude/skills/`.
//! Only each skill's name and description reach the prompt, in the `skill` tool's description;
//! the model loads a skill's body, and reads its files, on demand.
//!
//! A repository's skills are instructions from whoever wrote the repository, so they follow the
//! trust rules of project config: they are offered only in a workspace the user trusts (and the
//! trust digest covers every `SKILL.md`), and every file is read through
//! [`crate::workspace_file::read`], so a link out of the workspace reads nothing.

mod discover;
mod tool;

pub use discover::{discover, Skill};
pub use tool::SkillTool;

/// The `skill` tool for the skills found, if there are any, and the warnings to show (skills
/// passed over, and why).
pub fn tools(
    policy: &crate::sandbox::SandboxPolicy,
    home: Option<&std::path::Path>,
    trusted: bool,
) -> (Option<Box<dyn crate::tools::Tool>>, Vec<String>) {
    let catalog = discover(policy, home, trusted);
    let tool = (!catalog.skills.is_empty())
        .then(|| Box::new(SkillTool::new(catalog.skills)) as Box<dyn crate::tools::Tool>);
    (tool, catalog.warnings)
}
