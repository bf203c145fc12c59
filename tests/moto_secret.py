"""Stores an HS256 key in a running moto server's Secrets Manager and prints the secret's ARN.

Usage: python tests/moto_secret.py http://127.0.0.1:<port> <secret value>
Run by tests/hs256.rs to test JWT_SECRET_ARN end to end.
"""

import sys

import boto3

endpoint, value = sys.argv[1], sys.argv[2]
secrets = boto3.client(
    "secretsmanager",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
)
print(secrets.create_secret(Name="petstore/jwt", SecretString=value)["ARN"])
