//! End to end against real tokens: moto's Cognito (a local stand-in that issues genuine RS256
//! tokens with the real AWS issuer) and the release `authorizer-cognito`.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use e2e_tests::{Function, outcome, release_binary, root, venv_tool};
use serde_json::{Value, json};

/// `moto_server` on a free loopback port, stopped when dropped.
struct Moto(Child, String);

impl Moto {
    fn start() -> Moto {
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
        Moto(child, format!("http://127.0.0.1:{port}"))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn event(token: &str, method: &str) -> String {
    let api = "arn:aws:execute-api:us-east-1:123456789012:petstore01/prod";
    json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": format!("{api}/{method}/pets")})
        .to_string()
}

/// Bob's token with his claims rewritten to make him an admin, his signature kept.
fn doctored(token: &str) -> String {
    let mut parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["cognito:groups"] = json!(["admin"]);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    parts[1] = &payload;
    parts.join(".")
}

#[test]
fn real_cognito_tokens_get_the_pet_store_rules() {
    let binary = release_binary("authorizer-cognito");
    let moto = Moto::start();
    let output = Command::new(venv_tool("python"))
        .arg(root().join("tests/moto_cognito.py"))
        .arg(&moto.1)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pool: Value = serde_json::from_slice(&output.stdout).unwrap();
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    let env = [
        ("USER_POOL_ID".to_owned(), text(&pool["pool"])),
        ("APP_CLIENT_IDS".to_owned(), text(&pool["client"])),
        ("JWKS_URL".to_owned(), text(&pool["jwks_url"])),
    ];
    let mut function = Function::start(&binary, &env);

    for kind in ["id", "access"] {
        let (alice, bob) = (text(&pool["alice"][kind]), text(&pool["bob"][kind]));
        let check = |function: &mut Function, token: &str, method, expected| {
            assert_eq!(
                outcome(&function.invoke(&event(token, method))),
                expected,
                "{kind} token, {method}"
            );
        };
        check(
            &mut function,
            &alice,
            "POST",
            "200 allows GET /pets, POST /pets",
        );
        check(
            &mut function,
            &alice,
            "GET",
            "200 allows GET /pets, POST /pets",
        );
        check(&mut function, &bob, "GET", "200 allows GET /pets");
        check(&mut function, &bob, "POST", "403 allows GET /pets");
        check(&mut function, &doctored(&bob), "POST", "401");
        check(
            &mut function,
            &text(&pool["bob_other_client"][kind]),
            "GET",
            "401",
        );
    }
    assert_eq!(
        outcome(&function.invoke(&event(&text(&pool["bob"]["refresh"]), "GET"))),
        "401"
    );
}
