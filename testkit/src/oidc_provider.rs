//! OpenID Providers on loopback: `testkit/oidc-provider/provider.js`, which runs oidc-provider
//! (the certified OpenID Provider for Node.js, pinned in its `package-lock.json` and installed by
//! `scripts/bootstrap`), one instance per issuer, each with its own keys, discovery document and
//! real tokens.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use crate::keys::Key;
use crate::paths::root;

/// One issuer to run.
#[derive(Debug, Clone)]
pub struct IssuerSpec {
    /// The port, or 0 for a free one (a restart with other keys keeps the issuer's port).
    pub port: u16,
    /// Its signing keys, each under a key id; the first of the algorithm signs.
    pub keys: Vec<(Key, &'static str)>,
    /// The resource its access tokens are for: their `aud`.
    pub resource: &'static str,
    /// Also mint bob an access token for this other resource (`bob_access_other`).
    pub other_resource: Option<&'static str>,
}

impl IssuerSpec {
    /// An issuer on a free port signing with `key` under `kid` for `resource`.
    pub fn new(key: Key, kid: &'static str, resource: &'static str) -> Self {
        IssuerSpec {
            port: 0,
            keys: vec![(key, kid)],
            resource,
            other_resource: None,
        }
    }
}

/// A running issuer: where it is, and the tokens it issued.
#[derive(Debug, Clone)]
pub struct Issued {
    /// `http://127.0.0.1:<port>`: its `iss`, without a trailing slash.
    pub issuer: String,
    /// Its port.
    pub port: u16,
    /// `alice_access`, `bob_access` (client credentials, JWT access tokens for the resource;
    /// alice's carry `groups: ["admin"]`), `alice_id`, `bob_id` (ID tokens, `aud` the client:
    /// `alice` or `bob`), and `bob_access_other` when asked for.
    pub tokens: Value,
}

impl Issued {
    /// The token `name`.
    pub fn token(&self, name: &str) -> String {
        self.tokens[name]
            .as_str()
            .unwrap_or_else(|| panic!("no token {name}"))
            .to_owned()
    }
}

/// The provider process, stopped when dropped.
pub struct OidcProvider {
    child: Child,
    /// Keeps the process serving: it ends when its stdin closes.
    _stdin: ChildStdin,
    /// The issuers, in the order asked for.
    pub issuers: Vec<Issued>,
}

impl OidcProvider {
    /// Starts one provider per spec and waits (60 s at most) for their tokens.
    pub fn start(specs: &[IssuerSpec]) -> OidcProvider {
        let config = json!({"issuers": specs.iter().map(|spec| json!({
            "port": spec.port,
            "keys": spec.keys.iter().map(|(key, kid)| json!({
                "pem": key.pem_path(), "kid": kid, "alg": format!("{:?}", key.algorithm()),
            })).collect::<Vec<_>>(),
            "alg": format!("{:?}", spec.keys[0].0.algorithm()),
            "resource": spec.resource,
            "other_resource": spec.other_resource,
        })).collect::<Vec<_>>()});
        let dir = root().join("testkit/oidc-provider");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "testkit/oidc-provider/node_modules is missing: run scripts/bootstrap --tests first"
        );
        let mut child = Command::new("node")
            .current_dir(&dir)
            .arg("provider.js")
            .arg(config.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node runs (Node.js 20 or later)");
        let stdin = child.stdin.take().unwrap();
        let (lines, answer) = mpsc::channel();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if line.starts_with('{') {
                    let _ = lines.send(line);
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let (errors, said) = mpsc::channel();
        thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            let _ = errors.send(text);
        });
        let line = answer
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!(
                    "oidc-provider did not start:\n{}",
                    said.recv_timeout(Duration::from_secs(5))
                        .unwrap_or_default()
                )
            });
        let answer: Value = serde_json::from_str(&line).expect("provider.js prints JSON");
        let issuers = answer["issuers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|issued| Issued {
                issuer: issued["issuer"].as_str().unwrap().to_owned(),
                port: issued["port"].as_u64().unwrap() as u16,
                tokens: issued["tokens"].clone(),
            })
            .collect();
        OidcProvider {
            child,
            _stdin: stdin,
            issuers,
        }
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
