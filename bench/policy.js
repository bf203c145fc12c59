// The Rust authorizers' policy semantics, in the plain form a Node authorizer would have them:
// the access rules (`ACCESS_RULES`, the pet store's by default), the union of a caller's grants,
// an Allow for all of them and an explicit Deny for the method called when it is not granted.
'use strict';

const PET_STORE_RULES = '{"*": ["GET /pets"], "group:admin": ["GET /pets", "POST /pets"]}';

const rules = JSON.parse(process.env.ACCESS_RULES || PET_STORE_RULES);

// "Bearer <jwt>" or a bare JWT, from a TOKEN event's authorizationToken.
function tokenOf(event) {
  const text = (event && event.authorizationToken) || '';
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(text);
  const token = match ? match[1] : text.trim();
  if (!token || token.length > 8192) throw new Error('Unauthorized');
  return token;
}

// IAM's `*`: any run of characters.
function covers(pattern, text) {
  const source = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${source}$`).test(text);
}

function listOf(value) {
  if (Array.isArray(value)) return value;
  return typeof value === 'string' ? value.split(/[ ,]+/).filter(Boolean) : [];
}

// The answer API Gateway gets for verified `claims` calling `methodArn`.
function respond(claims, methodArn, groupsClaim) {
  const [prefix, stage, method, ...rest] = methodArn.split('/');
  const path = rest.join('/');
  const groups = listOf(claims[groupsClaim]);
  const scopes = listOf(claims.scope);
  const keys = ['*', ...groups.map((g) => `group:${g}`), ...scopes.map((s) => `scope:${s}`)];
  const grants = [...new Set(keys.flatMap((key) => rules[key] || []))].sort();
  const granted = grants.some((grant) => {
    const [m, p] = grant.split(' ');
    return (m === '*' || m === method) && covers(p.slice(1), path);
  });
  const statement = [];
  if (grants.length) {
    const resources = grants.map((grant) => {
      const [m, p] = grant.split(' ');
      return `${prefix}/${stage}/${m}/${p.slice(1)}`;
    });
    statement.push({ Action: ['execute-api:Invoke'], Effect: 'Allow', Resource: resources });
  }
  if (!granted) statement.push({ Action: ['execute-api:Invoke'], Effect: 'Deny', Resource: [methodArn] });
  const context = { sub: claims.sub };
  if (groups.length) context.groups = groups.join(',');
  if (scopes.length) context.scope = scopes.join(' ');
  const username = claims['cognito:username'] || claims.username;
  if (username) context.username = username;
  if (claims.email) context.email = claims.email;
  console.log(JSON.stringify({ level: 'INFO', message: 'authorized', decision: granted ? 'allow' : 'deny', principal: claims.sub, methodArn }));
  return { principalId: claims.sub, policyDocument: { Version: '2012-10-17', Statement: statement }, context };
}

// A refusal: one log line with the reason, and the error API Gateway reads as 401.
function refuse(reason) {
  console.log(JSON.stringify({ level: 'WARN', message: 'refused', reason }));
  return new Error('Unauthorized');
}

module.exports = { tokenOf, respond, refuse };
