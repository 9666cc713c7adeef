//! JSON-RPC lines on stdin/stdout. A client that closes its end of stdout is gone: what was still
//! to be sent (a usage update after the last answer) is dropped rather than turned into an error,
//! and the connection ends cleanly when stdin closes.

use agent_client_protocol::Lines;
use futures::{Sink, Stream};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

type Outgoing = std::pin::Pin<Box<dyn Sink<String, Error = std::io::Error> + Send>>;
type Incoming = std::pin::Pin<Box<dyn Stream<Item = std::io::Result<String>> + Send>>;

/// The process's stdin and stdout as a line transport.
pub fn stdio() -> Lines<Outgoing, Incoming> {
    let outgoing = futures::sink::unfold(
        (tokio::io::stdout(), false),
        async |(mut out, gone), line: String| {
            if gone {
                return Ok((out, gone));
            }
            let written = async {
                out.write_all(line.as_bytes()).await?;
                out.write_all(b"\n").await?;
                out.flush().await
            };
            match written.await {
                Ok(()) => Ok((out, false)),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok((out, true)),
                Err(e) => Err(e),
            }
        },
    );
    let incoming = futures::stream::unfold(
        BufReader::new(tokio::io::stdin()).lines(),
        async |mut lines| match lines.next_line().await {
            Ok(Some(line)) => Some((Ok(line), lines)),
            Ok(None) => None,
            Err(e) => Some((Err(e), lines)),
        },
    );
    Lines::new(Box::pin(outgoing), Box::pin(incoming))
}
