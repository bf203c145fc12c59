//! The key cache: the pool's keys kept across invocations of a container.
//!
//! Keys are fetched once at cold start and then served from memory. They live in a `cached`
//! `TtlCache` whose time to live is the keys' maximum age, because its expired entries can still be
//! read: after the maximum age a key is refreshed, but if the refresh fails the old key keeps
//! serving. An unknown key id (a rotation) triggers a refetch, yet at most one per
//! `min_refetch_interval` — failed fetches included — so that a storm of forged key ids, or an
//! endpoint that is down, costs at most one fetch per interval. The refresh runs under an async
//! mutex: concurrent misses wait for the one fetch in flight and then read its result.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use authorizer_core::{AuthError, Fault, Rejection};
use cached::{Cached, CloneCached, TtlCache};
use jsonwebtoken::DecodingKey;
use tracing::{error, info};

use crate::keyset::{FetchError, KeySetSource, Keys};

/// How often keys may be fetched, and how long they are trusted without a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// `JWKS_MIN_REFETCH_SECONDS`: at most one fetch per this interval (default 10 s).
    pub min_refetch_interval: Duration,
    /// `JWKS_MAX_AGE_SECONDS`: keys older than this are refreshed on use (default 6 h).
    pub max_age: Duration,
}

/// What is known of the last fetch, guarded by the refresh mutex.
#[derive(Debug, Default)]
struct LastFetch {
    at: Option<Instant>,
    /// Why it failed, if it did: a key we cannot find may then be one we could not fetch.
    failure: Option<FetchError>,
}

/// The pool's keys, shared by every invocation of the container.
pub struct KeyCache {
    source: KeySetSource,
    policy: CachePolicy,
    keys: Mutex<TtlCache<String, Arc<DecodingKey>>>,
    last_fetch: tokio::sync::Mutex<LastFetch>,
    fetches: std::sync::atomic::AtomicU64,
}

/// A key as the cache holds it.
enum Lookup {
    Fresh(Arc<DecodingKey>),
    Stale(Arc<DecodingKey>),
    Missing,
}

impl KeyCache {
    /// An empty cache; call [`KeyCache::prefetch`] at cold start.
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

    /// How many fetches were attempted: what the tests and the logs count.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The key with id `kid`: from memory when fresh, else after at most one refetch.
    pub async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, AuthError> {
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
                // A fresh key set without this key: the pool does not (or no longer) sign with it.
                return Err(Rejection::UnknownKeyId.into());
            }
        }
        match (stale, &last_fetch.failure) {
            (Some(key), _) => Ok(key),
            (None, Some(failure)) => Err(Fault::KeysUnavailable(failure.to_string()).into()),
            (None, None) => Err(Rejection::UnknownKeyId.into()),
        }
    }

    fn keys(&self) -> MutexGuard<'_, TtlCache<String, Arc<DecodingKey>>> {
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
    /// (a key the pool removed is forgotten); on failure the old keys stay.
    async fn fetch(&self, last_fetch: &mut LastFetch) {
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        last_fetch.at = Some(Instant::now());
        match self.source.fetch().await {
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
