"""Sets up what a test needs in a running moto server and prints it on stdout.

Usage: python testkit/moto.py http://127.0.0.1:<port> secret <name> <value>
       python testkit/moto.py http://127.0.0.1:<port> cognito

`secret` stores a secret (an HS256 key, usage-plan keys) in Secrets Manager and prints its ARN.
`cognito` creates a user pool as a pet store would have it: the pet store's app client and another
one, the `admin` group, and the users alice (admin) and bob; signs each in with
ADMIN_USER_PASSWORD_AUTH and prints one JSON object. moto issues real RS256 tokens with the real
AWS issuer. Run by testkit's `Moto` (testkit/src/moto.rs).
"""

import argparse
import json

import boto3

PASSWORD = "Correct-Horse-Battery-9"


def client(endpoint, service):
    """A boto3 client of `service` talking to moto, with moto's dummy credentials."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def secret(endpoint, name, value):
    secrets = client(endpoint, "secretsmanager")
    return secrets.create_secret(Name=name, SecretString=value)["ARN"]


def cognito(endpoint):
    idp = client(endpoint, "cognito-idp")
    pool = idp.create_user_pool(PoolName="petstore")["UserPool"]["Id"]
    flows = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

    def app_client(name):
        created = idp.create_user_pool_client(UserPoolId=pool, ClientName=name, ExplicitAuthFlows=flows)
        return created["UserPoolClient"]["ClientId"]

    ours, other = app_client("petstore-web"), app_client("another-app")
    idp.create_group(UserPoolId=pool, GroupName="admin")
    for user in ["alice", "bob"]:
        idp.admin_create_user(UserPoolId=pool, Username=user, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool, Username=user, Password=PASSWORD, Permanent=True)
    idp.admin_add_user_to_group(UserPoolId=pool, Username="alice", GroupName="admin")

    def sign_in(user, client_id):
        result = idp.admin_initiate_auth(
            UserPoolId=pool,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        return {"id": result["IdToken"], "access": result["AccessToken"], "refresh": result["RefreshToken"]}

    return json.dumps({
        "pool": pool,
        "client": ours,
        "jwks_url": f"{endpoint}/{pool}/.well-known/jwks.json",
        "alice": sign_in("alice", ours),
        "bob": sign_in("bob", ours),
        "bob_other_client": sign_in("bob", other),
    })


def main():
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("endpoint")
    commands = cli.add_subparsers(dest="command", required=True)
    secret_command = commands.add_parser("secret")
    secret_command.add_argument("name")
    secret_command.add_argument("value")
    commands.add_parser("cognito")
    args = cli.parse_args()
    if args.command == "secret":
        print(secret(args.endpoint, args.name, args.value))
    else:
        print(cognito(args.endpoint))


if __name__ == "__main__":
    main()
