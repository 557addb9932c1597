// The page's security (issue 17, part 3): one Content-Security-Policy on every page (a <meta> for
// static hosts, the same text as `idlab serve`'s header) under which every page works with no
// violation and an injected inline script is blocked; user strings (spec and model names, file
// names) reach the DOM as text; and a URL named by a link (permalink, embed, ?assignment=) is
// fetched only after the reader allows it, or never when it is on their own network or not
// http(s) (www/url-safety.js, whose rules are also tested here as pure functions).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  DIST, ROOT, DEFAULT_SPEC, useBrowser, startServer, openPage, waitReady, visibleError, waitForResult,
  cspViolations, outDir,
} from './helpers.mjs';
import { startStatic } from './static-server.mjs';
import { CSP } from '../../www/build/csp.mjs';
import { classifyUrl, privateNetwork, specUrls, vetSpec, notKept } from '../../www/url-safety.js';

const PAYLOAD = '<img src=x onerror="window.__pwned=1">';
/** Every page of the site (dist/), site-relative. */
const PAGES = listHtml(DIST);

function listHtml(dir, base = '') {
  return fs.readdirSync(path.join(dir, base), { withFileTypes: true }).flatMap((e) => {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) return ['node_modules', 'pkg', 'vendor', 'data', 'models'].includes(e.name) ? [] : listHtml(dir, rel);
    return e.name.endsWith('.html') ? [rel] : [];
  });
}

/** A linked spec: the default experiment on 4 images with `sources[0]` replaced. */
function specWith(source, extra = {}) {
  return { ...DEFAULT_SPEC, stimuli: { ...DEFAULT_SPEC.stimuli, limit: 4 }, sources: [source], ...extra };
}
const link = (base, spec, query = '?autorun=1') => `${base}index.html${query}#spec=${encodeURIComponent(JSON.stringify(spec))}`;
const SHA = 'a'.repeat(64);

const env = useBrowser();
let served; // idlab serve (headers: COOP/COEP and the CSP)
let plain; // a static host: no headers at all
let other; // another origin on this machine: the "remote" site a link names
before(async () => {
  served = await startServer({ isolation: true });
  plain = await startStatic(DIST);
  other = await startStatic(path.join(ROOT, 'tests/fixtures/blog'), { cors: true });
});
after(async () => {
  await served?.close();
  await plain?.close();
  await other?.close();
});

// ------------------------------------------------------------------ the rules, as pure functions

test('url-safety: private networks, schemes and the lab\'s own origin', () => {
  for (const [host, kind] of [
    ['localhost', 'loopback'], ['127.0.0.1', 'loopback'], ['127.8.9.1', 'loopback'], ['[::1]', 'loopback'],
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'], ['[fc00::1]', 'private'], ['[fd12:3456::1]', 'private'], ['[fe80::1]', 'link-local'],
    ['printer.local', 'local name'], ['[::ffff:7f00:1]', 'loopback'], ['[::ffff:c0a8:101]', 'private'], ['0.0.0.0', 'private'],
    ['172.32.0.1', null], ['172.15.0.1', null], ['8.8.8.8', null], ['huggingface.co', null], ['[2606:4700::1]', null],
  ]) assert.equal(privateNetwork(host), kind, host);
  // The URL parser's normal forms: hex, octal and integer IPv4 become dotted decimal first.
  assert.equal(classifyUrl('http://0xc0.0xa8.1.1/x', { page: 'https://lab.example/' }).verdict, 'refuse');
  assert.equal(classifyUrl('http://3232235777/x', { page: 'https://lab.example/' }).verdict, 'refuse');

  const pub = { page: 'https://lab.example/index.html' };
  assert.equal(classifyUrl('https://huggingface.co/m.safetensors', pub).verdict, 'ask');
  assert.equal(classifyUrl('https://huggingface.co/m.safetensors', pub).host, 'huggingface.co');
  assert.equal(classifyUrl('models/trained/x.pth', pub).verdict, 'same-origin');
  assert.equal(classifyUrl('https://lab.example/w.pth', pub).verdict, 'same-origin');
  for (const bad of ['javascript:alert(1)', 'JavaScript:alert(1)', 'file:///etc/passwd', 'data:text/plain,hi', 'ftp://x.org/w']) {
    const c = classifyUrl(bad, pub);
    assert.equal(c.verdict, 'refuse', bad);
    assert.match(c.reason, /only http and https/);
  }
  for (const lan of ['http://192.168.1.1/x', 'http://10.0.0.1/w.pth', 'http://localhost:8080/w', 'http://[::1]/w', 'http://nas.local/w']) {
    const c = classifyUrl(lan, pub);
    assert.equal(c.verdict, 'refuse', lan);
    assert.match(c.reason, /a link may not make this page fetch from it/);
  }
  // The lab served from this computer (idlab serve): another port of this computer is asked for,
  // a private network is still refused; its own origin is never remote.
  const local = { page: 'http://127.0.0.1:8080/index.html' };
  assert.deepEqual(classifyUrl('http://127.0.0.1:9999/w.pth', local), { verdict: 'ask', host: '127.0.0.1:9999', url: 'http://127.0.0.1:9999/w.pth' });
  assert.equal(classifyUrl('http://127.0.0.1:8080/w.pth', local).verdict, 'same-origin');
  assert.equal(classifyUrl('http://192.168.1.1/x', local).verdict, 'refuse');
  // An embed on a public page: loopback refused even though the lab is local.
  assert.equal(classifyUrl('http://127.0.0.1:9999/w', { page: 'https://blog.example/', lab: 'http://127.0.0.1:8080/' }).verdict, 'refuse');

  const spec = specWith({ arch: 'alexnet', weights: { url: 'https://h.example/a.pth', sha256: SHA } },
    { targets: [{ arch: 'alexnet', weights: { url: 'http://192.168.1.1/x', sha256: SHA } }] });
  assert.deepEqual(specUrls(spec).map((u) => u.where), ['/sources/0/weights/url', '/targets/0/weights/url']);
  const v = vetSpec(spec, pub);
  assert.deepEqual(v.hosts, ['h.example']);
  assert.deepEqual(v.refused.map((r) => r.url), ['http://192.168.1.1/x']);
  // A file already kept in this browser under the spec's sha256 is not fetched: nothing to ask.
  assert.equal(notKept(v.ask, [{ url: 'https://elsewhere.example/a.pth', sha256: SHA }]).length, 0);
  assert.equal(notKept(v.ask, [{ url: 'https://h.example/a.pth', sha256: 'b'.repeat(64) }]).length, 1);
});

// ------------------------------------------------------------------ one policy, everywhere

test('every page of dist/ carries the policy as a <meta>, and idlab serve sends it as a header', async () => {
  assert.ok(PAGES.length >= 8, `pages found: ${PAGES.join(', ')}`);
  const directives = Object.fromEntries(CSP.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.deepEqual(directives['script-src'], ["'self'", "'wasm-unsafe-eval'"]);
  assert.deepEqual(directives['object-src'], ["'none'"]);
  assert.deepEqual(directives['base-uri'], ["'self'"]);
  assert.ok(!directives['frame-ancestors'], 'the lab and the embed stay frameable');
  for (const rel of PAGES) {
    const html = fs.readFileSync(path.join(DIST, rel), 'utf8');
    const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
    assert.ok(m, `${rel} has no CSP <meta>`);
    assert.equal(m[1], CSP, `${rel}: its CSP is not www/build/csp.mjs's`);
    if (html.includes('<script')) assert.ok(html.indexOf(m[0]) < html.indexOf('<script'), `${rel}: the <meta> must come before every script`);
    for (const [tag, open, body] of html.matchAll(/(<script\b[^>]*>)([\s\S]*?)<\/script>/g)) {
      const data = /type="application\/json"/.test(open);
      assert.ok(data || (/\bsrc=/.test(open) && !body.trim()), `${rel}: an inline script ${tag.slice(0, 80)}`);
    }
    assert.doesNotMatch(html, /\son[a-z]+\s*=\s*["']/i, `${rel}: an inline event handler`);
  }
  for (const file of ['index.html', 'embed.html', 'worker.js', 'papers/index.html']) {
    const resp = await fetch(`${served.url}${file}`);
    assert.equal(resp.status, 200, file);
    assert.equal(resp.headers.get('content-security-policy'), CSP, `${file}: the header`);
    assert.equal(resp.headers.get('cross-origin-opener-policy'), 'same-origin', file);
    assert.equal(resp.headers.get('cross-origin-embedder-policy'), 'require-corp', file);
    assert.equal(resp.headers.get('document-isolation-policy'), file === 'embed.html' ? 'isolate-and-require-corp' : null, file);
  }
});

// ------------------------------------------------------------------ pages under the policy

test('under idlab serve: a run whose names carry markup, no violation, nothing executed; an injected inline script is blocked', async () => {
  const spec = specWith({ arch: 'alexnet', seed: 0, label: PAYLOAD }, { name: PAYLOAD, targets: [{ arch: 'alexnet', seed: 1, label: `${PAYLOAD} & <b>bold</b>` }] });
  const { page, context, problems } = await openPage(env.browser, link(served.url, spec));
  try {
    assert.equal((await waitReady(page)).flavor, 'threads');
    const result = await waitForResult(page, 120000);
    assert.equal(result.spec.name, PAYLOAD);
    // A file picked with such a name (the images of "Your data"): shown as text.
    const png = fs.readFileSync(path.join(DIST, 'data/kriegeskorte92/images/000.png'));
    await page.setInputFiles('#upload-images', [{ name: `${PAYLOAD}.png`, mimeType: 'image/png', buffer: png }]);
    await page.waitForFunction(() => document.querySelector('#thumbs figcaption') !== null, null, { timeout: 10000 }).catch(() => {});
    // Layer names come from the user's ONNX files: the lab's views draw this result again with
    // every layer renamed to carry markup (cheaper than an ONNX file with such names). Plotly
    // would read the <b> as bold and drop it: escaped, the tick shows the name as it is.
    const layerPlots = await page.evaluate(async (payload) => {
      const r = structuredClone(window.idlab.lastResult);
      const names = new Map();
      for (const m of r.models) for (const l of m.layers || []) {
        const n = typeof l === 'string' ? l : l && l.name;
        if (typeof n === 'string' && !names.has(n)) names.set(n, `<b>${names.size}</b>${payload}`);
      }
      const rename = (v) => (typeof v === 'string' ? (names.get(v) ?? v) : Array.isArray(v) ? v.map(rename)
        : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rename(x)])) : v);
      const { renderResult } = await import(new URL('views/index.js', location.href).href);
      const box = document.createElement('div');
      box.id = 'renamed-layers';
      document.body.append(box);
      await renderResult(box, rename(r));
      return { renamed: names.size, ticks: [...box.querySelectorAll('.xtick, .ytick')].map((t) => t.textContent).filter((t) => /<b>\d+<\/b><img src=x/.test(t)).length };
    }, PAYLOAD);
    assert.ok(layerPlots.renamed >= 8, `layers renamed: ${layerPlots.renamed}`);
    assert.ok(layerPlots.ticks >= 8, `tick labels showing the layer names as text: ${layerPlots.ticks}`);
    const dom = await page.evaluate(() => ({
      pwned: window.__pwned,
      imgs: document.querySelectorAll('img[src="x"], svg image[href="x"]').length,
      text: document.body.innerText.includes('<img src=x'),
      plotText: [...document.querySelectorAll('.js-plotly-plot')].some((p) => p.textContent.includes('<img src=x')),
    }));
    await page.screenshot({ path: path.join(outDir('security'), 'markup-names.png'), fullPage: false });
    assert.equal(dom.pwned, undefined, 'a name ran script');
    assert.equal(dom.imgs, 0, 'a name became an <img> element');
    assert.ok(dom.text, 'the name is shown as text');
    assert.ok(dom.plotText, 'the plots show the names as text');
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(problems, []);

    // The policy bites: an inline script, an inline handler and eval are refused and reported.
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1';
      document.head.append(s);
      const b = document.createElement('button');
      b.id = 'csp-probe';
      b.textContent = 'probe';
      b.setAttribute('onclick', 'window.__handler = 1');
      // eval and new Function from the page's own event (not from the test's evaluate, which
      // DevTools exempts from the policy).
      b.addEventListener('click', () => {
        try { window.__evaluated = (0, eval)('1 + 1'); } catch (err) { window.__evaluated = err.name; }
        try { window.__constructed = new Function('return 2')(); } catch (err) { window.__constructed = err.name; }
      });
      document.body.prepend(b);
    });
    await page.click('#csp-probe');
    await page.waitForTimeout(200);
    assert.deepEqual(await page.evaluate(() => [window.__inline, window.__handler, window.__evaluated, window.__constructed]),
      [undefined, undefined, 'EvalError', 'EvalError']);
    const violations = await cspViolations(page);
    assert.ok(violations.some((v) => /script-src-elem/.test(v)), violations.join('\n'));
    assert.ok(violations.some((v) => /script-src-attr/.test(v)), violations.join('\n'));
    assert.ok(violations.some((v) => /script-src blocked eval/.test(v)), violations.join('\n'));
  } finally {
    await context.close();
  }
});

// Under idlab serve the header also governs the workers (wasm, the rayon pool): the lab gets
// ready and the embed runs there; on the static host only the pages' <meta> applies.
for (const [name, base, full] of [['idlab serve', () => served.url, true], ['a static host with no headers', () => plain.url, false]]) {
  test(`every page works with no CSP violation (${name})`, async () => {
    // The lab under idlab serve is checked by the run above (with a run, and its workers).
    for (const rel of PAGES.filter((r) => !(full && r === 'index.html'))) {
      const t0 = Date.now();
      const query = rel === 'index.html' ? '?autorun=0' : rel === 'embed.html' ? `#preset=alexnet-seeds-cka&images=4&run=${full ? 'load' : 'click'}` : '';
      const { page, context, problems } = await openPage(env.browser, `${base()}${rel}${query}`);
      try {
        if (rel === 'index.html' && full) await waitReady(page);
        if (rel === 'embed.html' && full) {
          await page.waitForFunction(() => document.querySelector('idlab-figure')?.result, null, { timeout: 60000 });
        }
        if (rel === 'assignment.html' && full) await page.waitForFunction(() => window.idlabAssignment && window.idlabAssignment.state !== 'starting', null, { timeout: 30000 });
        await page.waitForTimeout(100);
        assert.deepEqual(await cspViolations(page), [], rel);
        assert.deepEqual(problems, [], rel);
      } finally {
        await context.close();
        if (process.env.SECURITY_TIMES) console.log(`${rel}: ${Date.now() - t0} ms`);
      }
    }
  });
}

// ------------------------------------------------------------------ URLs a link names

test('a permalink naming weights on another site asks first, showing the host: Cancel fetches nothing, Allow fetches', async () => {
  const url = `${other.url}weights/alexnet.pth`;
  const spec = specWith({ arch: 'alexnet', weights: { url, sha256: SHA } });
  const host = new URL(other.url).host;
  for (const choice of ['cancel', 'allow']) {
    other.requests.length = 0;
    const { page, context } = await openPage(env.browser, link(served.url, spec));
    try {
      const dialog = page.locator('dialog.url-confirm');
      await dialog.waitFor({ state: 'visible', timeout: 30000 });
      assert.match(await dialog.innerText(), new RegExp(`Fetch files from ${host.replace(/\./g, '\\.')}`));
      assert.match(await dialog.innerText(), /weights\/alexnet\.pth/);
      await page.waitForTimeout(500);
      assert.deepEqual(other.requests, [], 'fetched before the reader answered');
      await dialog.locator(choice === 'cancel' ? 'button.url-confirm-cancel' : 'button.url-confirm-allow').click();
      if (choice === 'cancel') {
        await page.waitForFunction(() => /Not run/.test(document.getElementById('form-note')?.textContent || ''), null, { timeout: 30000 });
        await page.waitForTimeout(1000);
        assert.deepEqual(other.requests, [], 'Cancel fetched');
        assert.equal(await page.evaluate(() => window.idlab.running), false);
      } else {
        const deadline = Date.now() + 60000;
        while (!other.requests.some((r) => r.includes('alexnet.pth')) && Date.now() < deadline) await page.waitForTimeout(200);
        assert.ok(other.requests.some((r) => r.includes('alexnet.pth')), `Allow did not fetch: ${other.requests.join(', ')}`);
      }
    } finally {
      await context.close();
    }
  }
});

test('a permalink naming a private-network or javascript: URL is refused with the reason', async () => {
  for (const [url, reason] of [['http://192.168.1.1/x', /192\.168\.1\.1.*(private network|fetch from it)/], ['javascript:alert(1)', /javascript/]]) {
    const spec = specWith({ arch: 'alexnet', weights: { url, sha256: SHA } });
    const { page, context } = await openPage(env.browser, link(served.url, spec));
    try {
      await page.waitForFunction(() => {
        const e = document.getElementById('error');
        return e && !e.hidden && e.textContent.trim();
      }, null, { timeout: 30000 });
      const message = await visibleError(page);
      assert.match(message, reason, message);
      assert.equal(await page.locator('dialog.url-confirm').count(), 0);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
    } finally {
      await context.close();
    }
  }
});

test('the embed shows "Load from HOST" instead of fetching, and refuses a private address', async () => {
  other.requests.length = 0;
  const url = `${other.url}weights/embed.pth`;
  const host = new URL(other.url).host;
  const spec = specWith({ arch: 'alexnet', weights: { url, sha256: SHA } });
  const frag = (s) => `embed.html#spec=${encodeURIComponent(JSON.stringify(s))}&run=load`;
  let { page, context } = await openPage(env.browser, `${served.url}${frag(spec)}`);
  try {
    const button = page.locator('idlab-figure button.run');
    await button.waitFor({ state: 'visible', timeout: 30000 });
    assert.equal((await button.innerText()).trim(), `Load from ${host}`);
    await page.waitForTimeout(1000);
    assert.deepEqual(other.requests, [], 'the embed fetched without a click');
    await button.click();
    const deadline = Date.now() + 60000;
    while (!other.requests.some((r) => r.includes('embed.pth')) && Date.now() < deadline) await page.waitForTimeout(200);
    assert.ok(other.requests.some((r) => r.includes('embed.pth')), 'the click did not fetch');
  } finally {
    await context.close();
  }
  ({ page, context } = await openPage(env.browser, `${served.url}${frag(specWith({ arch: 'alexnet', weights: { url: 'http://10.0.0.1/w.pth', sha256: SHA } }))}`));
  try {
    const error = page.locator('idlab-figure p.error');
    await error.waitFor({ state: 'visible', timeout: 30000 });
    assert.match(await error.innerText(), /Refused.*10\.0\.0\.1/s);
  } finally {
    await context.close();
  }
});

test('?assignment= on another site asks first; Cancel fetches nothing and says so; a private address is refused', async () => {
  other.requests.length = 0;
  const remote = `${other.url}course/hw.idlab.zip`;
  let { page, context } = await openPage(env.browser, `${served.url}assignment.html?assignment=${encodeURIComponent(remote)}`);
  try {
    const dialog = page.locator('dialog.url-confirm');
    await dialog.waitFor({ state: 'visible', timeout: 30000 });
    assert.match(await dialog.innerText(), new RegExp(new URL(other.url).host.replace(/\./g, '\\.')));
    await dialog.locator('button.url-confirm-cancel').click();
    await page.waitForFunction(() => window.idlabAssignment.state === 'refused', null, { timeout: 10000 });
    assert.match(await page.evaluate(() => window.idlabAssignment.error), /not fetched/);
    assert.deepEqual(other.requests, []);
  } finally {
    await context.close();
  }
  ({ page, context } = await openPage(env.browser, `${served.url}assignment.html?assignment=${encodeURIComponent('http://192.168.1.1/hw.idlab.zip')}`));
  try {
    await page.waitForFunction(() => window.idlabAssignment?.state === 'refused', null, { timeout: 30000 });
    assert.match(await page.evaluate(() => window.idlabAssignment.error), /Refused.*192\.168\.1\.1/s);
  } finally {
    await context.close();
  }
});
