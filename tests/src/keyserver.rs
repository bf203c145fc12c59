//! A key-set (JWKS) endpoint on loopback whose behaviour the test sets: a key set, an error
//! status, garbage, a slow answer, a multi-megabyte answer, or no server at all. It counts fetches.

use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use tiny_http::{Response, Server, StatusCode};

/// What the endpoint answers.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// `200` with this body.
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
    stop: Arc<AtomicBool>,
    server: Option<Arc<Server>>,
}

impl KeyServer {
    /// Starts serving on a free loopback port.
    pub fn start(behaviour: Behaviour) -> KeyServer {
        let server = Arc::new(Server::http("127.0.0.1:0").expect("bind loopback"));
        let url = format!("http://{}/jwks.json", server.server_addr().to_ip().unwrap());
        let behaviour = Arc::new(Mutex::new(behaviour));
        let fetches = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (listener, state, count, stopping) = (
            server.clone(),
            behaviour.clone(),
            fetches.clone(),
            stop.clone(),
        );
        thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                let Ok(Some(request)) = listener.recv_timeout(Duration::from_millis(20)) else {
                    continue;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let behaviour = state.lock().unwrap().clone();
                thread::spawn(move || answer(request, behaviour));
            }
        });
        KeyServer {
            url,
            behaviour,
            fetches,
            stop,
            server: Some(server),
        }
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

    /// Closes the port: later fetches are refused at connect.
    pub fn shut_down(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(server) = self.server.take() {
            server.unblock();
        }
        thread::sleep(Duration::from_millis(100));
    }
}

impl Drop for KeyServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn answer(request: tiny_http::Request, behaviour: Behaviour) {
    let _ = match behaviour {
        Behaviour::Serve(body) => request.respond(Response::from_string(body)),
        Behaviour::Status(status) => {
            request.respond(Response::from_string("unavailable").with_status_code(status))
        }
        Behaviour::Garbage => request.respond(Response::from_string("<html>not a key set</html>")),
        Behaviour::Slow(delay, body) => {
            thread::sleep(delay);
            request.respond(Response::from_string(body))
        }
        Behaviour::Huge(size) => {
            let body = std::io::repeat(b' ').take(size as u64);
            request.respond(Response::new(StatusCode(200), Vec::new(), body, None, None))
        }
    };
}

/// A JWKS document holding these JWKs (JSON texts).
pub fn key_set(jwks: &[&str]) -> String {
    format!("{{\"keys\": [{}]}}", jwks.join(","))
}
