//! Reading the HS256 secret from AWS Secrets Manager, once, at cold start.
//!
//! The AWS SDK would add megabytes and tens of milliseconds of cold start for one call, so this is a
//! single `GetSecretValue` request: `reqwest` (already used by the kit) signed with `aws-sigv4`,
//! the signer the SDK itself uses. Credentials are the ones Lambda puts in the environment of every
//! function. `AWS_ENDPOINT_URL_SECRETS_MANAGER` (or `AWS_ENDPOINT_URL`), the SDKs' own override,
//! points it at a private endpoint or a local stand-in.

use std::time::{Duration, SystemTime};

use authorizer_core::config::{ConfigError, Lookup, optional, required};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use serde::Deserialize;

use crate::Secret;

const VAR: &str = "JWT_SECRET_ARN";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetSecretValueOutput {
    secret_string: Option<String>,
}

/// Fetches the secret named by `arn`; its `SecretString` is the HS256 key.
pub async fn fetch(arn: &str, env: Lookup<'_>) -> Result<Secret, ConfigError> {
    let unavailable = |reason: String| ConfigError::Unavailable { var: VAR, reason };
    let region = region_of(arn)
        .ok_or_else(|| authorizer_core::config::invalid(VAR, "not a Secrets Manager secret ARN"))?;
    let endpoint = optional(env, "AWS_ENDPOINT_URL_SECRETS_MANAGER")
        .or_else(|| optional(env, "AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| {
            let suffix = if arn.starts_with("arn:aws-cn:") {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            format!("https://secretsmanager.{region}.{suffix}")
        });
    let credentials = Credentials::new(
        required(env, "AWS_ACCESS_KEY_ID")?,
        required(env, "AWS_SECRET_ACCESS_KEY")?,
        optional(env, "AWS_SESSION_TOKEN"),
        None,
        "environment",
    );

    let body = serde_json::json!({ "SecretId": arn }).to_string();
    let headers = [
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", "secretsmanager.GetSecretValue"),
    ];
    let identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("secretsmanager")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| unavailable(format!("cannot sign the request: {e}")))?
        .into();
    let signable = SignableRequest::new(
        "POST",
        &endpoint,
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| unavailable(format!("cannot sign the request: {e}")))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| unavailable(format!("cannot sign the request: {e}")))?
        .into_parts();

    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| unavailable(format!("cannot build an HTTP client: {e}")))?;
    let mut request = client.post(&endpoint).body(body);
    for (name, value) in headers.into_iter().chain(instructions.headers()) {
        request = request.header(name, value);
    }
    let response = request
        .send()
        .await
        .map_err(|e| unavailable(format!("Secrets Manager did not answer: {e}")))?;
    let status = response.status();
    if !status.is_success() {
        return Err(unavailable(format!("Secrets Manager answered {status}")));
    }
    let output: GetSecretValueOutput = response
        .json()
        .await
        .map_err(|e| unavailable(format!("unexpected answer from Secrets Manager: {e}")))?;
    let secret = output
        .secret_string
        .ok_or_else(|| unavailable("the secret has no SecretString".to_owned()))?;
    Secret::new(secret.into_bytes(), VAR)
}

/// `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>` → `<region>`.
fn region_of(arn: &str) -> Option<&str> {
    let fields: Vec<&str> = arn.splitn(7, ':').collect();
    match fields.as_slice() {
        ["arn", _, "secretsmanager", region, _, "secret", name]
            if !region.is_empty() && !name.is_empty() =>
        {
            Some(region)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_region_of_a_secret_arn() {
        assert_eq!(
            region_of("arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt-AbCdEf"),
            Some("eu-west-1")
        );
        assert_eq!(region_of("arn:aws:s3:::bucket"), None);
        assert_eq!(region_of("jwt-secret"), None);
    }
}
