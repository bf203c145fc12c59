//! The test keys of `testkit/keys/` and key sets (JWKS documents) made of them.
//!
//! `ours` plays the user pool's signing key, `stranger` someone else's; `ec` and `ed` sign for
//! issuers using ES256 and EdDSA; `ec384` (ES384) and `rsa4096` (RS256 with a 4096-bit key) time
//! those signature checks in the benchmarks. They are compiled in, so
//! that a test, a benchmark or a fuzz target needs no path to find them. They protect nothing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use jsonwebtoken::{Algorithm, EncodingKey};

/// One of the test key pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The pool's key: tokens it signs are genuine (its JWK's `kid` is `ours-key`).
    Ours,
    /// Someone else's key, for forgeries and rotations (its JWK's `kid` is `stranger-key`).
    Stranger,
    /// A P-256 key for ES256 (its JWK's `kid` is `ours-ec-key`).
    Ec,
    /// An Ed25519 key for EdDSA (its JWK's `kid` is `ours-ed-key`).
    Ed,
    /// A P-384 key for ES384 (its JWK's `kid` is `ours-ec384-key`).
    Ec384,
    /// A 4096-bit RSA key for RS256 (its JWK's `kid` is `ours-rsa4096-key`).
    Rsa4096,
}

impl Key {
    /// The private key, PEM-encoded.
    pub fn pem(self) -> &'static [u8] {
        match self {
            Key::Ours => include_bytes!("../keys/ours.pem"),
            Key::Stranger => include_bytes!("../keys/stranger.pem"),
            Key::Ec => include_bytes!("../keys/ec.pem"),
            Key::Ed => include_bytes!("../keys/ed.pem"),
            Key::Ec384 => include_bytes!("../keys/ec384.pem"),
            Key::Rsa4096 => include_bytes!("../keys/rsa4096.pem"),
        }
    }

    /// Where the private key's PEM file is, for tools that read it (the OpenID Provider).
    pub fn pem_path(self) -> PathBuf {
        let name = match self {
            Key::Ours => "ours",
            Key::Stranger => "stranger",
            Key::Ec => "ec",
            Key::Ed => "ed",
            Key::Ec384 => "ec384",
            Key::Rsa4096 => "rsa4096",
        };
        crate::paths::root().join(format!("testkit/keys/{name}.pem"))
    }

    /// The public key as a JWK (JSON text), as a key set lists it.
    pub fn jwk(self) -> &'static str {
        match self {
            Key::Ours => include_str!("../keys/ours.jwk.json"),
            Key::Stranger => include_str!("../keys/stranger.jwk.json"),
            Key::Ec => include_str!("../keys/ec.jwk.json"),
            Key::Ed => include_str!("../keys/ed.jwk.json"),
            Key::Ec384 => include_str!("../keys/ec384.jwk.json"),
            Key::Rsa4096 => include_str!("../keys/rsa4096.jwk.json"),
        }
    }

    /// The algorithm its JWK names: what it signs with.
    pub fn algorithm(self) -> Algorithm {
        match self {
            Key::Ours | Key::Stranger | Key::Rsa4096 => Algorithm::RS256,
            Key::Ec => Algorithm::ES256,
            Key::Ec384 => Algorithm::ES384,
            Key::Ed => Algorithm::EdDSA,
        }
    }

    /// The private key, ready to sign with.
    pub fn encoding_key(self) -> EncodingKey {
        match self {
            Key::Ours | Key::Stranger | Key::Rsa4096 => EncodingKey::from_rsa_pem(self.pem()),
            Key::Ec | Key::Ec384 => EncodingKey::from_ec_pem(self.pem()),
            Key::Ed => EncodingKey::from_ed_pem(self.pem()),
        }
        .expect("the test keys are valid PEM")
    }
}

/// A key set (`{"keys": [...]}`) publishing the public halves of `keys`.
pub fn key_set(keys: &[Key]) -> String {
    let jwks: Vec<&str> = keys.iter().map(|key| key.jwk()).collect();
    format!("{{\"keys\": [{}]}}", jwks.join(","))
}

/// Writes [`key_set`] of `keys` to a file of its own in the temporary directory and returns its
/// path: a key set to read without a network.
pub fn key_set_file(keys: &[Key]) -> PathBuf {
    static WRITTEN: AtomicUsize = AtomicUsize::new(0);
    let n = WRITTEN.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("testkit-jwks-{}-{n}.json", std::process::id()));
    std::fs::write(&path, key_set(keys)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

/// The `file://` URL of `path`, the form `JWKS_URL` takes for a local key set.
pub fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A client certificate of `testkit/keys/`, for certificate-bound tokens (RFC 8705).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Certificate {
    /// Its PEM text, as API Gateway passes it (`clientCertPem`).
    pub pem: &'static str,
    /// The base64url SHA-256 of its DER, as OpenSSL computed it: what `cnf.x5t#S256` holds.
    pub thumbprint: &'static str,
}

/// The certificate a bound token's holder presents.
pub const ALICE_CERTIFICATE: Certificate = Certificate {
    pem: include_str!("../keys/alice.pem"),
    thumbprint: "nPVYv771Wd0VEExAUVaZoxrtk3cH3v8z0K5nPdPzjWg",
};

/// Someone else's certificate, presented with a token stolen from Alice.
pub const MALLORY_CERTIFICATE: Certificate = Certificate {
    pem: include_str!("../keys/mallory.pem"),
    thumbprint: "XpWOa8kIhUHEGbYbDyS1BMbnhZpT7SD1f-jR2EHwmMM",
};
