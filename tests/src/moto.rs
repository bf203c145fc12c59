//! moto's server on loopback: a local stand-in for Amazon Cognito and AWS Secrets Manager.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{root, venv_tool};

/// `moto_server` on a free loopback port, stopped when dropped.
pub struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    /// Starts the server and waits until it accepts connections.
    pub fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(venv_tool("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// `http://127.0.0.1:<port>`, for endpoint overrides.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Stores `secret` in this server's Secrets Manager and returns its ARN.
    pub fn create_secret(&self, secret: &str) -> String {
        self.run_script("moto_secret.py", &[secret])
            .trim()
            .to_owned()
    }

    /// What authorizer-hs256 needs to read the secret `arn` from this server at cold start.
    pub fn secret_env(&self, arn: &str) -> Vec<(String, String)> {
        [
            ("JWT_SECRET_ARN", arn),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_SESSION_TOKEN", "testing"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec()
    }

    /// Runs a Python script of `tests/` against this server (its endpoint is the first argument)
    /// and returns what it printed.
    pub fn run_script(&self, script: &str, args: &[&str]) -> String {
        let output = Command::new(venv_tool("python"))
            .arg(root().join("tests").join(script))
            .arg(&self.endpoint)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
