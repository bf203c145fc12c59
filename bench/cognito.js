// The Cognito authorizer as users would write it in Node: AWS's `aws-jwt-verify`, the same
// settings (USER_POOL_ID, APP_CLIENT_IDS, ID or access tokens) and policy. Its key cache is
// hydrated at init from the key set `JWKS_URL` names (a file:// URL here), so no request ever
// leaves the machine, as with the Rust authorizer's file:// key set.
'use strict';

const fs = require('node:fs');
const { CognitoJwtVerifier } = require('aws-jwt-verify');
const { tokenOf, respond, refuse } = require('./policy');

const verifier = CognitoJwtVerifier.create({
  userPoolId: process.env.USER_POOL_ID,
  tokenUse: null,
  clientId: process.env.APP_CLIENT_IDS.split(',').map((id) => id.trim()),
});
verifier.cacheJwks(JSON.parse(fs.readFileSync(process.env.JWKS_URL.replace(/^file:\/\//, ''), 'utf8')));

exports.handler = async (event) => {
  const token = tokenOf(event);
  let claims;
  try {
    claims = await verifier.verify(token);
  } catch (error) {
    throw refuse(error.name);
  }
  return respond(claims, event.methodArn, process.env.GROUPS_CLAIM || 'cognito:groups');
};
