//! moto's server on loopback: a local stand-in for AWS Secrets Manager and Amazon Cognito, set up
//! through `testkit/moto.py`.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::paths::{root, venv_tool};

/// How a sample folder's `env` file names a secret: `VAR=secretsmanager:<file>`.
pub const SECRET: &str = "secretsmanager:";

/// `env` with each `secretsmanager:<path>` value replaced by a secret holding that file, in a
/// moto started for them (returned, to be kept while the settings are in use), and with the
/// settings that reach it. `env` as it is, and no moto, when no value names a secret.
pub fn with_local_secrets(env: &[(String, String)]) -> (Vec<(String, String)>, Option<Moto>) {
    let named: Vec<(&String, &str)> = env
        .iter()
        .filter_map(|(var, value)| Some((var, value.strip_prefix(SECRET)?)))
        .collect();
    if named.is_empty() {
        return (env.to_vec(), None);
    }
    let moto = Moto::start();
    let mut resolved: Vec<(String, String)> = env
        .iter()
        .filter(|(_, value)| !value.starts_with(SECRET))
        .cloned()
        .collect();
    for (var, file) in named {
        let value = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let arn = moto.create_secret(&format!("sample/{}", var.to_lowercase()), value.trim());
        for setting in moto.secret_env(var, &arn) {
            if !resolved.contains(&setting) {
                resolved.push(setting);
            }
        }
    }
    (resolved, Some(moto))
}

/// `moto_server` on a free loopback port, stopped when dropped.
pub struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    /// Starts the server and waits (30 s at most) until it accepts connections.
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

    /// Stores `secret` in this server's Secrets Manager under `name` and returns its ARN.
    pub fn create_secret(&self, name: &str, secret: &str) -> String {
        self.set_up(&["secret", name, secret]).trim().to_owned()
    }

    /// What a function needs to read the secret `arn` named by the variable `var` from this
    /// server at cold start.
    pub fn secret_env(&self, var: &str, arn: &str) -> Vec<(String, String)> {
        crate::env::owned(&[
            (var, arn),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_SESSION_TOKEN", "testing"),
        ])
    }

    /// Creates a pet store's user pool in this server's Cognito and signs its users in. The
    /// answer holds `pool`, `client` (the pet store's app client id) and `jwks_url`; then under
    /// `alice` (an admin), `bob`, and `bob_other_client` (bob signed in to another app client)
    /// the tokens `id`, `access` and `refresh`.
    pub fn cognito_pool(&self) -> Value {
        serde_json::from_str(&self.set_up(&["cognito"])).expect("moto.py prints JSON")
    }

    /// Runs `testkit/moto.py` against this server and returns what it printed.
    fn set_up(&self, args: &[&str]) -> String {
        let output = Command::new(venv_tool("python"))
            .arg(root().join("testkit/moto.py"))
            .arg(&self.endpoint)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "moto.py {args:?}: {}",
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
