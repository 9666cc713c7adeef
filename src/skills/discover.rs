//! Finding skills and reading their files, each under the rules of where it came from.

use crate::config::trust::{skill_folders, PROJECT_SKILL_DIRS, SKILL_FILE};
use crate::sandbox::SandboxPolicy;
use crate::workspace_file::{self, WorkspaceFileError};
use std::path::{Component, Path, PathBuf};

/// A description is a line in the prompt, not a document.
const MAX_DESCRIPTION_CHARS: usize = 1024;
/// Files listed per skill.
const MAX_LISTED: usize = 200;
/// Folder depth listed below a skill's folder.
const MAX_DEPTH: usize = 4;

/// Why a skill found on disk is not offered (shown to the user as a warning).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("skill passed over: {0}")]
    Unreadable(#[source] WorkspaceFileError),
    #[error("skill {} passed over: {problem}", path.display())]
    Invalid { path: PathBuf, problem: Problem },
}

/// What is wrong with a `SKILL.md`'s front matter.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error(transparent)]
    FrontMatter(#[from] crate::frontmatter::FrontMatterError),
    #[error("its front matter has no `name`")]
    NoName,
    #[error("its `name` must be letters, digits, `-`, `_` or `.` (at most 64)")]
    BadName,
    #[error("its front matter has no `description`")]
    NoDescription,
    #[error("its `description` is longer than {MAX_DESCRIPTION_CHARS} characters")]
    LongDescription,
}

/// Why one of a skill's files is not given to the model; worded for the model.
#[derive(Debug, thiserror::Error)]
pub enum SkillFileError {
    #[error("`{file}` is not a path inside the skill's folder; give one of the listed files")]
    NotInFolder { file: String },
    #[error("the skill `{skill}` has no file `{file}`")]
    NoSuchFile { skill: String, file: String },
    #[error(transparent)]
    Refused(WorkspaceFileError),
}

/// Whose a skill is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `$REINS_HOME/skills`: files are read beneath that folder (canonical).
    User { base: PathBuf },
    /// One of the repository's skill folders: files are read beneath the workspace, under the
    /// session's read policy.
    Workspace,
}

/// One skill found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skill {
    pub name: String,
    pub description: String,
    pub origin: Origin,
    /// The skill's folder, relative to its base (the user's skills folder or the workspace).
    pub folder: PathBuf,
}

/// The skills found and what was passed over.
#[derive(Debug, Default)]
pub struct Catalog {
    pub skills: Vec<Skill>,
    pub warnings: Vec<String>,
}

/// Every skill the session may offer: the user's first (a repository cannot replace one of the
/// user's by committing a skill of the same name), then the repository's if it is trusted.
pub fn discover(session: &SandboxPolicy, home: Option<&Path>, trusted: bool) -> Catalog {
    let root = &session.workspace;
    let mut out = Catalog::default();
    if let Some(base) = home.and_then(|h| h.join("skills").canonicalize().ok()) {
        let policy = workspace_file::secrets_only(&base);
        for folder in skill_folders(&base, ".") {
            let origin = Origin::User { base: base.clone() };
            out.add(load(&policy, origin, PathBuf::from(folder)), &base);
        }
    }
    for dir in PROJECT_SKILL_DIRS {
        let folders = skill_folders(root, dir);
        if folders.is_empty() {
            continue;
        }
        if !trusted {
            out.warnings.push(format!(
                "{} skill(s) in {dir} are not offered to the model: this workspace is not trusted; review them and run `reins trust` to use them",
                folders.len()
            ));
            continue;
        }
        for folder in folders {
            let rel = Path::new(dir).join(folder);
            out.add(load(session, Origin::Workspace, rel), root);
        }
    }
    out
}

impl Catalog {
    fn add(&mut self, found: Result<Skill, LoadError>, base: &Path) {
        match found {
            Err(e) => self.warnings.push(e.to_string()),
            Ok(skill) if self.skills.iter().any(|s| s.name == skill.name) => {
                self.warnings.push(format!(
                    "skill `{}` in {} is passed over: a skill of that name was found first",
                    skill.name,
                    base.join(&skill.folder).display()
                ))
            }
            Ok(skill) => self.skills.push(skill),
        }
    }
}

/// Reads a skill's `SKILL.md` and checks its name and description.
fn load(policy: &SandboxPolicy, origin: Origin, folder: PathBuf) -> Result<Skill, LoadError> {
    let file = folder.join(SKILL_FILE);
    let text = workspace_file::read(policy, &file).map_err(LoadError::Unreadable)?;
    let bad = |problem: Problem| LoadError::Invalid {
        path: policy.workspace.join(&file),
        problem,
    };
    let doc = crate::frontmatter::parse(&text).map_err(|e| bad(e.into()))?;
    let name = doc.text("name").ok_or_else(|| bad(Problem::NoName))?;
    if !valid_name(name) {
        return Err(bad(Problem::BadName));
    }
    let description = doc
        .text("description")
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
        .ok_or_else(|| bad(Problem::NoDescription))?;
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(bad(Problem::LongDescription));
    }
    Ok(Skill {
        name: name.to_string(),
        description,
        origin,
        folder,
    })
}

fn valid_name(name: &str) -> bool {
    name.len() <= 64
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl Skill {
    /// The policy its files are read under: the session's for a repository's skill, the secret
    /// patterns beneath the user's skills folder for the user's.
    fn policy(&self, session: &SandboxPolicy) -> SandboxPolicy {
        match &self.origin {
            Origin::User { base } => workspace_file::secrets_only(base),
            Origin::Workspace => session.clone(),
        }
    }

    /// Where the skill's folder is, as the model is shown it.
    pub fn shown_folder(&self, session: &SandboxPolicy) -> String {
        self.policy(session)
            .workspace
            .join(&self.folder)
            .display()
            .to_string()
    }

    /// The instructions: `SKILL.md` after its front matter.
    pub fn body(&self, session: &SandboxPolicy) -> Result<String, WorkspaceFileError> {
        let text = workspace_file::read(&self.policy(session), &self.folder.join(SKILL_FILE))?;
        Ok(crate::frontmatter::parse(&text)
            .map(|d| d.body)
            .unwrap_or(text))
    }

    /// One of the skill's files; `file` must be a plain relative path (no `..`, not absolute).
    pub fn read(&self, session: &SandboxPolicy, file: &str) -> Result<String, SkillFileError> {
        let rel = Path::new(file);
        if file.is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(SkillFileError::NotInFolder {
                file: file.to_string(),
            });
        }
        workspace_file::read(&self.policy(session), &self.folder.join(rel)).map_err(|e| {
            if e.is_not_found() {
                SkillFileError::NoSuchFile {
                    skill: self.name.clone(),
                    file: file.to_string(),
                }
            } else {
                SkillFileError::Refused(e)
            }
        })
    }

    /// The skill's other files, relative to its folder, sorted. Links are not followed (a link
    /// may lead anywhere), and a folder that resolves outside its base lists nothing.
    pub fn files(&self, session: &SandboxPolicy) -> Vec<String> {
        let base = self.policy(session).workspace;
        let Ok(real) = base.join(&self.folder).canonicalize() else {
            return Vec::new();
        };
        if !real.starts_with(&base) {
            return Vec::new();
        }
        let mut out = Vec::new();
        walk(&real, Path::new(""), 0, &mut out);
        out.retain(|f| f != SKILL_FILE);
        out.sort();
        out
    }
}

fn walk(dir: &Path, rel: &Path, depth: usize, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if out.len() >= MAX_LISTED {
            return;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = rel.join(entry.file_name());
        if kind.is_file() {
            out.push(name.display().to_string());
        } else if kind.is_dir() && depth < MAX_DEPTH {
            walk(&entry.path(), &name, depth + 1, out);
        }
    }
}
