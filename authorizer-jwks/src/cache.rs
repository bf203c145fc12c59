//! The key cache: an issuer's keys kept across invocations of a container.
//!
//! Keys are fetched once at cold start — or read from a key set shipped with the function, which
//! needs no network — and then served from memory. They live in a `cached`
//! `TtlCache` whose time to live is the keys' maximum age, because its expired entries can still be
//! read: after the maximum age a key is refreshed, but if the refresh fails the old key keeps
//! serving. An unknown key id (a rotation) triggers a refetch, yet at most one per
//! `min_refetch_interval` — failed fetches included — so that a storm of forged key ids, or an
//! endpoint that is down, costs at most one fetch per interval. The refresh runs under an async
//! mutex: concurrent misses wait for the one fetch in flight and then read its result.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use authorizer_core::config::{Env, Var};
use authorizer_core::{AuthError, Fault, InitError, Rejection};
use cached::{Cached, CloneCached, TtlCache};
use tracing::{error, info};

use crate::keyset::{FetchError, KeySetSource, Keys, KeysOfId, VerifyingKey, for_algorithm};
use jsonwebtoken::Algorithm;

authorizer_core::variables! {
    /// The key cache's settings, read the same way by every function that fetches keys.
    VARIABLES {
        /// at most one key-set fetch per this interval, failed fetches included; 1 to 3600
        JWKS_MIN_REFETCH_SECONDS = Value("10");

        /// keys older than this (default 6 h) are refreshed on use; the old ones keep serving if the
        /// refresh fails; 1 to 604800
        JWKS_MAX_AGE_SECONDS = Value("21600");
    }
}

/// Every variable a function that fetches keys reads, in the groups the README documents: the
/// logs', the metrics', the shared settings, its `own`, the key cache's and Secrets Manager's.
pub const fn function_variables(own: &'static [Var]) -> [&'static [Var]; 6] {
    use authorizer_core::{config, logging, metrics, secrets};
    [
        logging::VARIABLES,
        metrics::VARIABLES,
        config::SHARED,
        own,
        VARIABLES,
        secrets::VARIABLES,
    ]
}

/// How often keys may be fetched, and how long they are trusted without a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// `JWKS_MIN_REFETCH_SECONDS`: at most one fetch per this interval (default 10 s).
    pub min_refetch_interval: Duration,
    /// `JWKS_MAX_AGE_SECONDS`: keys older than this are refreshed on use (default 6 h).
    pub max_age: Duration,
}

impl CachePolicy {
    /// Reads [`VARIABLES`].
    pub fn from_env(env: &Env) -> Result<Self, InitError> {
        let seconds = |var: &Var, max: u64| -> Result<Duration, InitError> {
            let seconds = env
                .seconds(var, 1..=max)?
                .expect("the cache settings have defaults");
            Ok(Duration::from_secs(seconds))
        };
        Ok(CachePolicy {
            min_refetch_interval: seconds(&JWKS_MIN_REFETCH_SECONDS, 3600)?,
            max_age: seconds(&JWKS_MAX_AGE_SECONDS, 7 * 86_400)?,
        })
    }
}

/// What is known of the last fetch, guarded by the refresh mutex.
#[derive(Debug, Default)]
struct LastFetch {
    at: Option<Instant>,
    /// Why it failed, if it did: a key we cannot find may then be one we could not fetch.
    failure: Option<FetchError>,
}

/// An issuer's keys, shared by every invocation of the container.
pub struct KeyCache {
    source: KeySetSource,
    policy: CachePolicy,
    keys: Mutex<TtlCache<String, KeysOfId>>,
    last_fetch: tokio::sync::Mutex<LastFetch>,
    fetches: std::sync::atomic::AtomicU64,
}

/// A key as the cache holds it.
enum Lookup {
    Fresh(KeysOfId),
    Stale(KeysOfId),
    Missing,
}

impl KeyCache {
    /// An empty cache; call [`KeyCache::preload`] or [`KeyCache::prefetch`] at cold start.
    pub fn new(source: KeySetSource, policy: CachePolicy) -> Self {
        KeyCache {
            source,
            policy,
            keys: Mutex::new(TtlCache::new(policy.max_age)),
            last_fetch: tokio::sync::Mutex::new(LastFetch::default()),
            fetches: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Fetches the keys during init so that the first request does not pay for it. A failure is
    /// logged, not fatal: the function serves 500s until the endpoint recovers, then recovers too.
    pub async fn prefetch(&self) {
        let mut last_fetch = self.last_fetch.lock().await;
        self.fetch(&mut last_fetch).await;
    }

    /// Seeds the cache at cold start with the key set shipped with the function at `path` (see
    /// [`KeySetSource::read_shipped`]): no fetch, so a function without network egress serves
    /// these keys. The source is fetched only for a key id they lack (a rotation), or once they
    /// are older than the maximum age.
    pub fn preload(&self, path: &std::path::Path) -> Result<(), FetchError> {
        let keys = self.source.read_shipped(path)?;
        info!(keys = keys.len(), path = %path.display(), "preloaded the key set");
        self.replace(keys);
        Ok(())
    }

    /// The source keys are fetched from.
    pub fn source(&self) -> &KeySetSource {
        &self.source
    }

    /// How many fetches were attempted: what the tests and the logs count.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The key with id `kid` that may verify `algorithm` (the token's `alg`): from memory when
    /// fresh, else after at most one refetch. A key id whose keys are all of other algorithms is
    /// a [`Rejection::WrongAlgorithm`].
    pub async fn key(
        &self,
        kid: &str,
        algorithm: Algorithm,
    ) -> Result<Arc<VerifyingKey>, AuthError> {
        let keys = self.keys_of(kid).await?;
        for_algorithm(&keys, algorithm).ok_or_else(|| Rejection::WrongAlgorithm.into())
    }

    /// The keys with id `kid`: from memory when fresh, else after at most one refetch.
    async fn keys_of(&self, kid: &str) -> Result<KeysOfId, AuthError> {
        if let Lookup::Fresh(key) = self.lookup(kid) {
            return Ok(key);
        }
        let mut last_fetch = self.last_fetch.lock().await;
        // While we waited, another request may have fetched what we need.
        let stale = match self.lookup(kid) {
            Lookup::Fresh(key) => return Ok(key),
            Lookup::Stale(key) => Some(key),
            Lookup::Missing => None,
        };
        let too_soon = last_fetch
            .at
            .is_some_and(|at| at.elapsed() < self.policy.min_refetch_interval);
        if !too_soon {
            self.fetch(&mut last_fetch).await;
            if let Lookup::Fresh(key) = self.lookup(kid) {
                return Ok(key);
            }
            if last_fetch.failure.is_none() {
                // A fresh key set without this key: the issuer does not (or no longer) sign with it.
                return Err(Rejection::UnknownKeyId.into());
            }
        }
        match (stale, &last_fetch.failure) {
            (Some(key), _) => Ok(key),
            (None, Some(failure)) => Err(Fault::KeysUnavailable(failure.to_string()).into()),
            (None, None) => Err(Rejection::UnknownKeyId.into()),
        }
    }

    fn keys(&self) -> MutexGuard<'_, TtlCache<String, KeysOfId>> {
        // A panic while holding this lock cannot leave the map half-written; keep serving.
        self.keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lookup(&self, kid: &str) -> Lookup {
        match self.keys().cache_peek_with_expiry_status(kid) {
            (Some(key), false) => Lookup::Fresh(key),
            (Some(key), true) => Lookup::Stale(key),
            (None, _) => Lookup::Missing,
        }
    }

    /// One fetch; the caller holds the refresh mutex. On success the key set replaces the old one
    /// (a key the issuer removed is forgotten); on failure the old keys stay.
    async fn fetch(&self, last_fetch: &mut LastFetch) {
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let started = Instant::now();
        last_fetch.at = Some(started);
        let fetched = self.source.fetch().await;
        authorizer_core::metrics::key_set_fetch(fetched.is_ok(), started.elapsed());
        match fetched {
            Ok(fetched) => {
                info!(
                    keys = fetched.len(),
                    url = self.source.url(),
                    "fetched the key set"
                );
                self.replace(fetched);
                last_fetch.failure = None;
            }
            Err(failure) => {
                error!(reason = "keys_unavailable", detail = %failure, url = self.source.url(), "could not fetch the key set");
                last_fetch.failure = Some(failure);
            }
        }
    }

    fn replace(&self, fetched: Keys) {
        let mut keys = self.keys();
        keys.cache_clear();
        for (kid, key) in fetched {
            keys.cache_set(kid, key);
        }
    }
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("url", &self.source.url())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyset::FetchLimits;

    const N: &str = "u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw";

    fn key_set(kids: &[&str]) -> String {
        let keys: Vec<String> = kids
            .iter()
            .map(|kid| format!(r#"{{"kty": "RSA", "kid": "{kid}", "n": "{N}", "e": "AQAB"}}"#))
            .collect();
        format!(r#"{{"keys": [{}]}}"#, keys.join(","))
    }

    fn policy() -> CachePolicy {
        CachePolicy {
            min_refetch_interval: Duration::from_secs(3600),
            max_age: Duration::from_secs(3600),
        }
    }

    #[tokio::test]
    async fn preloaded_keys_serve_without_a_fetch_and_an_unknown_kid_fetches_once() {
        let file = |name: &str, kids: &[&str]| {
            let path = std::env::temp_dir().join(format!("{name}-{}.json", std::process::id()));
            std::fs::write(&path, key_set(kids)).unwrap();
            path
        };
        let (path, shipped) = (
            file("fetched", &["shipped", "rotated"]),
            file("shipped", &["shipped"]),
        );
        let source = KeySetSource::file(path.clone(), FetchLimits::default(), &[Algorithm::RS256]);
        let cache = KeyCache::new(source, policy());
        cache.preload(&shipped).unwrap();
        assert!(matches!(
            cache.preload(&file("useless", &[])),
            Err(FetchError::NoUsableKey(_))
        ));
        assert!(cache.key("shipped", Algorithm::RS256).await.is_ok());
        assert_eq!(cache.fetch_count(), 0, "a preloaded key needs no fetch");
        assert_eq!(
            cache.key("shipped", Algorithm::ES256).await.unwrap_err(),
            AuthError::Rejected(Rejection::WrongAlgorithm),
            "a known kid of another algorithm"
        );
        assert_eq!(cache.fetch_count(), 0, "is refused without a fetch");
        assert!(cache.key("rotated", Algorithm::RS256).await.is_ok());
        assert_eq!(cache.fetch_count(), 1, "a rotation is one fetch");
        assert_eq!(
            cache.key("unknown", Algorithm::RS256).await.unwrap_err(),
            AuthError::Rejected(Rejection::UnknownKeyId)
        );
        assert_eq!(cache.fetch_count(), 1, "then none within the interval");
        std::fs::remove_file(path).unwrap();
        std::fs::remove_file(shipped).unwrap();
    }

    #[tokio::test]
    async fn a_key_that_cannot_be_had_is_a_fault_not_a_rejection() {
        let source = KeySetSource::file(
            "/no/such/jwks.json".into(),
            FetchLimits::default(),
            &[Algorithm::RS256],
        );
        let cache = KeyCache::new(source, policy());
        cache.prefetch().await;
        assert!(matches!(
            cache.key("any", Algorithm::RS256).await,
            Err(AuthError::Fault(Fault::KeysUnavailable(_)))
        ));
    }

    #[test]
    fn the_policy_names_the_variable_at_fault() {
        let lookup = |name: &str| (name == "JWKS_MAX_AGE_SECONDS").then(|| "0".to_owned());
        let error = CachePolicy::from_env(&Env::new(&lookup)).unwrap_err();
        assert!(
            error.to_string().starts_with("JWKS_MAX_AGE_SECONDS"),
            "{error}"
        );
        let defaults = CachePolicy::from_env(&Env::new(&|_| None)).unwrap();
        assert_eq!(defaults.min_refetch_interval, Duration::from_secs(10));
        assert_eq!(defaults.max_age, Duration::from_secs(6 * 3600));
    }
}
