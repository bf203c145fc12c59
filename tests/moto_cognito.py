"""Sets up a user pool in a running moto server, as a pet store would have it, and prints tokens.

Usage: python tests/moto_cognito.py http://127.0.0.1:<port>
Creates a pool, the pet store's app client and another one, the `admin` group, and the users alice
(admin) and bob; signs each in with ADMIN_USER_PASSWORD_AUTH; prints one JSON object on stdout.
Run by tests/cognito_moto.rs; moto issues real RS256 tokens with the real AWS issuer.
"""

import json
import sys

import boto3

endpoint = sys.argv[1]
idp = boto3.client(
    "cognito-idp",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
)
pool = idp.create_user_pool(PoolName="petstore")["UserPool"]["Id"]
flows = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
client = idp.create_user_pool_client(UserPoolId=pool, ClientName="petstore-web", ExplicitAuthFlows=flows)
other = idp.create_user_pool_client(UserPoolId=pool, ClientName="another-app", ExplicitAuthFlows=flows)
client, other = client["UserPoolClient"]["ClientId"], other["UserPoolClient"]["ClientId"]
idp.create_group(UserPoolId=pool, GroupName="admin")

password = "Correct-Horse-Battery-9"
for user in ["alice", "bob"]:
    idp.admin_create_user(UserPoolId=pool, Username=user, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username=user, Password=password, Permanent=True)
idp.admin_add_user_to_group(UserPoolId=pool, Username="alice", GroupName="admin")


def sign_in(user, client_id):
    result = idp.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": password},
    )["AuthenticationResult"]
    return {"id": result["IdToken"], "access": result["AccessToken"], "refresh": result["RefreshToken"]}


print(json.dumps({
    "pool": pool,
    "client": client,
    "jwks_url": f"{endpoint}/{pool}/.well-known/jwks.json",
    "alice": sign_in("alice", client),
    "bob": sign_in("bob", client),
    "bob_other_client": sign_in("bob", other),
}))
