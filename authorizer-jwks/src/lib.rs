//! Key sets (JWKS) for the authorizers that verify public-key signatures, in one place for all of
//! them: [`keyset`] fetches and reads a key set within strict limits, from a URL, a file, or the
//! URL an issuer's OpenID Connect [`discovery`] document names; [`cache`] keeps the keys across
//! the invocations of a container — seeded from a shipped file or fetched at cold start — and
//! refetches them on rotation at a bounded rate.
//!
//! A crate of its own, beside `authorizer-core`, so that only the functions that fetch keys
//! compile and ship an HTTP client and a cache.

#![warn(missing_docs)]

pub mod cache;
pub mod discovery;
pub mod keyset;
