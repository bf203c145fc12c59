//! A key-set (JWKS) endpoint on loopback whose behaviour the test sets: a key set (or any other
//! document, such as an issuer's discovery document), an error status, garbage, a slow answer, a
//! multi-megabyte answer, or no server at all. It counts fetches and notes the paths asked for.
//!
//! Every answer closes its connection, so that a client pools none: each fetch is a request that
//! reaches the endpoint as it behaves at that moment, and after [`KeyServer::shut_down`] nothing
//! answers at all.

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::http::{self, Server};

/// What the endpoint answers.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// `200` with this body (a key set: see [`crate::keys::key_set`]).
    Serve(String),
    /// This status, with a small body.
    Status(u16),
    /// `200` with a body that is not JSON.
    Garbage,
    /// Waits this long, then serves the body.
    Slow(Duration, String),
    /// `200` with this many bytes, streamed without a `Content-Length`.
    Huge(usize),
}

/// A running key-set endpoint.
pub struct KeyServer {
    url: String,
    behaviour: Arc<Mutex<Behaviour>>,
    fetches: Arc<AtomicUsize>,
    paths: Arc<Mutex<Vec<String>>>,
    server: Server,
}

impl KeyServer {
    /// Starts serving on a free loopback port.
    pub fn start(behaviour: Behaviour) -> KeyServer {
        let behaviour = Arc::new(Mutex::new(behaviour));
        let fetches = Arc::new(AtomicUsize::new(0));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let (state, count, asked) = (behaviour.clone(), fetches.clone(), paths.clone());
        let server = Server::start(move |stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if let Some(request) = http::read_message(&mut reader) {
                count.fetch_add(1, Ordering::SeqCst);
                asked.lock().unwrap().push(request.path().to_owned());
                let behaviour = state.lock().unwrap().clone();
                answer(stream, behaviour);
            }
        });
        KeyServer {
            url: format!("http://{}/jwks.json", server.address()),
            behaviour,
            fetches,
            paths,
            server,
        }
    }

    /// Where it listens: any path there gets the same answer, so an issuer may be made up on it.
    pub fn address(&self) -> SocketAddr {
        self.server.address()
    }

    /// The key set's URL, for `JWKS_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Changes what later requests get.
    pub fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }

    /// How many requests arrived so far.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// The paths requested so far, in order: which document a client asked for.
    pub fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }

    /// Closes the port: later fetches are refused at connect.
    pub fn shut_down(&mut self) {
        self.server.stop();
    }
}

/// Answers one request as `behaviour` says, then closes the connection. Write errors are the
/// client's business: it may well hang up on a body it finds too large.
fn answer(mut stream: TcpStream, behaviour: Behaviour) {
    const CLOSE: (&str, &str) = ("connection", "close");
    let _ = match behaviour {
        Behaviour::Serve(body) => http::write_response(&mut stream, 200, &[CLOSE], body.as_bytes()),
        Behaviour::Status(status) => {
            http::write_response(&mut stream, status, &[CLOSE], b"unavailable")
        }
        Behaviour::Garbage => {
            http::write_response(&mut stream, 200, &[CLOSE], b"<html>not a key set</html>")
        }
        Behaviour::Slow(delay, body) => {
            thread::sleep(delay);
            http::write_response(&mut stream, 200, &[CLOSE], body.as_bytes())
        }
        Behaviour::Huge(size) => http::write_head(&mut stream, 200, &[CLOSE]).and_then(|()| {
            let block = [b' '; 64 * 1024];
            (0..size)
                .step_by(block.len())
                .try_for_each(|at| stream.write_all(&block[..block.len().min(size - at)]))
        }),
    };
}
