//! Approvers the engine hands to sessions.

use super::ops::UiMsg;
use crate::cancel::Cancel;
use crate::sandbox::approval::{Answer, Approver, Request};
use crate::types::BoxFuture;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Answers approval requests through the front end: the request goes out with a oneshot for the
/// answer. An interrupt or a closed front end counts as a denial, so a turn never hangs on a
/// question.
#[derive(Clone)]
pub struct ChannelApprover {
    tx: mpsc::UnboundedSender<UiMsg>,
    cancel: Cancel,
}

impl ChannelApprover {
    pub fn new(tx: mpsc::UnboundedSender<UiMsg>, cancel: Cancel) -> Self {
        ChannelApprover { tx, cancel }
    }
}

impl Approver for ChannelApprover {
    fn ask<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Answer> {
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            let msg = UiMsg::Approval {
                request: request.clone(),
                reply,
            };
            if self.tx.send(msg).is_err() {
                return Answer::Deny { note: None };
            }
            tokio::select! {
                a = answer => a.unwrap_or(Answer::Deny { note: None }),
                _ = self.cancel.cancelled() => Answer::Deny {
                    note: Some("the user interrupted the turn".into()),
                },
            }
        })
    }
}

/// One approver shared by every session a factory builds (`/clear` and `/resume` rebuild).
#[derive(Clone)]
pub struct SharedApprover(pub Arc<dyn Approver>);

impl Approver for SharedApprover {
    fn ask<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Answer> {
        self.0.ask(request)
    }
}
