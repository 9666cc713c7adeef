//! The ACP requests reins answers, and the sessions of one connection.
//!
//! Handlers run inside the SDK's dispatch loop, which handles one message at a time; anything that
//! waits (opening a session, a turn) runs on a task of its own and answers through its responder,
//! so a `session/cancel` is read while a turn runs.

use super::bridge::{Bridge, OpenSpec, Output};
use super::client_files::ClientFiles;
use super::session::{self, Connection, SessionHandle, TurnEnd};
use super::updates::Translator;
use crate::cli::{AcpArgs, GlobalArgs};
use agent_client_protocol::schema::ProtocolVersion;
use agent_client_protocol::v1::schema::{
    AgentCapabilities, CancelNotification, FileSystemCapabilities, Implementation,
    InitializeRequest, InitializeResponse, LoadSessionRequest, LoadSessionResponse,
    NewSessionRequest, NewSessionResponse, PromptCapabilities, PromptRequest, PromptResponse,
    SessionCapabilities, SessionListCapabilities, SessionModeState, SetSessionConfigOptionRequest,
    SetSessionConfigOptionResponse, SetSessionModeRequest, SetSessionModeResponse,
};
use agent_client_protocol::{Error, ErrorCode};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// How long closing the connection waits for a running turn to kill its command.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// The sessions of one connection and how to open more.
pub struct Server {
    args: AcpArgs,
    global: GlobalArgs,
    sessions: Mutex<HashMap<String, Arc<SessionHandle>>>,
    /// What of its file system the client offered at initialize.
    client_fs: Mutex<FileSystemCapabilities>,
}

impl Server {
    pub fn new(args: AcpArgs, global: GlobalArgs) -> Arc<Self> {
        Arc::new(Server {
            args,
            global,
            sessions: Mutex::new(HashMap::new()),
            client_fs: Mutex::default(),
        })
    }

    pub fn initialize(&self, req: &InitializeRequest) -> InitializeResponse {
        if let Ok(mut fs) = self.client_fs.lock() {
            *fs = req.client_capabilities.fs.clone();
        }
        InitializeResponse::new(ProtocolVersion::V1)
            .agent_capabilities(
                AgentCapabilities::new()
                    .load_session(true)
                    .prompt_capabilities(
                        PromptCapabilities::new().embedded_context(true).image(true),
                    )
                    .session_capabilities(
                        SessionCapabilities::new().list(SessionListCapabilities::new()),
                    ),
            )
            .agent_info(
                Implementation::new("reins", env!("CARGO_PKG_VERSION")).title("reins".to_string()),
            )
    }

    /// How long a read or write through the editor may wait for its answer.
    fn fs_timeout(&self) -> std::time::Duration {
        self.args.fs_timeout.map_or(
            super::client_files::DEFAULT_TIMEOUT,
            std::time::Duration::from_secs,
        )
    }

    fn session(&self, id: &str) -> Result<Arc<SessionHandle>, Error> {
        self.sessions
            .lock()
            .ok()
            .and_then(|s| s.get(id).cloned())
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::RESOURCE_NOT_FOUND,
                    format!("no session `{id}` in this connection; create or load it first"),
                )
            })
    }

    /// Opens a session (a new one, or `resume` reopened with its history replayed to the client)
    /// and starts forwarding its outputs.
    async fn open(
        self: Arc<Self>,
        cwd: PathBuf,
        resume: Option<String>,
        cx: Connection,
    ) -> Result<Arc<SessionHandle>, Error> {
        if !cwd.is_absolute() {
            return Err(Error::new(
                ErrorCode::INVALID_PARAMS,
                format!("cwd must be an absolute path, got {}", cwd.display()),
            ));
        }
        if let Some(id) = &resume {
            if self.session(id).is_ok() {
                return Err(Error::new(
                    ErrorCode::INVALID_PARAMS,
                    format!("session `{id}` is already open in this connection"),
                ));
            }
        }
        let this = self.clone();
        let replay = resume.is_some();
        let files = self
            .client_fs
            .lock()
            .ok()
            .and_then(|fs| ClientFiles::offered(&fs, cx.clone(), self.fs_timeout()))
            .map(Arc::new);
        // Building reads config, starts MCP servers and opens the checkpoint store: blocking work.
        let opened = tokio::task::spawn_blocking(move || {
            Bridge::open(OpenSpec {
                cwd: &cwd,
                args: &this.args,
                global: &this.global,
                resume,
                files,
            })
        })
        .await
        .map_err(|e| {
            Error::new(
                ErrorCode::INTERNAL_ERROR,
                format!("cannot open the session: {e}"),
            )
        })?
        .map_err(|e| {
            let code = if e.code == 2 {
                ErrorCode::INVALID_PARAMS
            } else {
                ErrorCode::INTERNAL_ERROR
            };
            Error::new(code, e.message)
        })?;
        let mut outputs = opened.outputs;
        let mut translator = Translator::new(opened.snapshots);
        // The session opens with its history, its start and warnings, then its state.
        let mut history = Vec::new();
        let state = loop {
            match outputs.recv().await {
                Some(Output::History(items)) => history = items,
                Some(Output::Event(e)) => drop(translator.updates(e)),
                Some(Output::State(s)) => break s,
                Some(Output::Failed(text)) => {
                    return Err(Error::new(ErrorCode::INTERNAL_ERROR, text))
                }
                Some(_) => {}
                None => {
                    return Err(Error::new(
                        ErrorCode::INTERNAL_ERROR,
                        "the session stopped while opening",
                    ))
                }
            }
        };
        let handle = Arc::new(SessionHandle::new(
            opened.id.clone(),
            opened.bridge,
            opened.models,
            state,
        ));
        if replay {
            for u in super::replay::updates(&history, &mut translator, &opened.tools) {
                handle.notify(&cx, u);
            }
            translator.take_error();
        }
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.insert(opened.id, handle.clone());
        }
        tokio::spawn(session::pump(handle.clone(), outputs, translator, cx));
        Ok(handle)
    }

    pub async fn new_session(
        self: Arc<Self>,
        req: NewSessionRequest,
        cx: Connection,
    ) -> Result<NewSessionResponse, Error> {
        let handle = self.open(req.cwd, None, cx).await?;
        Ok(NewSessionResponse::new(handle.id.clone())
            .modes(modes(&handle))
            .config_options(handle.config_options()))
    }

    pub async fn load_session(
        self: Arc<Self>,
        req: LoadSessionRequest,
        cx: Connection,
    ) -> Result<LoadSessionResponse, Error> {
        let id = req.session_id.0.to_string();
        let handle = self.open(req.cwd, Some(id), cx).await?;
        Ok(LoadSessionResponse::new()
            .modes(modes(&handle))
            .config_options(handle.config_options()))
    }

    pub async fn prompt(self: Arc<Self>, req: PromptRequest) -> Result<PromptResponse, Error> {
        let handle = self.session(&req.session_id.0)?;
        let text = super::prompt::to_prompt(&req.prompt)
            .map_err(|why| Error::new(ErrorCode::INVALID_PARAMS, why.to_string()))?;
        let done = handle
            .prompt(text)
            .map_err(|why| Error::new(ErrorCode::INVALID_REQUEST, why))?;
        match done.await {
            Ok(TurnEnd::Stopped(reason)) => Ok(PromptResponse::new(reason)),
            Ok(TurnEnd::Failed(message)) => Err(Error::new(ErrorCode::INTERNAL_ERROR, message)),
            Err(_) => Err(Error::new(
                ErrorCode::INTERNAL_ERROR,
                "the session stopped during the turn",
            )),
        }
    }

    pub fn cancel(&self, note: &CancelNotification) {
        match self.session(&note.session_id.0) {
            Ok(handle) => handle.cancel(),
            Err(e) => super::log(&format!("cancel: {}", e.message)),
        }
    }

    pub fn set_mode(&self, req: &SetSessionModeRequest) -> Result<SetSessionModeResponse, Error> {
        let handle = self.session(&req.session_id.0)?;
        let approval = parse_mode(&req.mode_id.0)?;
        handle.set_approval(approval);
        Ok(SetSessionModeResponse::new())
    }

    pub fn set_config_option(
        &self,
        req: &SetSessionConfigOptionRequest,
    ) -> Result<SetSessionConfigOptionResponse, Error> {
        let handle = self.session(&req.session_id.0)?;
        let value = req
            .value
            .as_value_id()
            .map(|v| v.0.to_string())
            .ok_or_else(|| Error::new(ErrorCode::INVALID_PARAMS, "expected a value id"))?;
        match &*req.config_id.0 {
            super::options::MODE => handle.set_approval(parse_mode(&value)?),
            super::options::MODEL => {
                if !handle.set_model(&value) {
                    return Err(Error::new(
                        ErrorCode::INVALID_PARAMS,
                        format!("`{value}` is not a configured model ([models.*] in config.toml)"),
                    ));
                }
            }
            other => {
                return Err(Error::new(
                    ErrorCode::INVALID_PARAMS,
                    format!("no config option `{other}`; reins has `mode` and `model`"),
                ))
            }
        }
        Ok(SetSessionConfigOptionResponse::new(handle.config_options()))
    }

    /// The connection closed: every session ends (a running turn cancelled, its command killed)
    /// and is recorded, each given a moment.
    pub async fn shut_down(&self) {
        let sessions: Vec<Arc<SessionHandle>> = self
            .sessions
            .lock()
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default();
        for s in sessions {
            s.shut_down(SHUTDOWN_GRACE).await;
        }
    }
}

fn modes(handle: &SessionHandle) -> SessionModeState {
    super::options::modes(handle.approval())
}

fn parse_mode(id: &str) -> Result<crate::sandbox::approval::Approval, Error> {
    super::options::parse_mode(id).ok_or_else(|| {
        Error::new(
            ErrorCode::INVALID_PARAMS,
            format!("no mode `{id}`; reins has on-request, untrusted and never"),
        )
    })
}
