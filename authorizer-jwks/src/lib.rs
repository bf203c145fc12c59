//! Key sets (JWKS) for the authorizers that verify public-key signatures, in one place for all of
//! them: [`keyset`] fetches and reads a key set within strict limits, and [`cache`] keeps the keys
//! across the invocations of a container, refetching them on rotation at a bounded rate.
//!
//! A crate of its own, beside `authorizer-core`, so that only the functions that fetch keys
//! compile and ship an HTTP client and a cache.

#![warn(missing_docs)]

pub mod cache;
pub mod keyset;
