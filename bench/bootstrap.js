// A stand-in for Lambda's Node.js runtime interface client, for scripts/bench only.
//
// Lambda's managed Node runtime loads the handler named by `_HANDLER` and then loops on the
// Runtime API: GET the next event, call the handler, POST its result to /response (or what it
// threw to /error). This file does exactly that and nothing else (no context object beyond the
// request id, no X-Ray, no streaming), so the Node authorizers can be timed against the same
// loopback Runtime API as the Rust binaries. It is not a production runtime.
'use strict';

const http = require('node:http');
const path = require('node:path');

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const API = '/2018-06-01/runtime';

function call(method, route, body) {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    };
    const request = http.request({ host, port, method, path: API + route, agent, headers }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

function errorBody(error) {
  return JSON.stringify({ errorType: error.name || 'Error', errorMessage: error.message || String(error) });
}

async function main() {
  let handler;
  try {
    const [file, name] = process.env._HANDLER.split('.');
    handler = require(path.join(__dirname, file))[name];
  } catch (error) {
    await call('POST', '/init/error', errorBody(error));
    process.exit(1);
  }
  for (;;) {
    const next = await call('GET', '/invocation/next');
    const id = next.headers['lambda-runtime-aws-request-id'];
    try {
      const result = await handler(JSON.parse(next.body), { awsRequestId: id });
      await call('POST', `/invocation/${id}/response`, JSON.stringify(result));
    } catch (error) {
      await call('POST', `/invocation/${id}/error`, errorBody(error));
    }
  }
}

main();
