//! `reins acp`: reins as an Agent Client Protocol agent on stdin/stdout, so editors (Zed,
//! JetBrains, Neovim, any ACP client) drive its sessions: prompts stream back as message chunks,
//! tool calls show with their kind, files and diffs, approvals become permission requests, and
//! `session/cancel` stops the turn and kills its command.
//!
//! stdout carries protocol messages only; everything else is logged to stderr.
//!
//! When the client offers its file system, the file tools read and write through it
//! (`client_files`), after every check reins makes on disk; each request waits at most
//! `--fs-timeout` for the answer, and a permission question for an edit shows the change to the
//! editor's text (`snapshots`).
//!
//! Not offered yet: audio and binary attachments in prompts (refused with the reason), the
//! client's terminals (commands run under reins' sandbox), MCP servers passed by the client (reins uses
//! its own `[mcp_servers]`).

mod bridge;
mod client_files;
mod listing;
mod options;
mod permission;
mod prompt;
mod replay;
mod server;
mod session;
mod snapshots;
mod tool_view;
mod transport;
mod updates;

use crate::cli::{AcpArgs, GlobalArgs};
use crate::frontend::ExitError;
use agent_client_protocol::v1::schema::{
    CancelNotification, InitializeRequest, ListSessionsRequest, LoadSessionRequest,
    NewSessionRequest, PromptRequest, SetSessionConfigOptionRequest, SetSessionModeRequest,
};
use agent_client_protocol::{on_receive_notification, on_receive_request, Agent};
use std::sync::Arc;

/// Serves one client on stdin/stdout until it closes the connection.
pub async fn serve(args: AcpArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    let server = server::Server::new(args, global);
    let result = connection(server.clone()).await;
    server.shut_down().await;
    result
        .map(|()| 0)
        .map_err(|e| ExitError::failure(format!("acp: {e}")))
}

async fn connection(server: Arc<server::Server>) -> Result<(), agent_client_protocol::Error> {
    let (s1, s2, s3, s4, s5, s6, s7) = (
        server.clone(),
        server.clone(),
        server.clone(),
        server.clone(),
        server.clone(),
        server.clone(),
        server,
    );
    Agent
        .v1()
        .name("reins")
        .on_receive_request(
            async move |req: InitializeRequest, responder, _cx| {
                responder.respond(s1.initialize(&req))
            },
            on_receive_request!(),
        )
        .on_receive_request(
            async move |req: NewSessionRequest, responder, cx| {
                let server = s2.clone();
                tokio::spawn(async move {
                    let reply = server.new_session(req, cx).await;
                    answer(responder.respond_with_result(reply));
                });
                Ok(())
            },
            on_receive_request!(),
        )
        .on_receive_request(
            async move |req: LoadSessionRequest, responder, cx| {
                let server = s3.clone();
                tokio::spawn(async move {
                    let reply = server.load_session(req, cx).await;
                    answer(responder.respond_with_result(reply));
                });
                Ok(())
            },
            on_receive_request!(),
        )
        .on_receive_request(
            async move |req: PromptRequest, responder, _cx| {
                let server = s4.clone();
                tokio::spawn(async move {
                    answer(responder.respond_with_result(server.prompt(req).await));
                });
                Ok(())
            },
            on_receive_request!(),
        )
        .on_receive_notification(
            async move |note: CancelNotification, _cx| {
                s5.cancel(&note);
                Ok(())
            },
            on_receive_notification!(),
        )
        .on_receive_request(
            async move |req: SetSessionModeRequest, responder, _cx| {
                responder.respond_with_result(s6.set_mode(&req))
            },
            on_receive_request!(),
        )
        .on_receive_request(
            async move |req: SetSessionConfigOptionRequest, responder, _cx| {
                responder.respond_with_result(s7.set_config_option(&req))
            },
            on_receive_request!(),
        )
        .on_receive_request(
            async move |req: ListSessionsRequest, responder, _cx| {
                tokio::spawn(async move {
                    let cwd = req.cwd.clone();
                    let reply = tokio::task::spawn_blocking(move || listing::list(cwd.as_deref()))
                        .await
                        .unwrap_or_else(|e| {
                            Err(agent_client_protocol::Error::new(
                                agent_client_protocol::ErrorCode::INTERNAL_ERROR,
                                format!("cannot list the sessions: {e}"),
                            ))
                        });
                    answer(responder.respond_with_result(reply));
                });
                Ok(())
            },
            on_receive_request!(),
        )
        .connect_to(transport::stdio())
        .await
}

/// A response that cannot be sent means the client is gone; the log says so.
fn answer(sent: Result<(), agent_client_protocol::Error>) {
    if let Err(e) = sent {
        log(&format!("cannot answer the client: {e}"));
    }
}

/// Logs to stderr, which editors show in their agent log; stdout is the protocol's.
fn log(message: &str) {
    eprintln!("reins acp: {message}");
}
