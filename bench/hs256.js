// The HS256 authorizer as users would write it in Node: `jsonwebtoken`, the same settings
// (JWT_SECRET, JWT_ISSUER, 30 s leeway, HS256 only, `exp` and `sub` required) and policy.
'use strict';

const { createSecretKey } = require('node:crypto');
const jwt = require('jsonwebtoken');
const { tokenOf, respond, refuse } = require('./policy');

// A key object, made once at init: given the secret as a string, jsonwebtoken 9 first tries (and
// fails) to read it as a public key on every call, which costs about 0.8 ms per verification here.
const secret = createSecretKey(Buffer.from(process.env.JWT_SECRET));
const options = { algorithms: ['HS256'], clockTolerance: 30 };
if (process.env.JWT_ISSUER) options.issuer = process.env.JWT_ISSUER;

exports.handler = async (event) => {
  const token = tokenOf(event);
  let claims;
  try {
    claims = jwt.verify(token, secret, options);
  } catch (error) {
    throw refuse(error.name);
  }
  if (typeof claims.exp !== 'number' || typeof claims.sub !== 'string' || !claims.sub) throw refuse('missing_claim');
  return respond(claims, event.methodArn, process.env.GROUPS_CLAIM || 'groups');
};
