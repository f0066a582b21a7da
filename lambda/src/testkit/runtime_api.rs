//! A stand-in for the Lambda Runtime API on 127.0.0.1, just enough to time a bootstrap
//! process from start to its first answer: it hands out one invocation on
//! `GET .../invocation/next`, records the `POST .../response` (or `.../error`), and leaves
//! every later `next` unanswered, as a real runtime would between invocations.

use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// What the bootstrap sent back for the invocation.
#[derive(Debug)]
pub struct Answer {
    /// When the answer arrived.
    pub at: Instant,
    /// `response` or `error`.
    pub kind: String,
    /// Body as sent.
    pub body: String,
}

/// Starts the stand-in; returns its `host:port` and a receiver of answers.
pub async fn start(event: String) -> std::io::Result<(String, mpsc::Receiver<Answer>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        let mut served = false;
        while let Ok((stream, _)) = listener.accept().await {
            let hand_out = !served;
            served = true;
            tokio::spawn(connection(stream, event.clone(), hand_out, tx.clone()));
        }
    });
    Ok((addr, rx))
}

/// Serves requests on one keep-alive connection.
async fn connection(
    stream: TcpStream,
    event: String,
    mut hand_out: bool,
    tx: mpsc::Sender<Answer>,
) {
    let mut reader = BufReader::new(stream);
    while let Some((method, path, body)) = read_request(&mut reader).await {
        let reply = if method == "GET" && path.ends_with("/invocation/next") {
            if !hand_out {
                std::future::pending::<()>().await;
            }
            hand_out = false;
            invocation(&event)
        } else {
            let kind = path.rsplit('/').next().unwrap_or("").to_string();
            let _ = tx
                .send(Answer {
                    at: Instant::now(),
                    kind,
                    body,
                })
                .await;
            "HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}".to_string()
        };
        if reader.get_mut().write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn invocation(event: &str) -> String {
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() + 30_000);
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
         lambda-runtime-aws-request-id: bench-1\r\nlambda-runtime-deadline-ms: {deadline}\r\n\
         lambda-runtime-invoked-function-arn: \
         arn:aws:lambda:us-east-1:123456789012:function:lease\r\n\
         lambda-runtime-trace-id: Root=1-00000000-000000000000000000000000\r\n\
         content-length: {}\r\n\r\n{event}",
        event.len()
    )
}

/// Reads one HTTP/1.1 request: method, path and body (by content-length).
async fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String, String)> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).await.ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some((method, path, String::from_utf8_lossy(&body).into_owned()))
}
