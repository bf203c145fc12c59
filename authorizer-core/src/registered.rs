//! The registered claims' checks of a [`Validation`] (`exp`, `nbf`, `sub`, `iss`, `aud` and the
//! required ones), for tokens whose signature [`crate::jwt::decode_with`] checked itself with a
//! key parsed once, so without `jsonwebtoken::decode`, which does not offer its checks alone.
//!
//! The decisions and their errors are `jsonwebtoken`'s, so that [`crate::jwt`] turns them into the
//! same [`crate::Rejection`]s whichever path a token took: `jwt`'s differential tests hold this
//! module to `jsonwebtoken::decode` token by token. What they agree on, in order:
//! - a payload naming a registered claim twice, or whose `exp`, `nbf` or `sub` is a list or an
//!   object, is not read at all (a malformed token);
//! - a required claim that is absent, `null` or of the wrong type is missing;
//! - with `exp` (or `nbf`) checked, one that is there but not a time is a bad claim; a time is a
//!   non-negative integer, or a finite non-negative number, rounded;
//! - `exp` before `reject_tokens_expiring_in_less_than` is an invalid token; `exp` (less that
//!   margin) before now less the leeway, expired; `nbf` after now plus the leeway, not yet valid;
//! - a `sub` other than the one required; an `iss`, or an `aud`, outside the accepted ones (for a
//!   list: sharing none with them); with the audience checked, any `aud` when none is accepted.

use std::collections::HashSet;
use std::fmt;

use jsonwebtoken::Validation;
use jsonwebtoken::errors::{Error, ErrorKind};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// The claims `jsonwebtoken` reads into named fields, which a payload may therefore name once.
const REGISTERED: [&str; 5] = ["exp", "nbf", "sub", "iss", "aud"];

/// Reads `payload` into its claims, in one pass, and checks the registered ones against
/// `validation`, as `jsonwebtoken::decode` does once the signature has verified.
pub(crate) fn read(payload: &[u8], validation: &Validation) -> Result<Map<String, Value>, Error> {
    let claims = serde_json::from_slice::<Claims>(payload)?.0;
    let claim = |name| claims.get(name);
    // `jsonwebtoken` reads `exp`, `nbf` and `sub` in place: a list or an object there stops its
    // reading of the payload, which makes the token malformed rather than the claim unreadable.
    let nested = |claim: Option<&Value>| matches!(claim, Some(Value::Array(_) | Value::Object(_)));
    if ["exp", "nbf", "sub"].into_iter().map(claim).any(nested) {
        let error = <serde_json::Error as de::Error>::custom("a list or an object in place");
        return Err(error.into());
    }
    Registered::of(&claims).check(validation, jsonwebtoken::get_current_timestamp())?;
    Ok(claims)
}

/// A payload's claims, the last of a name kept, as `serde_json` reads a map; but a payload
/// naming a registered claim twice is refused, as `jsonwebtoken`'s named fields refuse it.
struct Claims(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for Claims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ClaimsVisitor)
    }
}

struct ClaimsVisitor;

impl<'de> Visitor<'de> for ClaimsVisitor {
    type Value = Claims;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Claims, A::Error> {
        let mut claims = Map::new();
        while let Some(name) = members.next_key::<String>()? {
            let value = members.next_value::<Value>()?;
            if let Some(registered) = REGISTERED.iter().find(|r| **r == name)
                && claims.contains_key(&name)
            {
                return Err(de::Error::duplicate_field(registered));
            }
            claims.insert(name, value);
        }
        Ok(Claims(claims))
    }
}

/// A registered claim: absent (or `null`), there but not of its type, or read.
#[derive(Debug, PartialEq)]
enum Claim<T> {
    Absent,
    Unreadable,
    Read(T),
}

impl<'a, T> Claim<T> {
    /// `value` read with `read`, which says `None` for a value not of the claim's type: for a
    /// time, `null` is one, there but unreadable.
    fn of(value: Option<&'a Value>, read: impl FnOnce(&'a Value) -> Option<T>) -> Self {
        match value {
            None => Claim::Absent,
            Some(value) => read(value).map_or(Claim::Unreadable, Claim::Read),
        }
    }

    /// As [`Claim::of`], `null` being absent: `sub`, `iss` and `aud`.
    fn nullable(value: Option<&'a Value>, read: impl FnOnce(&'a Value) -> Option<T>) -> Self {
        match value {
            Some(Value::Null) => Claim::Absent,
            value => Claim::of(value, read),
        }
    }

    fn is_read(&self) -> bool {
        matches!(self, Claim::Read(_))
    }
}

/// The registered claims, each read as its type.
struct Registered<'a> {
    exp: Claim<u64>,
    nbf: Claim<u64>,
    sub: Claim<&'a str>,
    iss: Claim<Vec<&'a str>>,
    aud: Claim<Vec<&'a str>>,
}

impl<'a> Registered<'a> {
    /// The registered claims among `claims`.
    fn of(claims: &'a Map<String, Value>) -> Self {
        let claim = |name| claims.get(name);
        Registered {
            exp: Claim::of(claim("exp"), time),
            nbf: Claim::of(claim("nbf"), time),
            sub: Claim::nullable(claim("sub"), Value::as_str),
            iss: Claim::nullable(claim("iss"), strings),
            aud: Claim::nullable(claim("aud"), strings),
        }
    }

    /// The checks of `validation` at `now` (seconds since the epoch), in `jsonwebtoken`'s order.
    fn check(self, validation: &Validation, now: u64) -> Result<(), Error> {
        let fail = |kind: ErrorKind| Err(Error::from(kind));
        for claim in &validation.required_spec_claims {
            let read = match claim.as_str() {
                "exp" => self.exp.is_read(),
                "nbf" => self.nbf.is_read(),
                "sub" => self.sub.is_read(),
                "iss" => self.iss.is_read(),
                "aud" => self.aud.is_read(),
                _ => true,
            };
            if !read {
                return fail(ErrorKind::MissingRequiredClaim(claim.clone()));
            }
        }

        if validation.validate_exp || validation.validate_nbf {
            if validation.validate_exp && self.exp == Claim::Unreadable {
                return fail(ErrorKind::InvalidClaimFormat("exp".into()));
            }
            if validation.validate_nbf && self.nbf == Claim::Unreadable {
                return fail(ErrorKind::InvalidClaimFormat("nbf".into()));
            }
            let margin = validation.reject_tokens_expiring_in_less_than;
            if let Claim::Read(exp) = self.exp {
                if exp < margin {
                    return fail(ErrorKind::InvalidToken);
                }
                if validation.validate_exp && exp - margin < now.saturating_sub(validation.leeway) {
                    return fail(ErrorKind::ExpiredSignature);
                }
            }
            if let Claim::Read(nbf) = self.nbf
                && validation.validate_nbf
                && nbf > now.saturating_add(validation.leeway)
            {
                return fail(ErrorKind::ImmatureSignature);
            }
        }

        if let (Claim::Read(sub), Some(expected)) = (self.sub, &validation.sub)
            && sub != expected
        {
            return fail(ErrorKind::InvalidSubject);
        }

        if let (Claim::Read(issuers), Some(accepted)) = (&self.iss, &validation.iss)
            && !shares_one(issuers, accepted)
        {
            return fail(ErrorKind::InvalidIssuer);
        }

        if !validation.validate_aud {
            return Ok(());
        }
        match (&self.aud, &validation.aud) {
            (Claim::Read(_), None) => fail(ErrorKind::InvalidAudience),
            (Claim::Read(audiences), Some(accepted)) if !shares_one(audiences, accepted) => {
                fail(ErrorKind::InvalidAudience)
            }
            _ => Ok(()),
        }
    }
}

/// A time (`exp`, `nbf`): a non-negative integer, or a finite non-negative number below 2⁶⁴,
/// rounded to the nearest second.
fn time(value: &Value) -> Option<u64> {
    let Value::Number(number) = value else {
        return None;
    };
    if let Some(seconds) = number.as_u64() {
        return Some(seconds);
    }
    let seconds = number.as_f64()?;
    (seconds.is_finite() && seconds >= 0.0 && seconds < u64::MAX as f64)
        .then(|| seconds.round() as u64)
}

/// `iss` or `aud`: one string, or a list of strings (possibly empty).
fn strings(value: &Value) -> Option<Vec<&str>> {
    match value {
        Value::String(one) => Some(vec![one]),
        Value::Array(items) => items.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

/// Whether `given` holds at least one of `accepted`.
fn shares_one(given: &[&str], accepted: &HashSet<String>) -> bool {
    given.iter().any(|value| accepted.contains(*value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn checked(payload: Value, validation: &Validation) -> Result<(), ErrorKind> {
        Registered::of(payload.as_object().unwrap())
            .check(validation, 1_000_000)
            .map_err(|e| e.into_kind())
    }

    #[test]
    fn times_are_numbers_rounded_to_seconds() {
        assert_eq!(time(&json!(5)), Some(5));
        assert_eq!(time(&json!(5.5)), Some(6));
        assert_eq!(time(&json!(-1)), None);
        assert_eq!(time(&json!(1e30)), None);
        assert_eq!(time(&json!("5")), None);
        assert_eq!(time(&json!(true)), None);
    }

    #[test]
    fn each_check_fails_for_its_reason() {
        let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.leeway = 30;
        validation.validate_nbf = true;
        validation.set_issuer(&["https://issuer.example"]);
        validation.set_audience(&["api"]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        let base = json!({"exp": 1_000_100, "iss": "https://issuer.example", "aud": ["x", "api"]});
        assert_eq!(checked(base.clone(), &validation), Ok(()));
        let with_in = |validation: &Validation, member: &str, value: Value| {
            let mut payload = base.clone();
            payload[member] = value;
            checked(payload, validation)
        };
        let with = |member: &str, value: Value| with_in(&validation, member, value);
        let missing = ErrorKind::MissingRequiredClaim("exp".into());
        assert_eq!(with("exp", Value::Null), Err(missing.clone()));
        assert_eq!(with("exp", json!("soon")), Err(missing));
        assert_eq!(
            with("exp", json!(999_969)),
            Err(ErrorKind::ExpiredSignature)
        );
        assert_eq!(with("exp", json!(999_970)), Ok(()), "within the leeway");
        let bad_nbf = Err(ErrorKind::InvalidClaimFormat("nbf".into()));
        assert_eq!(with("nbf", json!("x")), bad_nbf);
        assert_eq!(with("nbf", Value::Null), bad_nbf, "null is no time");
        assert_eq!(
            with("iss", Value::Null),
            Err(ErrorKind::MissingRequiredClaim("iss".into()))
        );
        assert_eq!(
            with("nbf", json!(1_000_031)),
            Err(ErrorKind::ImmatureSignature)
        );
        assert_eq!(with("iss", json!(["a", "https://issuer.example"])), Ok(()));
        assert_eq!(
            with("iss", json!("https://else.example")),
            Err(ErrorKind::InvalidIssuer)
        );
        assert_eq!(with("aud", json!([])), Err(ErrorKind::InvalidAudience));
        assert_eq!(
            with("aud", json!(7)),
            Ok(()),
            "unreadable, and not required"
        );
        let mut no_audience = validation.clone();
        no_audience.aud = None;
        let any = with_in(&no_audience, "aud", json!("api"));
        assert_eq!(any, Err(ErrorKind::InvalidAudience));
        let read = |payload: &[u8]| read(payload, &Validation::new(jsonwebtoken::Algorithm::RS256));
        assert!(
            read(br#"{"exp": 1, "exp": 2}"#).is_err(),
            "a registered claim twice"
        );
        let last = read(br#"{"exp": 4000000000, "role": "a", "role": "b"}"#).unwrap();
        assert_eq!(
            last["role"], "b",
            "another claim twice: the last, as a map reads it"
        );
        assert!(
            read(br#"{"exp": 4000000000, "sub": ["x"]}"#).is_err(),
            "a list in place"
        );
    }
}
