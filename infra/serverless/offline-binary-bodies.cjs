// Local-only Serverless plugin: makes `serverless offline` hand binary request bodies to the
// functions the way API Gateway HTTP APIs do — base64 with `isBase64Encoded: true` — instead of
// text-decoding them.
//
// Why: serverless-offline 13 (src/events/http/HttpServer.js, src/utils/index.js detectEncoding)
// base64-encodes only application/octet-stream and multipart/form-data bodies; every other type,
// including application/msgpack (Datadog tracers) and application/x-protobuf (OTLP exporters), is
// decoded as UTF-8, which replaces invalid sequences with U+FFFD and loses bytes beyond recovery.
// It offers no option for binary media types. API Gateway HTTP APIs infer the encoding from the
// content type and base64-encode non-text bodies, and the handlers already accept both forms
// (shared/platform/lambda-http.ts).
//
// How: while `serverless offline` starts, this wraps `http.createServer` so that every server it
// creates gets a first 'request' listener. For a request to the API port whose media type is
// missing or not text, or whose body has a Content-Encoding, that listener sets the parsed
// `req.headers['content-type']` (which serverless-offline's detectEncoding reads) to
// application/octet-stream. `req.rawHeaders`, from which serverless-offline builds the Lambda
// event's headers, keep the client's own values, repeated ones joined as API Gateway joins them.
// A request without a Content-Type gets none in its event either (keepMissingContentType). So the
// function receives the exact bytes, base64, and the client's own Content-Type header, or none.
// Packaging and deploys never run these hooks, and Serverless excludes local plugins from the
// package.
'use strict';

const http = require('node:http');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

// Bodies API Gateway HTTP APIs pass as text; they base64-encode everything else, a missing type
// and application/x-www-form-urlencoded included (why middy's urlencode body parser decodes base64
// first: middyjs/middy#603). So `curl --data-binary @cpu.pprof`, whose default type is the form
// one, reaches a function as exact bytes on AWS, and does here too.
const textTypes = new Set(['application/json', 'application/xml', 'application/javascript']);

function isText(contentType) {
  const media = String(contentType).split(';')[0].trim().toLowerCase();
  return media.startsWith('text/') || textTypes.has(media) || media.endsWith('+json') || media.endsWith('+xml');
}

// serverless-offline already passes these as bytes (substring match in detectEncoding).
const alreadyBinary = ['application/octet-stream', 'multipart/form-data'];

// A Content-Encoding (gzip for OTLP/HTTP JSON, RFC 9110 §8.4) says the body is compressed bytes
// whatever its media type: decoded as UTF-8, a gzip body is no longer gzip.
function isEncoded(contentEncoding) {
  const value = String(contentEncoding ?? '')
    .trim()
    .toLowerCase();
  return value !== '' && value !== 'identity';
}

function markBinary(req) {
  const contentType = req.headers['content-type'];
  if (!isEncoded(req.headers['content-encoding']) && contentType && isText(contentType)) return;
  if (contentType && alreadyBinary.some((type) => contentType.includes(type))) return;
  req.headers['content-type'] = 'application/octet-stream';
}

// serverless-offline writes "application/json" into the event of any request with a body and no
// Content-Type (LambdaProxyIntegrationEventV2.create); API Gateway invents none, and a route that
// takes a missing type (RFC 9110 §8.3) must see it missing. Such requests get this raw header,
// and the event loses it and the invented type again (keepMissingContentType).
const noContentTypeMarker = 'x-hotspots-offline-no-content-type';

function markMissingContentType(req) {
  if (!req.headers['content-type']) req.rawHeaders.push(noContentTypeMarker, '1');
}

function withoutInventedContentType(event) {
  if (event?.headers?.[noContentTypeMarker] !== undefined) {
    delete event.headers[noContentTypeMarker];
    delete event.headers['content-type'];
  }
  return event;
}

async function keepMissingContentType() {
  const source = path.dirname(require.resolve('serverless-offline'));
  const file = path.join(source, 'events', 'http', 'lambda-events', 'LambdaProxyIntegrationEventV2.js');
  // The same module instance serverless-offline uses: ES modules load once per resolved file.
  const { default: EventV2 } = await import(pathToFileURL(file).href);
  const create = EventV2?.prototype?.create;
  if (typeof create !== 'function') {
    throw new Error(`offline-binary-bodies: ${file} has no create(); update this plugin for this serverless-offline`);
  }
  EventV2.prototype.create = function createKeepingMissingContentType(...args) {
    return withoutInventedContentType(create.apply(this, args));
  };
}

// API Gateway (payload format 2.0) joins repeated request headers with commas into one header
// (http-api-develop-integrations-lambda.html; cookies go to their own field); serverless-offline
// builds the event's headers with Object.fromEntries over rawHeaders, keeping only the last. Two
// Content-Type headers then reached the function as the last one, while the body had been decoded
// by the first (Node keeps the first in req.headers): joined as API Gateway joins them, the
// function sees what it would see on AWS.
function joinRepeatedHeaders(req) {
  const joined = [];
  const at = new Map();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const value = req.rawHeaders[i + 1];
    const key = name.toLowerCase();
    const first = at.get(key);
    if (first !== undefined && key !== 'cookie') {
      joined[first + 1] = `${joined[first + 1]},${value}`;
      continue;
    }
    at.set(key, joined.length);
    joined.push(name, value);
  }
  req.rawHeaders = joined;
}

let installed = false;

// Only the API port (--httpPort): serverless-offline's Lambda invoke and websocket servers keep
// their own content handling.
async function install(httpPort) {
  if (installed) return;
  installed = true;
  const createServer = http.createServer;
  http.createServer = function createServerWithBinaryBodies(...args) {
    const server = createServer.apply(this, args);
    server.prependListener('request', (req) => {
      if (req.socket.localPort !== httpPort) return;
      joinRepeatedHeaders(req);
      markMissingContentType(req);
      markBinary(req);
    });
    return server;
  };
  await keepMissingContentType();
}

class OfflineBinaryBodies {
  constructor(serverless, cliOptions) {
    const custom = serverless.service.custom?.['serverless-offline'] ?? {};
    const httpPort = Number(cliOptions.httpPort ?? custom.httpPort ?? 3000);
    const hook = () => install(httpPort);
    // `serverless offline` runs offline:start; `serverless offline start` runs offline:start:init.
    this.hooks = { 'before:offline:start': hook, 'before:offline:start:init': hook };
  }
}

module.exports = OfflineBinaryBodies;
module.exports.isText = isText;
module.exports.markBinary = markBinary;
module.exports.joinRepeatedHeaders = joinRepeatedHeaders;
module.exports.markMissingContentType = markMissingContentType;
module.exports.withoutInventedContentType = withoutInventedContentType;
