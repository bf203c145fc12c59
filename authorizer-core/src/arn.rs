//! The `methodArn` of a REST API's authorizer event, or the `routeArn` of an HTTP API's, parsed
//! once into its parts. Both have the same form; HTTP APIs add the `$default` stage and the `ANY`
//! method. A WebSocket API's authorizer guards its connect route alone, whose ARN names the route
//! instead of a method and path: `…/<stage>/$connect` ([`CONNECT_ROUTE`]).
//!
//! The policy we return may only grant methods of the API that called us, so the ARN's prefix
//! (partition, region, account, API id, stage) is copied into every resource we grant. A prefix that
//! could widen a grant — a wildcard, an empty part, an unknown partition — is refused here rather than
//! trusted later; the parser returns an error and never panics.

use std::fmt;

/// The AWS partitions whose API Gateway can call us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// `aws`: the commercial regions.
    Aws,
    /// `aws-cn`: the China regions.
    AwsCn,
    /// `aws-us-gov`: AWS GovCloud (US).
    AwsUsGov,
}

impl Partition {
    /// The partition named as in an ARN (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "aws" => Some(Partition::Aws),
            "aws-cn" => Some(Partition::AwsCn),
            "aws-us-gov" => Some(Partition::AwsUsGov),
            _ => None,
        }
    }

    /// The partition a region belongs to: `cn-…` regions are China's, `us-gov-…` GovCloud's.
    pub fn of_region(region: &str) -> Self {
        if region.starts_with("cn-") {
            Partition::AwsCn
        } else if region.starts_with("us-gov-") {
            Partition::AwsUsGov
        } else {
            Partition::Aws
        }
    }

    /// The DNS suffix of the partition's service endpoints, e.g. `amazonaws.com` in
    /// `https://secretsmanager.eu-west-1.amazonaws.com`.
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Partition::AwsCn => "amazonaws.com.cn",
            Partition::Aws | Partition::AwsUsGov => "amazonaws.com",
        }
    }
}

/// The route a WebSocket API's authorizer guards, in place of a method in the ARN and with no path.
pub const CONNECT_ROUTE: &str = "$connect";

/// `arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>`, or a
/// WebSocket API's `arn:…:<api-id>/<stage>/$connect`.
///
/// Kept as the text API Gateway sent, with the offsets of its parts: every resource the policy
/// grants starts with the same `…/<stage>/` prefix, so granting is one copy of that prefix, and a
/// request never copies the parts apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodArn {
    text: String,
    partition: Partition,
    /// Where the method starts: `text[..method_start]` is the prefix ending in `<stage>/`.
    method_start: usize,
    /// Where the method ends, at the `/` before the path.
    method_end: usize,
}

/// The `methodArn` does not have the shape API Gateway gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed method ARN")]
pub struct MalformedArn;

impl MethodArn {
    /// Parses a method ARN, refusing anything that API Gateway would not send.
    pub fn parse(text: &str) -> Result<Self, MalformedArn> {
        let mut fields = text.splitn(6, ':');
        let mut next = || fields.next().ok_or(MalformedArn);
        let (arn, partition, service) = (next()?, next()?, next()?);
        let (region, account, resource) = (next()?, next()?, next()?);
        if arn != "arn" || service != "execute-api" {
            return Err(MalformedArn);
        }
        let partition = Partition::parse(partition).ok_or(MalformedArn)?;

        let mut parts = resource.splitn(4, '/');
        let mut part = || parts.next().ok_or(MalformedArn);
        let (api_id, stage, method) = (part()?, part()?, part()?);
        // The root resource is `…/GET/`; a missing path separator is not an ARN API Gateway sends,
        // unless the method is a WebSocket route, which has no path.
        let path = match parts.next() {
            None if method == CONNECT_ROUTE => None,
            None => return Err(MalformedArn),
            Some(path) => Some(path),
        };

        let lowercase_word = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        let valid = lowercase_word(region)
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && !api_id.is_empty()
            && api_id.bytes().all(|b| b.is_ascii_alphanumeric())
            && (stage == "$default"
                || !stage.is_empty()
                    && stage
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            && match path {
                None => true,
                Some(path) => {
                    !method.is_empty()
                        && method.bytes().all(|b| b.is_ascii_uppercase())
                        && path.bytes().all(|b| b.is_ascii_graphic())
                }
            };
        if !valid {
            return Err(MalformedArn);
        }
        // The path is the text's tail, after the method and its `/`; a route has neither.
        let method_end = match path {
            Some(path) => text.len() - path.len() - 1,
            None => text.len(),
        };
        Ok(MethodArn {
            text: text.to_owned(),
            partition,
            method_start: method_end - method.len(),
            method_end,
        })
    }

    /// The partition the API lives in.
    pub fn partition(&self) -> Partition {
        self.partition
    }

    /// The HTTP method being called, e.g. `GET`, or [`CONNECT_ROUTE`] for a WebSocket API.
    pub fn method(&self) -> &str {
        &self.text[self.method_start..self.method_end]
    }

    /// The resource path being called, without its leading `/` (empty for the root resource, and
    /// for a WebSocket route), as it follows the method in the ARN and as grants hold it.
    pub fn path(&self) -> &str {
        self.text.get(self.method_end + 1..).unwrap_or_default()
    }

    /// Whether this is a WebSocket API's connect route rather than an HTTP method.
    pub fn is_connect_route(&self) -> bool {
        self.method_end == self.text.len()
    }

    /// The ARN of another method of the same API and stage: the only kind of resource we grant.
    /// `method` and `path` (no leading `/`) come from the access rules and may hold `*`; the
    /// method [`CONNECT_ROUTE`] names the WebSocket route, which has no path.
    pub fn sibling(&self, method: &str, path: &str) -> String {
        let prefix = &self.text[..self.method_start];
        let mut arn = String::with_capacity(prefix.len() + method.len() + 1 + path.len());
        arn.push_str(prefix);
        arn.push_str(method);
        if method != CONNECT_ROUTE {
            arn.push('/');
            arn.push_str(path);
        }
        arn
    }
}

impl fmt::Display for MethodArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PETS: &str = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets";

    #[test]
    fn parses_the_parts_of_a_method_arn() {
        let arn = MethodArn::parse(PETS).unwrap();
        assert_eq!(arn.partition(), Partition::Aws);
        assert_eq!(arn.method(), "GET");
        assert_eq!(arn.path(), "pets");
        assert_eq!(arn.to_string(), PETS);
        assert_eq!(
            arn.sibling("POST", "pets/*"),
            "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/POST/pets/*"
        );
    }

    #[test]
    fn knows_each_partition_of_a_region_and_its_dns_suffix() {
        for (region, name, partition, suffix) in [
            ("eu-west-1", "aws", Partition::Aws, "amazonaws.com"),
            ("cn-north-1", "aws-cn", Partition::AwsCn, "amazonaws.com.cn"),
            (
                "us-gov-west-1",
                "aws-us-gov",
                Partition::AwsUsGov,
                "amazonaws.com",
            ),
        ] {
            assert_eq!(Partition::of_region(region), partition);
            assert_eq!(Partition::parse(name), Some(partition));
            assert_eq!(partition.dns_suffix(), suffix);
        }
    }

    #[test]
    fn keeps_every_partition() {
        for (text, partition) in [
            ("aws-cn", Partition::AwsCn),
            ("aws-us-gov", Partition::AwsUsGov),
        ] {
            let arn = format!("arn:{text}:execute-api:cn-north-1:123456789012:abc/dev/GET/pets");
            let parsed = MethodArn::parse(&arn).unwrap();
            assert_eq!(parsed.partition(), partition);
            assert_eq!(parsed.to_string(), arn);
        }
    }

    #[test]
    fn accepts_root_proxy_and_punctuated_paths() {
        for path in ["", "pets/{proxy+}", "pets/my_pet-1.json", "v1/pets/42/toys"] {
            let text = format!(
                "arn:aws:execute-api:eu-west-3:123456789012:abc123/test_stage-1/DELETE/{path}"
            );
            let arn = MethodArn::parse(&text).unwrap();
            assert_eq!(arn.path(), path);
            assert_eq!(arn.to_string(), text);
        }
    }

    #[test]
    fn reads_http_api_route_arns() {
        for (text, method, path) in [
            (
                "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/pets",
                "GET",
                "pets",
            ),
            (
                "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/ANY/pets/7",
                "ANY",
                "pets/7",
            ),
            (
                "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/POST/",
                "POST",
                "",
            ),
        ] {
            let arn = MethodArn::parse(text).unwrap();
            assert_eq!((arn.method(), arn.path()), (method, path));
            assert_eq!(arn.to_string(), text);
        }
        let default = MethodArn::parse(
            "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/pets",
        )
        .unwrap();
        assert_eq!(
            default.sibling("*", "pets/*"),
            "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/*/pets/*"
        );
    }

    #[test]
    fn reads_the_connect_route_of_a_websocket_api() {
        let text = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/$connect";
        let arn = MethodArn::parse(text).unwrap();
        assert!(arn.is_connect_route());
        assert_eq!((arn.method(), arn.path()), (CONNECT_ROUTE, ""));
        assert_eq!(arn.to_string(), text);
        assert_eq!(arn.sibling(CONNECT_ROUTE, ""), text);
        assert_eq!(
            arn.sibling("GET", "pets"),
            "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/pets"
        );
        assert!(!MethodArn::parse(PETS).unwrap().is_connect_route());
    }

    #[test]
    fn refuses_what_api_gateway_never_sends() {
        for text in [
            "",
            "arn",
            "arn:aws:execute-api:us-east-1:123456789012",
            "arn:aws:execute-api:us-east-1:123456789012:abc",
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod",
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET",
            "arn:aws:lambda:us-east-1:123456789012:abc/prod/GET/pets",
            "arn:aws-xx:execute-api:us-east-1:123456789012:abc/prod/GET/pets",
            "arn:aws:execute-api:*:123456789012:abc/prod/GET/pets",
            "arn:aws:execute-api:us-east-1:*:abc/prod/GET/pets",
            "arn:aws:execute-api:us-east-1:12345678901:abc/prod/GET/pets",
            "arn:aws:execute-api:us-east-1:123456789012:*/prod/GET/pets",
            "arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/pets",
            "arn:aws:execute-api:us-east-1:123456789012:abc/$/GET/pets",
            "arn:aws:execute-api:us-east-1:123456789012:abc/$prod/GET/pets",
            "arn:aws:execute-api:us-east-1:123456789012:abc/$default*/GET/pets",
            "arn:aws:execute-api:us-east-1:123456789012:abc/$default/$default",
            "arn:aws:execute-api:us-east-1:123456789012:abc/$default/GET",
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod/$disconnect",
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod/$default",
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod/$connect/",
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod/$connect/x",
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod/$CONNECT",
            "arn:aws:execute-api:us-east-1:123456789012:abc/*/$connect",
            "arn:aws:execute-api:us-east-1:123456789012:abc//GET/pets",
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod/*/pets",
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod/get/pets",
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/pets with space",
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/pets\u{e9}",
        ] {
            assert_eq!(MethodArn::parse(text), Err(MalformedArn), "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC*") {
            let _ = MethodArn::parse(&text);
        }

        #[test]
        fn a_parsed_arn_prints_back_unchanged(
            region in "[a-z]{2}-[a-z]{4,9}-[1-9]",
            account in "[0-9]{12}",
            api in "[a-z0-9]{10}",
            stage in "[A-Za-z0-9_-]{1,20}",
            method in "(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS)",
            path in "([a-z0-9_.{}+-]{1,8}/){0,3}[a-z0-9_.-]{0,8}",
        ) {
            let text = format!("arn:aws:execute-api:{region}:{account}:{api}/{stage}/{method}/{path}");
            let arn = MethodArn::parse(&text).unwrap();
            prop_assert_eq!(arn.to_string(), text);
        }
    }
}
