//! One WebSocket connection: feeds client frames to the model and performs its commands.

use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tungstenite::Message;
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;

use super::flood::{EncodedFlood, FloodCursor};
use super::shared::{ConnCmd, Shared};
use crate::model::SocketId;

/// How long a closing server waits for the client's close frame.
const CLOSE_LINGER: Duration = Duration::from_secs(1);

/// Whether the connection goes on after a command.
enum Next {
    Continue,
    Stop,
}

pub(crate) async fn run<S>(
    mut ws: WebSocketStream<S>,
    conn: SocketId,
    mut rx: mpsc::UnboundedReceiver<ConnCmd>,
    shared: Arc<Shared>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        tokio::select! {
            cmd = rx.recv() => {
                let cmd = cmd.unwrap_or(ConnCmd::Shutdown);
                if let Next::Stop = perform(&mut ws, conn, cmd, &mut rx, &shared).await {
                    break;
                }
            }
            msg = ws.next() => {
                if let Next::Stop = incoming(&mut ws, conn, msg, &shared).await {
                    break;
                }
            }
        }
    }
    shared.gone(conn);
}

/// Handles one frame from the client.
async fn incoming<S>(
    ws: &mut WebSocketStream<S>,
    conn: SocketId,
    msg: Option<Result<Message, tungstenite::Error>>,
    shared: &Shared,
) -> Next
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match msg {
        Some(Ok(Message::Text(t))) => shared.with_model(|m, now| ((), m.ws_text(now, conn, &t))),
        Some(Ok(Message::Binary(b))) => {
            shared.with_model(|m, now| ((), m.ws_binary(now, conn, &b)))
        }
        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {
            // tungstenite queued the pong; push it out.
            let _ = ws.flush().await;
        }
        Some(Ok(Message::Close(frame))) => {
            tracing::debug!(%conn, ?frame, "client closed");
            let _ = tokio::time::timeout(CLOSE_LINGER, drain(ws)).await;
            return Next::Stop;
        }
        Some(Err(e)) => {
            tracing::debug!(%conn, error = %e, "ws error");
            return Next::Stop;
        }
        None => return Next::Stop,
    }
    Next::Continue
}

/// Reads until the peer finishes the closing handshake (tungstenite answers the close).
async fn drain<S>(ws: &mut WebSocketStream<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = ws.flush().await;
    while let Some(Ok(_)) = ws.next().await {}
}

/// Performs one command, plus any frames queued behind it (one flush for them all).
async fn perform<S>(
    ws: &mut WebSocketStream<S>,
    conn: SocketId,
    cmd: ConnCmd,
    rx: &mut mpsc::UnboundedReceiver<ConnCmd>,
    shared: &Shared,
) -> Next
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut cmd = Some(cmd);
    while let Some(c) = cmd.take() {
        match c {
            ConnCmd::Frame(msg) => {
                if ws.feed(msg).await.is_err() {
                    return Next::Stop;
                }
                match rx.try_recv() {
                    Ok(next) => cmd = Some(next),
                    Err(_) => {
                        if ws.flush().await.is_err() {
                            return Next::Stop;
                        }
                    }
                }
            }
            ConnCmd::Close(code, reason) => {
                close(ws, code, reason).await;
                return Next::Stop;
            }
            ConnCmd::Drop => {
                tracing::debug!(%conn, "dropping TCP without a close frame");
                return Next::Stop;
            }
            ConnCmd::HalfOpen => {
                tracing::debug!(%conn, "half-open: no more reads or writes");
                half_open(rx).await;
                return Next::Stop;
            }
            ConnCmd::Shutdown => {
                close(ws, 1001, "server shutting down".into()).await;
                return Next::Stop;
            }
            ConnCmd::Flood(enc, count) => match flood(ws, conn, &enc, count, rx, shared).await {
                Ok(Some(next)) => cmd = Some(next),
                Ok(None) => {}
                Err(()) => return Next::Stop,
            },
        }
    }
    Next::Continue
}

/// Neither reads nor writes (so pings go unanswered and nothing is delivered) until the
/// model closes or drops the connection or the server shuts down; then the TCP connection is
/// dropped without a close frame, as a dead flow would be.
async fn half_open(rx: &mut mpsc::UnboundedReceiver<ConnCmd>) {
    while let Some(cmd) = rx.recv().await {
        if matches!(cmd, ConnCmd::Close(..) | ConnCmd::Drop | ConnCmd::Shutdown) {
            return;
        }
    }
}

async fn close<S>(ws: &mut WebSocketStream<S>, code: u16, reason: String)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    };
    if ws.close(Some(frame)).await.is_ok() {
        let _ = tokio::time::timeout(CLOSE_LINGER, drain(ws)).await;
    }
}

/// Writes `count` pre-encoded frames straight to the socket, batch by batch. Between batches
/// it serves client frames (pings must still be answered) and stops for a close or drop,
/// which it hands back to the caller.
async fn flood<S>(
    ws: &mut WebSocketStream<S>,
    conn: SocketId,
    enc: &EncodedFlood,
    count: u64,
    rx: &mut mpsc::UnboundedReceiver<ConnCmd>,
    shared: &Shared,
) -> Result<Option<ConnCmd>, ()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Raw writes are safe only at a frame boundary: empty tungstenite's buffer first.
    ws.flush().await.map_err(|_| ())?;
    let mut cursor = FloodCursor::new(count);
    while let Some((bytes, _)) = cursor.next_batch(enc) {
        ws.get_mut().write_all(&bytes).await.map_err(|_| ())?;
        // Frames the model queued meanwhile go through tungstenite, between two batches.
        loop {
            match rx.try_recv() {
                Ok(ConnCmd::Frame(msg)) => ws.feed(msg).await.map_err(|_| ())?,
                Ok(other) => {
                    ws.flush().await.map_err(|_| ())?;
                    return Ok(Some(other));
                }
                Err(_) => break,
            }
        }
        ws.flush().await.map_err(|_| ())?;
        if let Some(msg) = ws.next().now_or_never()
            && let Next::Stop = incoming(ws, conn, msg, shared).await
        {
            return Err(());
        }
    }
    ws.get_mut().flush().await.map_err(|_| ())?;
    tracing::debug!(%conn, count, "flood done");
    Ok(None)
}
