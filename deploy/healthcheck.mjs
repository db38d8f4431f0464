/**
 * The container's health check (the Dockerfile's HEALTHCHECK; any supervisor may run it):
 * exit 0 when GET /health answers 200 within 3 s, 1 otherwise, with the reason on stderr.
 * Node, not curl: the slim image has no curl. Plain JavaScript, so it needs no build.
 *
 * Address: HEALTHCHECK_URL when set, else http://127.0.0.1:$PORT/health (PORT 3000 by
 * default), https when the built-in TLS is on (TLS_CERT_FILE; docs/tls.md). It is a liveness
 * probe over loopback, so the certificate is not verified here (it is issued for the public
 * name, not 127.0.0.1); whether MAX will trust it is `doctor`'s question.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import process from 'node:process';
import { URL } from 'node:url';

const TIMEOUT_MS = 3_000;
const port = process.env.PORT?.trim() || '3000';
const scheme = process.env.TLS_CERT_FILE?.trim() ? 'https' : 'http';
const url = new URL(process.env.HEALTHCHECK_URL?.trim() || `${scheme}://127.0.0.1:${port}/health`);

function fail(reason) {
  process.stderr.write(`health check: ${url.href}: ${reason}\n`);
  process.exit(1);
}

const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
const request = send(url, { method: 'GET', timeout: TIMEOUT_MS, rejectUnauthorized: false }, (response) => {
  response.resume();
  if (response.statusCode === 200) process.exit(0);
  fail(`answered ${response.statusCode}`);
});
request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
request.on('error', (err) => fail(err.code ?? err.message));
request.end();
