// A plain static file server for the tests (the npm package sirv): what an ordinary static host
// is. It sends no COOP/COEP, no CSP, nothing idlab-specific; with `cors: true` it adds
// `Access-Control-Allow-Origin: *`, as GitHub Pages does, so that another origin may load the
// lab's scripts, wasm and data. `headers` adds any other headers (a test of a host that allows
// them). Each server is its own origin (127.0.0.1 and its own port).

import http from 'node:http';
import sirv from 'sirv';

/**
 * Serves `dir` on 127.0.0.1 (an ephemeral port). Returns {url (ending in '/'), origin, close(),
 * requests: the paths asked, in order}.
 */
export async function startStatic(dir, { cors = false, headers = {} } = {}) {
  const serve = sirv(dir, {
    dev: true, // read from disk on every request: the tests rebuild nothing under it, but never a stale file
    setHeaders(res) {
      if (cors) res.setHeader('Access-Control-Allow-Origin', '*');
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    },
  });
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url);
    serve(req, res, () => {
      res.statusCode = 404;
      if (cors) res.setHeader('Access-Control-Allow-Origin', '*');
      res.end('not found');
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    url: `${origin}/`,
    origin,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
