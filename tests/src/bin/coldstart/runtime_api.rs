//! A Lambda Runtime API on loopback, lean enough to time a function against.
//!
//! The end-to-end tests' server (`tiny_http`, polled every 50 ms) is fine for checking answers,
//! but its queueing would show in a round trip of some tens of microseconds. This one serves each
//! connection on its own thread with blocking reads, and stamps two instants: when an event was
//! handed out (the `/next` answer written) and when the function's reply had been read in full.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use e2e_tests::Reply;
use serde_json::Value;

/// A reply and when it happened.
pub struct Timed {
    pub reply: Reply,
    /// When the event it answers was handed out; `None` for an init error.
    pub handed_out: Option<Instant>,
    /// When the reply had been read.
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
    address: SocketAddr,
    events: Sender<String>,
    replies: Receiver<Timed>,
    shared: Arc<Shared>,
}

impl RuntimeApi {
    /// Listens on a free loopback port.
    pub fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let address = listener.local_addr().unwrap();
        let (events, events_rx) = channel();
        let (replies_tx, replies) = channel();
        let shared = Arc::new(Shared {
            events: Mutex::new(events_rx),
            replies: Mutex::new(replies_tx),
            handed_out: Mutex::new(None),
            stop: AtomicBool::new(false),
        });
        let accepting = shared.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.stop.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let _ = stream.set_nodelay(true);
                let shared = accepting.clone();
                thread::spawn(move || serve(stream, &shared));
            }
        });
        RuntimeApi {
            address,
            events,
            replies,
            shared,
        }
    }

    /// `host:port`, for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.address.to_string()
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
        self.shared.stop.store(true, Ordering::Relaxed);
        // Wakes the accepting thread so that it sees `stop`.
        let _ = TcpStream::connect(self.address);
    }
}

/// One HTTP/1.1 request: method, path and body.
struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

/// Serves one keep-alive connection until the client closes it.
fn serve(stream: TcpStream, shared: &Shared) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        if request.method == "GET" && request.path.ends_with("/runtime/invocation/next") {
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
        let (reply, handed_out) = if request.path.ends_with("/response") {
            let response = serde_json::from_str(&body).unwrap_or(Value::String(body));
            (
                Reply::Response(response),
                *shared.handed_out.lock().unwrap(),
            )
        } else if request.path.contains("/invocation/") && request.path.ends_with("/error") {
            let error: Value = serde_json::from_str(&body).unwrap_or_default();
            let text = |field: &str| error[field].as_str().unwrap_or_default().to_owned();
            let reply = Reply::Error {
                error_type: text("errorType"),
                error_message: text("errorMessage"),
            };
            (reply, *shared.handed_out.lock().unwrap())
        } else {
            (Reply::NoAnswer(format!("{}: {body}", request.path)), None)
        };
        let accepted = "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n";
        if writer.write_all(accepted.as_bytes()).is_err() {
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
    static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 30_000;
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         lambda-runtime-aws-request-id: request-{id}\r\nlambda-runtime-deadline-ms: {deadline}\r\n\
         lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:bench\r\n\
         lambda-runtime-trace-id: Root=1-5759e988-bd862e3fe1be46a994272793\r\n\r\n",
        event.len()
    );
    writer.write_all(&[head.as_bytes(), event.as_bytes()].concat())
}

/// Reads one request (a `content-length` or chunked body); `None` when the connection ends.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|&n| n > 0)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let (mut length, mut chunked) = (0, false);
    loop {
        line.clear();
        reader.read_line(&mut line).ok().filter(|&n| n > 0)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().ok()?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line).ok()?;
            let size = usize::from_str_radix(line.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).ok()?;
    }
    Some(Request { method, path, body })
}
