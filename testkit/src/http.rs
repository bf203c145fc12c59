//! Just enough HTTP/1.1 for the loopback servers of this crate and the timing of others: an accept
//! loop that serves each connection on its own thread, a reader for one message (request or
//! response) with a `content-length` or chunked body, and response writers.
//!
//! Plain blocking threads on `std::net`: a test server here answers in microseconds, so its own
//! queueing never shows in what the cold-start driver times.

use std::io::{self, BufRead, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};

/// A listening loopback port whose connections are each served on a thread of their own.
pub struct Server {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    accepting: Option<JoinHandle<()>>,
}

impl Server {
    /// Listens on a free loopback port and hands every connection to `serve`.
    pub fn start(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let address = listener.local_addr().expect("a bound address");
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let serve = Arc::new(serve);
        let accepting = thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let _ = stream.set_nodelay(true);
                let serve = serve.clone();
                thread::spawn(move || serve(stream));
            }
        });
        Server {
            address,
            stop,
            accepting: Some(accepting),
        }
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Closes the port, so that later connections are refused; connections already accepted are
    /// left to end by themselves.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accepting) = self.accepting.take() {
            // Wakes the accepting thread, which then sees `stop` and drops the listener.
            let _ = TcpStream::connect(self.address);
            let _ = accepting.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One HTTP/1.1 message as read: its start line and its body (the other headers are not kept).
pub struct Message {
    /// `GET /path HTTP/1.1` for a request, `HTTP/1.1 200 OK` for a response.
    pub start: String,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Message {
    /// A request's method (`GET`).
    pub fn method(&self) -> &str {
        self.word(0)
    }

    /// A request's path (`/path`).
    pub fn path(&self) -> &str {
        self.word(1)
    }

    /// A response's status code (`200`).
    pub fn status(&self) -> &str {
        self.word(1)
    }

    /// The start line's `n`th word, or nothing.
    fn word(&self, n: usize) -> &str {
        self.start.split(' ').nth(n).unwrap_or_default()
    }
}

/// Reads one message whose body has a `content-length` or is chunked (none means empty, as for
/// a request); `None` when the connection ends first or the message is malformed.
pub fn read_message(reader: &mut impl BufRead) -> Option<Message> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|&n| n > 0)?;
    let start = line.trim_end().to_owned();
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
    Some(Message { start, body })
}

/// Writes a whole response with its `content-length`, in one write: one segment on the wire.
pub fn write_response(
    writer: &mut impl Write,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<()> {
    let length = body.len().to_string();
    let head = head(status, &[headers, &[("content-length", &length)]].concat());
    writer.write_all(&[head.as_bytes(), body].concat())
}

/// Writes a response's status line and headers, for a body the caller then streams.
pub fn write_head(
    writer: &mut impl Write,
    status: u16,
    headers: &[(&str, &str)],
) -> io::Result<()> {
    writer.write_all(head(status, headers).as_bytes())
}

/// The status line and the headers.
fn head(status: u16, headers: &[(&str, &str)]) -> String {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// The reason phrase of the statuses these servers send; clients read only the code, so any other
/// gets a placeholder.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sized_and_chunked_bodies() {
        let sized = "POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
        let message = read_message(&mut sized.as_bytes()).unwrap();
        assert_eq!((message.method(), message.path()), ("POST", "/a"));
        assert_eq!(message.body, b"hello");

        let chunked =
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n";
        let message = read_message(&mut chunked.as_bytes()).unwrap();
        assert_eq!(message.status(), "200");
        assert_eq!(message.body, b"hello");

        assert!(read_message(&mut "".as_bytes()).is_none());
    }

    #[test]
    fn writes_what_it_reads() {
        let mut written = Vec::new();
        write_response(&mut written, 202, &[("x-a", "b")], b"ok").unwrap();
        let message = read_message(&mut written.as_slice()).unwrap();
        assert_eq!(message.start, "HTTP/1.1 202 Accepted");
        assert_eq!(message.body, b"ok");
    }
}
