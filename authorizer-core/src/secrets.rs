//! Reading a secret from AWS Secrets Manager, once, at cold start: the HS256 key
//! (`JWT_SECRET_ARN`) and the usage-plan API keys (`USAGE_PLAN_KEYS_SECRET_ARN`).
//!
//! The AWS SDK would add megabytes and tens of milliseconds of cold start for one call, so this is a
//! single `GetSecretValue` request: `reqwest` (already used by the kit) signed with `aws-sigv4`,
//! the signer the SDK itself uses. Credentials are the ones Lambda puts in the environment of every
//! function. `AWS_ENDPOINT_URL_SECRETS_MANAGER` (or `AWS_ENDPOINT_URL`), the SDKs' own override,
//! points it at a private endpoint or a local stand-in.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use serde::Deserialize;

use crate::arn::Partition;
use crate::config::{Env, Var, invalid};
use crate::error::InitError;

crate::variables! {
    /// What reading a secret from Secrets Manager takes, read only when a variable names one.
    VARIABLES {
        /// the Secrets Manager endpoint for `JWT_SECRET_ARN` and `USAGE_PLAN_KEYS_SECRET_ARN`, as in
        /// the AWS SDKs: a private endpoint or a local stand-in
        AWS_ENDPOINT_URL_SECRETS_MANAGER = Derived("`AWS_ENDPOINT_URL`");

        /// the endpoint of every AWS service, as in the AWS SDKs
        AWS_ENDPOINT_URL = Derived("the secret's regional endpoint");

        /// the function role's credentials, which sign the `GetSecretValue` request
        AWS_ACCESS_KEY_ID = SetByLambda;

        /// the secret half of those credentials
        AWS_SECRET_ACCESS_KEY = SetByLambda;

        /// their session token
        AWS_SESSION_TOKEN = SetByLambda;
    }
}

/// A secret to read from Secrets Manager, and what reading it takes. Its `Debug` hides the
/// credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretsManager {
    /// The variable that names the secret, for errors.
    var: &'static Var,
    arn: String,
    region: String,
    endpoint: String,
    credentials: Credentials,
}

impl fmt::Debug for SecretsManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretsManager")
            .field("arn", &self.arn)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetSecretValueOutput {
    secret_string: Option<String>,
}

impl SecretsManager {
    /// The secret `arn`, which the variable `var` names, its endpoint and the credentials to read
    /// it with.
    pub fn from_env(var: &'static Var, arn: String, env: &Env) -> Result<Self, InitError> {
        let (partition, region) = partition_and_region(&arn)
            .ok_or_else(|| invalid(var, "not a Secrets Manager secret ARN"))?;
        let endpoint = env
            .get(&AWS_ENDPOINT_URL_SECRETS_MANAGER)
            .or_else(|| env.get(&AWS_ENDPOINT_URL))
            .unwrap_or_else(|| {
                format!("https://secretsmanager.{region}.{}", partition.dns_suffix())
            });
        let credentials = Credentials::new(
            env.required(&AWS_ACCESS_KEY_ID)?,
            env.required(&AWS_SECRET_ACCESS_KEY)?,
            env.get(&AWS_SESSION_TOKEN),
            None,
            "environment",
        );
        Ok(SecretsManager {
            var,
            region: region.to_owned(),
            arn,
            endpoint,
            credentials,
        })
    }

    /// Where the request goes.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Fetches the secret's `SecretString`. Never log it.
    pub async fn fetch(&self) -> Result<String, InitError> {
        let unavailable = |reason: String| InitError::Unavailable {
            var: self.var.name,
            reason,
        };
        let body = serde_json::json!({ "SecretId": self.arn }).to_string();
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "secretsmanager.GetSecretValue"),
        ];
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("secretsmanager")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| unavailable(format!("cannot sign the request: {e}")))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            &self.endpoint,
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
        let mut request = client.post(&self.endpoint).body(body);
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
        output
            .secret_string
            .ok_or_else(|| unavailable("the secret has no SecretString".to_owned()))
    }
}

/// `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>` → its partition and region.
fn partition_and_region(arn: &str) -> Option<(Partition, &str)> {
    let fields: Vec<&str> = arn.splitn(7, ':').collect();
    match fields.as_slice() {
        [
            "arn",
            partition,
            "secretsmanager",
            region,
            _,
            "secret",
            name,
        ] if !region.is_empty() && !name.is_empty() => Some((Partition::parse(partition)?, region)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_partition_and_region_of_a_secret_arn() {
        assert_eq!(
            partition_and_region("arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt-AbCdEf"),
            Some((Partition::Aws, "eu-west-1"))
        );
        assert_eq!(partition_and_region("arn:aws:s3:::bucket"), None);
        assert_eq!(partition_and_region("jwt-secret"), None);
        assert_eq!(
            partition_and_region("arn:aws-xx:secretsmanager:eu-west-1:1:secret:jwt"),
            None
        );
    }
}
