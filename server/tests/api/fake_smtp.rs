//! A tiny SMTP server for the tests: enough of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA, RSET,
//! NOOP, QUIT) for lettre's real client to deliver to it. Each message's DATA arrives on a
//! channel.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub struct FakeSmtp {
    pub url: String,
    received: mpsc::UnboundedReceiver<Mail>,
    /// Connections accepted so far (refused and stalled ones included).
    pub sessions: Arc<AtomicUsize>,
}

/// How the server treats its first connections (a mail server in trouble).
#[derive(Debug, Clone, Copy, Default)]
pub struct Trouble {
    /// The first this many connections are answered `421` and closed (server busy).
    pub refuse_first: usize,
    /// The next this many connections are accepted and then never answered (a hung server).
    pub stall_next: usize,
}

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub data: String,
}

impl Mail {
    /// The body as text: base64 (how a mail in Chinese is sent) decoded, quoted-printable soft
    /// breaks joined.
    pub fn flat(&self) -> String {
        use base64::Engine;
        let (headers, body) = self
            .data
            .split_once("\r\n\r\n")
            .unwrap_or(("", self.data.as_str()));
        if headers
            .to_ascii_lowercase()
            .contains("content-transfer-encoding: base64")
        {
            let compact: String = body
                .lines()
                .take_while(|l| !l.starts_with('.'))
                .collect::<String>()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact) {
                return String::from_utf8_lossy(&bytes).into_owned();
            }
        }
        self.data.replace("=\r\n", "")
    }

    /// The one-time token in the mailed link (the body may be quoted-printable: `=3D`).
    pub fn token(&self) -> String {
        let flat = self.flat();
        let at = flat.find("token=").expect("a link with a token");
        let rest = &flat[at + "token=".len()..];
        let rest = rest.strip_prefix("3D").unwrap_or(rest);
        rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect()
    }

    pub fn link_path(&self) -> String {
        let flat = self.flat();
        let start = flat.find("http://").expect("a link");
        let after_host = flat[start + 7..].find('/').expect("a path") + start + 7;
        let end = flat[after_host..].find('?').expect("a query") + after_host;
        flat[after_host..end].to_string()
    }
}

impl FakeSmtp {
    pub async fn start() -> Self {
        Self::start_with(Trouble::default()).await
    }

    pub async fn start_with(trouble: Trouble) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::unbounded_channel();
        let sessions = Arc::new(AtomicUsize::new(0));
        let count = sessions.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let n = count.fetch_add(1, Ordering::SeqCst);
                if n < trouble.refuse_first {
                    let _ = socket.write_all(b"421 fake.test busy, try later\r\n").await;
                    continue;
                }
                if n < trouble.refuse_first + trouble.stall_next {
                    // Keep the connection open and silent until the client gives up.
                    tokio::spawn(async move {
                        let mut sink = Vec::new();
                        let _ = tokio::io::AsyncReadExt::read_to_end(&mut socket, &mut sink).await;
                    });
                    continue;
                }
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _ = session(socket, tx).await;
                });
            }
        });
        Self {
            url,
            received: rx,
            sessions,
        }
    }

    pub fn sessions(&self) -> usize {
        self.sessions.load(Ordering::SeqCst)
    }

    /// The next delivered mail (waits up to 10 s).
    pub async fn next(&mut self) -> Mail {
        tokio::time::timeout(Duration::from_secs(10), self.received.recv())
            .await
            .expect("a mail within 10 s")
            .expect("the fake SMTP server runs")
    }

    /// The next delivered mail, which must be addressed to `address` (a mail the server should
    /// not have sent, queued before this one, shows up here instead).
    pub async fn next_to(&mut self, address: &str) -> Mail {
        let mail = self.next().await;
        assert!(
            mail.to.iter().any(|t| t.contains(&format!("<{address}>"))),
            "expected a mail to {address}, got one to {:?}",
            mail.to
        );
        mail
    }

    /// Nothing else has been delivered so far (no waiting: call it after a later mail arrived,
    /// which proves the server got that far).
    pub fn assert_nothing_else(&mut self) {
        if let Ok(mail) = self.received.try_recv() {
            panic!("unexpected mail to {:?}", mail.to);
        }
    }
}

async fn session(
    socket: tokio::net::TcpStream,
    tx: mpsc::UnboundedSender<Mail>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 fake.test ESMTP\r\n").await?;
    let mut to = Vec::new();
    while let Some(line) = lines.next_line().await? {
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                write
                    .write_all(b"250-fake.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                    .await?
            }
            "HELO" => write.write_all(b"250 fake.test\r\n").await?,
            "MAIL" => {
                to.clear();
                write.write_all(b"250 OK\r\n").await?
            }
            "RCPT" => {
                to.push(
                    line[line.find(':').map(|i| i + 1).unwrap_or(0)..]
                        .trim()
                        .to_string(),
                );
                write.write_all(b"250 OK\r\n").await?
            }
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                while let Some(l) = lines.next_line().await? {
                    if l == "." {
                        break;
                    }
                    data.push_str(
                        l.strip_prefix('.')
                            .filter(|_| l.starts_with(".."))
                            .unwrap_or(&l),
                    );
                    data.push_str("\r\n");
                }
                let _ = tx.send(Mail {
                    to: to.clone(),
                    data,
                });
                write.write_all(b"250 OK queued\r\n").await?
            }
            "RSET" | "NOOP" => write.write_all(b"250 OK\r\n").await?,
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                break;
            }
            _ => write.write_all(b"502 not implemented\r\n").await?,
        }
    }
    Ok(())
}
