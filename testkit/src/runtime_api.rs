//! A Lambda Runtime API on loopback, lean enough to time a function against.
//!
//! A function asks `/next` for an event and posts its answer to `/response` (or `/error`); at
//! init it may post to `/init/error`. Each connection is served on its own thread with blocking
//! reads, so a round trip costs the function's time and little else, and two instants are
//! stamped: when an event was handed out (the `/next` answer written) and when the function's
//! reply had been read in full.

use std::io::BufReader;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::http::{self, Server};
use crate::reply::Reply;

/// A reply and when it happened.
#[derive(Debug)]
pub struct Timed {
    /// What the function posted.
    pub reply: Reply,
    /// When the event it answers was handed out; `None` for an init error or no answer at all.
    pub handed_out: Option<Instant>,
    /// When the reply had been read (or was given up on).
    pub answered: Instant,
}

/// What the connection threads share.
struct Shared {
    events: Mutex<Receiver<String>>,
    replies: Mutex<Sender<Timed>>,
    handed_out: Mutex<Option<Instant>>,
    stop: AtomicBool,
}

/// A running Runtime API; dropping it stops it.
pub struct RuntimeApi {
    events: Sender<String>,
    replies: Receiver<Timed>,
    shared: Arc<Shared>,
    server: Server,
}

impl RuntimeApi {
    /// Listens on a free loopback port.
    pub fn start() -> RuntimeApi {
        let (events, events_rx) = channel();
        let (replies_tx, replies) = channel();
        let shared = Arc::new(Shared {
            events: Mutex::new(events_rx),
            replies: Mutex::new(replies_tx),
            handed_out: Mutex::new(None),
            stop: AtomicBool::new(false),
        });
        let serving = shared.clone();
        let server = Server::start(move |stream| serve(stream, &serving));
        RuntimeApi {
            events,
            replies,
            shared,
            server,
        }
    }

    /// `host:port`, for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.server.address().to_string()
    }

    /// Queues one event for the function's next `/next`.
    pub fn queue(&self, event: &str) {
        self.events.send(event.to_owned()).unwrap();
    }

    /// The next reply, or `None` after `timeout`.
    pub fn reply(&self, timeout: Duration) -> Option<Timed> {
        self.replies.recv_timeout(timeout).ok()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        // Releases a `/next` still waiting for an event; the server then closes the port.
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

/// Serves one keep-alive connection until the client closes it.
fn serve(stream: TcpStream, shared: &Shared) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some(request) = http::read_message(&mut reader) {
        let path = request.path();
        if request.method() == "GET" && path.ends_with("/runtime/invocation/next") {
            let Some(event) = next_event(shared) else {
                return;
            };
            if write_event(&mut writer, &event).is_err() {
                return;
            }
            *shared.handed_out.lock().unwrap() = Some(Instant::now());
            continue;
        }
        let answered = Instant::now();
        let body = String::from_utf8_lossy(&request.body).into_owned();
        let handed_out = *shared.handed_out.lock().unwrap();
        let (reply, handed_out) = if path.ends_with("/response") {
            let response = serde_json::from_str(&body).unwrap_or(Value::String(body));
            (Reply::Response(response), handed_out)
        } else if path.contains("/invocation/") && path.ends_with("/error") {
            let error: Value = serde_json::from_str(&body).unwrap_or_default();
            let text = |field: &str| error[field].as_str().unwrap_or_default().to_owned();
            let reply = Reply::Error {
                error_type: text("errorType"),
                error_message: text("errorMessage"),
            };
            (reply, handed_out)
        } else {
            (Reply::NoAnswer(format!("{path}: {body}")), None)
        };
        if http::write_response(&mut writer, 202, &[], b"").is_err() {
            return;
        }
        let timed = Timed {
            reply,
            handed_out,
            answered,
        };
        let _ = shared.replies.lock().unwrap().send(timed);
    }
}

/// Waits for a queued event; `None` once the API is stopped.
fn next_event(shared: &Shared) -> Option<String> {
    let events = shared.events.lock().unwrap();
    loop {
        match events.recv_timeout(Duration::from_millis(20)) {
            Ok(event) => return Some(event),
            Err(RecvTimeoutError::Timeout) if !shared.stop.load(Ordering::Relaxed) => continue,
            Err(_) => return None,
        }
    }
}

/// The `/next` answer, with the headers Lambda sends.
fn write_event(writer: &mut TcpStream, event: &str) -> std::io::Result<()> {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let id = format!("request-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 30_000;
    let headers = [
        ("content-type", "application/json"),
        ("lambda-runtime-aws-request-id", id.as_str()),
        ("lambda-runtime-deadline-ms", &deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:petstore",
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-5759e988-bd862e3fe1be46a994272793",
        ),
    ];
    http::write_response(writer, 200, &headers, event.as_bytes())
}
