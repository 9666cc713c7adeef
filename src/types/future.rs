//! The boxed future every async trait method here returns: traits with async methods must stay
//! object-safe (tools, extensions and approvers are held as `dyn`), so they return this instead of
//! `impl Future`.

use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
