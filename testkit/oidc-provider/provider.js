// OpenID Providers on loopback for the end-to-end tests of authorizer-oidc: oidc-provider (the
// certified OpenID Provider for Node.js), one instance per issuer, each with its own keys.
//
// node provider.js '<config>', the config being JSON:
//   {"issuers": [{"port": 0, "keys": [{"pem": "<path>", "kid": "<kid>", "alg": "RS256"}],
//                 "alg": "RS256", "resource": "https://api-a.example"}]}
// `port` 0 picks a free one; `alg` signs the access and ID tokens; with `other_resource`, bob
// also gets an access token for that resource (`bob_access_other`). Each issuer has the clients
// `alice` (its access tokens carry `groups: ["admin"]`) and `bob`, which get real access tokens by
// the client credentials grant — JWTs for `resource` (resource indicators) — and ID tokens the
// provider issues for them. Prints one line of JSON, then serves until stdin closes:
//   {"issuers": [{"issuer": "http://127.0.0.1:<port>", "port": <port>,
//                 "tokens": {"alice_access": …, "bob_access": …, "alice_id": …, "bob_id": …}}]}
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const SECRET = 'a-client-secret-for-the-tests-only';
const GROUPS = { alice: ['admin'], bob: [] };

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server.address().port));
  });
}

async function start({ port = 0, keys, alg, resource, other_resource: otherResource }) {
  const server = createServer();
  const bound = await listen(server, port);
  const issuer = `http://127.0.0.1:${bound}`;
  const jwks = {
    keys: keys.map(({ pem, kid, alg: keyAlg }) => ({
      ...createPrivateKey(readFileSync(pem)).export({ format: 'jwk' }),
      kid,
      alg: keyAlg,
      use: 'sig',
    })),
  };
  const clients = Object.keys(GROUPS).map((name) => ({
    client_id: name,
    client_secret: SECRET,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    id_token_signed_response_alg: alg,
  }));
  const provider = new Provider(issuer, {
    jwks,
    clients,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => ({
          scope: 'pets:read pets:write',
          audience: indicator,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg } },
        }),
      },
    },
    extraTokenClaims: (_ctx, token) => ({ groups: GROUPS[token.clientId] ?? [] }),
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'] },
    ttl: { ClientCredentials: 600, IdToken: 600 },
  });
  server.on('request', provider.callback());

  const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  // A real client credentials grant at the discovered token endpoint.
  const accessToken = async (name, forResource) => {
    const answer = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${name}:${SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'pets:read', resource: forResource }),
    });
    const body = await answer.json();
    if (!body.access_token) throw new Error(`${issuer}: no access token for ${name}: ${JSON.stringify(body)}`);
    return body.access_token;
  };
  const tokens = {};
  for (const name of Object.keys(GROUPS)) {
    tokens[`${name}_access`] = await accessToken(name, resource);
    if (otherResource && name === 'bob') {
      tokens.bob_access_other = await accessToken(name, otherResource);
    }
    const client = await provider.Client.find(name);
    const idToken = new provider.IdToken({ sub: name }, { client });
    idToken.scope = 'openid';
    idToken.set('groups', GROUPS[name]);
    idToken.set('preferred_username', name);
    tokens[`${name}_id`] = await idToken.issue({ use: 'idtoken' });
  }
  return { issuer, port: bound, tokens };
}

const config = JSON.parse(process.argv[2]);
const issuers = [];
for (const issuer of config.issuers) issuers.push(await start(issuer));
process.stdout.write(`${JSON.stringify({ issuers })}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
