//! A Lambda Runtime API on loopback, lean enough to time a function against.
//!
//! A function asks `/next` for an event and posts its answer to `/response` (or `/error`); at
//! init it may post to `/init/error`. Each connection is served on its own thread with blocking
//! reads, so a round trip costs the function's time and little else, and two instants are
//! stamped: when an event was handed out (the `/next` answer written) and when the function's
//! reply had been read in full. Like Lambda Managed Instances, it hands events to as many
//! `/next` pollers as a function runs, each under its own request id, and counts how many were
//! in flight at once.

use std::collections::HashMap;
use std::io::BufReader;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
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
    /// The request id of the event it answers, as [`RuntimeApi::queue`] returned it; `None` for
    /// an init error or no answer at all.
    pub request_id: Option<String>,
    /// When the event it answers was handed out; `None` for an init error or no answer at all.
    pub handed_out: Option<Instant>,
    /// When the reply had been read (or was given up on).
    pub answered: Instant,
}

/// What the connection threads share.
struct Shared {
    events: Mutex<Receiver<(String, String)>>,
    replies: Mutex<Sender<Timed>>,
    /// When each event not yet answered was handed out, by request id.
    handed_out: Mutex<HashMap<String, Instant>>,
    max_in_flight: AtomicUsize,
    stop: AtomicBool,
}

/// A running Runtime API; dropping it stops it.
pub struct RuntimeApi {
    events: Sender<(String, String)>,
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
            handed_out: Mutex::new(HashMap::new()),
            max_in_flight: AtomicUsize::new(0),
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

    /// Queues one event for the function's next `/next`, and returns the request id it will be
    /// handed out under.
    pub fn queue(&self, event: &str) -> String {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let id = format!("request-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
        self.events.send((id.clone(), event.to_owned())).unwrap();
        id
    }

    /// The most events that were handed out and not yet answered at any one time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::Relaxed)
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
            let Some((id, event)) = next_event(shared) else {
                return;
            };
            // Stamped before the answer is written: the reply may come back before this thread
            // runs again.
            let in_flight = {
                let mut handed_out = shared.handed_out.lock().unwrap();
                handed_out.insert(id.clone(), Instant::now());
                handed_out.len()
            };
            shared.max_in_flight.fetch_max(in_flight, Ordering::Relaxed);
            if write_event(&mut writer, &id, &event).is_err() {
                return;
            }
            continue;
        }
        let answered = Instant::now();
        let body = String::from_utf8_lossy(&request.body).into_owned();
        // `…/invocation/<id>/response` or `…/invocation/<id>/error`.
        let request_id = path
            .split_once("/invocation/")
            .and_then(|(_, rest)| rest.split_once('/'))
            .map(|(id, _)| id.to_owned());
        let handed_out = request_id
            .as_ref()
            .and_then(|id| shared.handed_out.lock().unwrap().remove(id));
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
            request_id: handed_out.and(request_id),
            handed_out,
            answered,
        };
        let _ = shared.replies.lock().unwrap().send(timed);
    }
}

/// Waits for a queued event and its request id; `None` once the API is stopped.
fn next_event(shared: &Shared) -> Option<(String, String)> {
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
fn write_event(writer: &mut TcpStream, id: &str, event: &str) -> std::io::Result<()> {
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 30_000;
    let headers = [
        ("content-type", "application/json"),
        ("lambda-runtime-aws-request-id", id),
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
