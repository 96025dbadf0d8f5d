import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { loadConfig } from '../../shared/platform/config.js';
import { handleHttp } from '../../shared/platform/lambda-http.js';
import { createLogger } from '../../shared/platform/logger.js';
import { readSiteFiles } from '../../shared/web/site-files.js';
import { createStaticSite } from '../../shared/web/static-site.js';

// Built once per container: this file runs from dist/functions/web-ui/, Vite writes dist/web/,
// and both are in the Lambda package (serverless.yml package.patterns).
const site = createStaticSite(readSiteFiles(fileURLToPath(new URL('../../web/', import.meta.url))));
const logger = createLogger(loadConfig().logLevel);

/** GET / and GET /{proxy+} — the web UI's files; the UI's own routes get index.html. */
export const handler = async (event: APIGatewayProxyEventV2) =>
  handleHttp(event, logger, async (request) => site.respond(request));
