//! Mints HS256 tokens offline, for trying the authorizer and for its sample events.
//!
//! `cargo run -p xtask --bin mint-token -- --sub alice --groups admin --ttl 1h`
//! prints a token signed with `JWT_SECRET` (or `--secret`). Flags exist to make the tokens the
//! authorizer must refuse, too: other algorithms, issue times in the past or future, missing claims.
//! `--bind-certificate client.pem` binds the token to a client certificate (RFC 8705's
//! `cnf.x5t#S256`), for APIs behind mutual TLS.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use authorizer_core::binding::thumbprint;
use clap::Parser;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    about = "Mint an HS256 token for the authorizer (offline)",
    args_override_self = true
)]
struct Args {
    /// The subject: the policy's principalId.
    #[arg(long)]
    sub: String,
    /// Groups, comma-separated, as a JSON array in the `groups` claim.
    #[arg(long, value_delimiter = ',')]
    groups: Vec<String>,
    /// OAuth scopes, space-separated, in the `scope` claim.
    #[arg(long)]
    scope: Option<String>,
    /// Lifetime: a number with s, m, h, d or y (365 days).
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    ttl: u64,
    /// `iss` claim.
    #[arg(long)]
    iss: Option<String>,
    /// `aud` claim; several (comma-separated) make it an array.
    #[arg(long, value_delimiter = ',')]
    aud: Vec<String>,
    /// `username` claim.
    #[arg(long)]
    username: Option<String>,
    /// `email` claim.
    #[arg(long)]
    email: Option<String>,
    /// Issue time (`iat`), as Unix seconds; now by default.
    #[arg(long)]
    at: Option<u64>,
    /// Also set `nbf` to the issue time.
    #[arg(long)]
    nbf: bool,
    /// Any other claim, as `NAME=VALUE` with VALUE in JSON (`email_verified=true`,
    /// `roles=["vet"]`) or else taken as a string; repeatable.
    #[arg(long = "claim", value_parser = parse_claim)]
    claims: Vec<(String, Value)>,
    /// Bind the token to this client certificate (a PEM file): `cnf` holds its SHA-256
    /// thumbprint (`x5t#S256`), so that it is accepted only over mutual TLS with that certificate.
    #[arg(long, value_name = "PEM_FILE")]
    bind_certificate: Option<std::path::PathBuf>,
    /// Leave these claims out (e.g. `exp`, `sub`), comma-separated.
    #[arg(long, value_delimiter = ',')]
    omit: Vec<String>,
    /// Signing algorithm: HS256, or HS384 / HS512 to make tokens the authorizer refuses.
    #[arg(long, default_value = "HS256")]
    alg: Algorithm,
    /// The secret; `JWT_SECRET` from the environment by default.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    secret: String,
}

/// `NAME=VALUE`: the value as JSON when it reads as JSON, else as a string.
fn parse_claim(text: &str) -> Result<(String, Value), String> {
    let (name, value) = text
        .split_once('=')
        .filter(|(name, _)| !name.is_empty())
        .ok_or_else(|| format!("{text:?}: expected NAME=VALUE"))?;
    let value = serde_json::from_str(value).unwrap_or_else(|_| json!(value));
    Ok((name.to_owned(), value))
}

/// `90s`, `15m`, `1h`, `30d`, `100y` → seconds.
fn parse_duration(text: &str) -> Result<u64, String> {
    let split = text.len().saturating_sub(1);
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: expected a number followed by s, m, h, d or y"))?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "y" => 365 * 86_400,
        _ => return Err(format!("{text:?}: the unit must be s, m, h, d or y")),
    };
    number
        .checked_mul(unit)
        .ok_or_else(|| format!("{text:?} is too long"))
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let iat = args.at.unwrap_or(now);

    // Sorted by name whatever serde_json's features (cedar-policy turns on its `preserve_order`),
    // so that regenerating the sample events changes nothing.
    let mut claims = BTreeMap::new();
    claims.insert("sub".into(), json!(args.sub));
    claims.insert("iat".into(), json!(iat));
    claims.insert("exp".into(), json!(iat + args.ttl));
    if args.nbf {
        claims.insert("nbf".into(), json!(iat));
    }
    if !args.groups.is_empty() {
        claims.insert("groups".into(), json!(args.groups));
    }
    let optional = [
        ("scope", args.scope),
        ("iss", args.iss),
        ("username", args.username),
        ("email", args.email),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            claims.insert(name.into(), json!(value));
        }
    }
    if let Some(path) = &args.bind_certificate {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| format!("--bind-certificate {}: {e}", path.display()))?;
        let thumbprint =
            thumbprint(&pem).map_err(|e| format!("--bind-certificate {}: {e}", path.display()))?;
        claims.insert("cnf".into(), json!({"x5t#S256": thumbprint}));
    }
    claims.extend(args.claims);
    match args.aud.as_slice() {
        [] => {}
        [one] => {
            claims.insert("aud".into(), json!(one));
        }
        many => {
            claims.insert("aud".into(), json!(many));
        }
    }
    for name in &args.omit {
        claims.remove(name);
    }

    let token = encode(
        &Header::new(args.alg),
        &claims,
        &EncodingKey::from_secret(args.secret.as_bytes()),
    )
    .map_err(|e| format!("cannot sign: {e}"))?;
    println!("{token}");
    Ok(())
}
