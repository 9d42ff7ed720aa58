//! The bridge between one websocket and one SSH session, generic over the socket's `Sink` and
//! `Stream` halves, so it runs in unit tests on in-memory channels.
//!
//! Back-pressure: output reaches the bridge through a bounded channel and each frame is written
//! to the socket (awaited) before the next is taken, so a slow browser slows the SSH channel
//! (its window fills, the remote `cat` blocks) instead of growing memory. Input is forwarded
//! the same way. Heartbeat: a `{"type":"ping"}` every `ping_every`; a peer silent for
//! `peer_timeout` is dropped (the session then waits for a resume).

use std::time::Duration;

use futures::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use super::protocol::{Control, Frame, FromSession, ToSession};

#[derive(Debug, Clone, Copy)]
pub struct Heartbeat {
    pub ping_every: Duration,
    pub peer_timeout: Duration,
}

/// Why a bridge ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The session ended (exit frame sent).
    Exited,
    /// The browser closed the socket or it failed: the session may be resumed.
    PeerGone,
    /// The browser was silent for longer than the timeout.
    PeerSilent,
    /// Another websocket took the terminal over, or the session is gone.
    Replaced,
}

fn control(c: &Control) -> Frame {
    // Serializing these plain enums cannot fail; an empty object would be ignored anyway.
    Frame::Text(serde_json::to_string(c).unwrap_or_else(|_| "{}".into()))
}

pub async fn run<S, R, E>(
    mut sink: S,
    mut stream: R,
    to_session: mpsc::Sender<ToSession>,
    mut from_session: mpsc::Receiver<FromSession>,
    generation: u64,
    beat: Heartbeat,
) -> End
where
    S: Sink<Frame> + Unpin,
    R: Stream<Item = Result<Frame, E>> + Unpin,
{
    let mut ticks = interval_at(Instant::now() + beat.ping_every, beat.ping_every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_seen = Instant::now();
    let end = loop {
        tokio::select! {
            frame = stream.next() => {
                last_seen = Instant::now();
                let frame = match frame {
                    Some(Ok(frame)) => frame,
                    Some(Err(_)) | None => break End::PeerGone,
                };
                let message = match frame {
                    Frame::Binary(bytes) => ToSession::Input(bytes),
                    Frame::Text(text) => match serde_json::from_str::<Control>(&text) {
                        Ok(Control::Resize { cols, rows }) if cols > 0 && rows > 0 => {
                            ToSession::Resize { cols, rows }
                        }
                        Ok(Control::Ping) => {
                            if sink.send(control(&Control::Pong)).await.is_err() {
                                break End::PeerGone;
                            }
                            continue;
                        }
                        // Pongs only show liveness; anything else from a client is ignored.
                        _ => continue,
                    },
                    Frame::Close => break End::PeerGone,
                    Frame::Other => continue,
                };
                if to_session.send(message).await.is_err() {
                    break End::Replaced;
                }
            }
            out = from_session.recv() => match out {
                Some(FromSession::Output(bytes)) => {
                    if sink.send(Frame::Binary(bytes)).await.is_err() {
                        break End::PeerGone;
                    }
                }
                Some(FromSession::Exit { code, reason }) => {
                    let _ = sink.send(control(&Control::Exit { code, reason })).await;
                    break End::Exited;
                }
                None => break End::Replaced,
            },
            _ = ticks.tick() => {
                if last_seen.elapsed() >= beat.peer_timeout {
                    break End::PeerSilent;
                }
                if sink.send(control(&Control::Ping)).await.is_err() {
                    break End::PeerGone;
                }
            }
        }
    };
    if matches!(end, End::PeerGone | End::PeerSilent) {
        let _ = to_session.send(ToSession::Detach { generation }).await;
    }
    let _ = sink.send(Frame::Close).await;
    let _ = sink.close().await;
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use futures::channel::mpsc as fmpsc;

    struct Harness {
        /// What the browser sends.
        browser: fmpsc::UnboundedSender<Result<Frame, ()>>,
        /// What the browser receives.
        screen: fmpsc::Receiver<Frame>,
        session_in: mpsc::Receiver<ToSession>,
        session_out: mpsc::Sender<FromSession>,
        bridge: tokio::task::JoinHandle<End>,
    }

    fn start(beat: Heartbeat, screen_capacity: usize) -> Harness {
        let (browser, stream) = fmpsc::unbounded();
        let (sink, screen) = fmpsc::channel(screen_capacity);
        let (to_session, session_in) = mpsc::channel(4);
        let (session_out, from_session) = mpsc::channel(4);
        let bridge = tokio::spawn(run(sink, stream, to_session, from_session, 7, beat));
        Harness {
            browser,
            screen,
            session_in,
            session_out,
            bridge,
        }
    }

    const SLOW: Heartbeat = Heartbeat {
        ping_every: Duration::from_secs(60),
        peer_timeout: Duration::from_secs(120),
    };

    #[tokio::test]
    async fn keystrokes_resizes_and_output_cross_the_bridge() {
        let mut h = start(SLOW, 8);
        h.browser
            .unbounded_send(Ok(Frame::Binary(Bytes::from_static(b"ls\r"))))
            .unwrap();
        h.browser
            .unbounded_send(Ok(Frame::Text(
                r#"{"type":"resize","cols":100,"rows":30}"#.into(),
            )))
            .unwrap();
        match h.session_in.recv().await {
            Some(ToSession::Input(b)) => assert_eq!(&b[..], b"ls\r"),
            other => panic!("{other:?}"),
        }
        match h.session_in.recv().await {
            Some(ToSession::Resize { cols, rows }) => assert_eq!((cols, rows), (100, 30)),
            other => panic!("{other:?}"),
        }
        h.session_out
            .send(FromSession::Output(Bytes::from_static(b"file\r\n")))
            .await
            .unwrap();
        assert_eq!(
            h.screen.next().await,
            Some(Frame::Binary(Bytes::from_static(b"file\r\n")))
        );
        h.session_out
            .send(FromSession::Exit {
                code: Some(0),
                reason: "exited".into(),
            })
            .await
            .unwrap();
        let Some(Frame::Text(exit)) = h.screen.next().await else {
            panic!("no exit frame")
        };
        let exit: Control = serde_json::from_str(&exit).unwrap();
        assert_eq!(
            exit,
            Control::Exit {
                code: Some(0),
                reason: "exited".into()
            }
        );
        assert_eq!(h.bridge.await.unwrap(), End::Exited);
    }

    #[tokio::test]
    async fn a_ping_is_answered_and_a_closed_socket_detaches() {
        let mut h = start(SLOW, 8);
        h.browser
            .unbounded_send(Ok(Frame::Text(r#"{"type":"ping"}"#.into())))
            .unwrap();
        assert_eq!(
            h.screen.next().await,
            Some(Frame::Text(r#"{"type":"pong"}"#.into()))
        );
        h.browser.unbounded_send(Ok(Frame::Close)).unwrap();
        assert_eq!(h.bridge.await.unwrap(), End::PeerGone);
        assert!(matches!(
            h.session_in.recv().await,
            Some(ToSession::Detach { generation: 7 })
        ));
    }

    #[tokio::test]
    async fn the_bridge_pings_and_drops_a_silent_peer() {
        let beat = Heartbeat {
            ping_every: Duration::from_millis(20),
            peer_timeout: Duration::from_millis(90),
        };
        let mut h = start(beat, 64);
        assert_eq!(
            h.screen.next().await,
            Some(Frame::Text(r#"{"type":"ping"}"#.into()))
        );
        let started = std::time::Instant::now();
        assert_eq!(h.bridge.await.unwrap(), End::PeerSilent);
        assert!(started.elapsed() >= Duration::from_millis(60));
        assert!(matches!(
            h.session_in.recv().await,
            Some(ToSession::Detach { .. })
        ));
    }

    #[tokio::test]
    async fn a_slow_browser_holds_output_back_instead_of_buffering_it() {
        // The browser reads nothing: its socket takes 2 frames, the bridge's inbox 4.
        let h = start(SLOW, 2);
        let chunk = Bytes::from(vec![b'x'; 32 * 1024]);
        let mut sent = 0;
        let deadline = tokio::time::sleep(Duration::from_millis(300));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                r = h.session_out.send(FromSession::Output(chunk.clone())) => {
                    r.unwrap();
                    sent += 1;
                }
                _ = &mut deadline => break,
            }
        }
        // socket (2 + 1 per sender) + one frame in hand + the inbox: a handful, not thousands.
        assert!(
            sent <= 10,
            "{sent} chunks were accepted by a stalled browser"
        );
        drop(h.screen);
    }
}
