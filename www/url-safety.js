// Which URLs a link may make the lab fetch. A permalink, an embedded figure or `?assignment=`
// comes from someone else: a URL it names (trained weights, a model, an assignment file) is
// fetched only after the reader agrees, seeing the host; an address on the reader's own network
// or a scheme other than http(s) is refused outright (a link must not make the tab probe the
// reader's router or read local files). URLs the user typed or picked in the form need none of
// this. The lab's own origin is never "remote".
//
// The rules are pure functions (classifyUrl, privateNetwork, specUrls, vetSpec: no DOM, tested
// from Node in tests/e2e/security.test.mjs); askToFetch is the one piece that draws.

/**
 * The kind of private network a host name is on ('loopback', 'private', 'link-local', 'local
 * name'), or null for a public host. `host` is a URL's hostname as the URL parser normalises it
 * (IPv4 in dotted decimal, IPv6 in brackets, lower case).
 */
export function privateNetwork(host) {
  const h = String(host || '').toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return 'loopback';
  if (h.endsWith('.local') || h.endsWith('.internal') || h.endsWith('.home.arpa')) return 'local name';
  const v4 = ipv4(h);
  if (v4) return ipv4Kind(v4);
  if (h.startsWith('[') && h.endsWith(']')) return ipv6Kind(h.slice(1, -1));
  return null;
}

/** [a, b, c, d] of a dotted-decimal IPv4 address, else null. */
function ipv4(h) {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

function ipv4Kind([a, b]) {
  if (a === 127) return 'loopback';
  if (a === 0) return 'private'; // 0.0.0.0 reaches the machine itself in some browsers
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // carrier-grade NAT, RFC 6598
  if (a === 169 && b === 254) return 'link-local';
  return null;
}

function ipv6Kind(addr) {
  const a = addr.toLowerCase();
  if (a === '::1') return 'loopback';
  if (a === '::') return 'private';
  // IPv4-mapped (::ffff:7f00:1, as the URL parser writes ::ffff:127.0.0.1): the IPv4 rules.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
  if (mapped) {
    const hi = parseInt(mapped[1], 16);
    const lo = parseInt(mapped[2], 16);
    return ipv4Kind([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  }
  const first = parseInt(a.split(':')[0] || '0', 16);
  if ((first & 0xfe00) === 0xfc00) return 'private'; // fc00::/7, unique local
  if ((first & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  return null;
}

const NETWORK_WORDS = {
  loopback: 'this computer',
  private: 'a private network',
  'link-local': 'the local link',
  'local name': 'the local network',
};

/**
 * What a link may do with `url`:
 *   {verdict: 'same-origin'} the lab's own site (`lab`, or the page itself): fetched as any of its files;
 *   {verdict: 'ask', host, url}  another site: fetched only once the reader allows it;
 *   {verdict: 'refuse', url, reason} never fetched; reason is a sentence for the reader.
 * `page` is the address of the page that follows the link and `lab` the lab's site (they differ
 * for a figure embedded in another site's page). An address of this computer is asked for, not
 * refused, only when the page itself is served from this computer (the lab run locally with
 * `idlab serve` and a second local server, as the tests do); any other private address is refused.
 */
export function classifyUrl(url, { page, lab = page } = {}) {
  const text = String(url ?? '').trim();
  let u;
  try {
    u = new URL(text, lab);
  } catch {
    return { verdict: 'refuse', url: text, reason: `"${text}" is not a URL.` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return { verdict: 'refuse', url: text, reason: `${u.protocol} URLs are not fetched from a link (only http and https).` };
  }
  const own = [lab, page].filter(Boolean).map((p) => new URL(p).origin);
  if (own.includes(u.origin)) return { verdict: 'same-origin', url: u.href };
  const kind = privateNetwork(u.hostname);
  if (kind) {
    const pageKinds = [page, lab].filter(Boolean).map((p) => privateNetwork(new URL(p).hostname));
    if (kind === 'loopback' && pageKinds.every((k) => k === 'loopback')) {
      return { verdict: 'ask', host: u.host, url: u.href };
    }
    return {
      verdict: 'refuse',
      url: u.href,
      reason: `${u.host} is an address on ${NETWORK_WORDS[kind]}; a link may not make this page fetch from it.`,
    };
  }
  return { verdict: 'ask', host: u.host, url: u.href };
}

/**
 * Every URL a spec names, as [{where, url, sha256?}]: the values of its `url` keys (trained
 * weights, at any depth, so a field added later is not missed); `where` is a JSON Pointer to it,
 * sha256 the hash given beside it (a file kept under it is not fetched again).
 */
export function specUrls(spec) {
  const out = [];
  const walk = (value, where) => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${where}/${i}`));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const at = `${where}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`;
        if (k === 'url' && typeof v === 'string') {
          out.push(typeof value.sha256 === 'string' ? { where: at, url: v, sha256: value.sha256 } : { where: at, url: v });
        } else walk(v, at);
      }
    }
  };
  walk(spec, '');
  return out;
}

/**
 * A linked spec's URLs sorted by what may be done with them: {refused: [{where, url, reason}],
 * ask: [{where, url, host}], hosts: the distinct hosts to ask about}. `context` as classifyUrl's.
 */
export function vetSpec(spec, context) {
  const refused = [];
  const ask = [];
  for (const { where, url, sha256 } of specUrls(spec)) {
    const c = classifyUrl(url, context);
    if (c.verdict === 'refuse') refused.push({ where, url, reason: c.reason });
    else if (c.verdict === 'ask') ask.push(sha256 ? { where, url: c.url, host: c.host, sha256 } : { where, url: c.url, host: c.host });
  }
  return { refused, ask, hosts: [...new Set(ask.map((a) => a.host))] };
}

/**
 * The URLs of `ask` that would be fetched: those not already kept in this browser (`kept`: the
 * weights cache's entries, {url, sha256}). A file kept under the sha256 the spec gives, or under
 * its URL when it gives none, is read from the cache and nothing is fetched, so nothing is asked
 * (the reader's own spec, reloaded with its URLs in the address bar, runs as before).
 */
export function notKept(ask, kept = []) {
  return ask.filter((a) => !kept.some((e) => (a.sha256 ? e.sha256 === a.sha256 : e.url === a.url)));
}

/** One sentence for the refused URLs of vetSpec (or of classifyUrl, as [{where, url, reason}]). */
export function refusalMessage(refused, what = "The link's spec") {
  const each = refused.map((r) => `${r.url}${r.where ? ` (at ${r.where})` : ''}: ${r.reason}`);
  return `Refused: ${what} names a URL the lab will not fetch from a link. ${each.join(' ')}`;
}

/**
 * Asks the reader, in the page's own DOM (a modal <dialog>, not window.confirm), whether to fetch
 * `urls` (from vetSpec's ask) for `what`; resolves true (Allow) or false (Cancel, Escape). Every
 * string reaches the dialog as text.
 */
export function askToFetch(urls, { what = "This link's experiment", doc = document } = {}) {
  const hosts = [...new Set(urls.map((u) => u.host))];
  const dialog = doc.createElement('dialog');
  dialog.className = 'url-confirm';
  dialog.setAttribute('aria-labelledby', 'url-confirm-title');
  const title = doc.createElement('h2');
  title.id = 'url-confirm-title';
  title.textContent = `Fetch files from ${hosts.join(', ')}?`;
  const lead = doc.createElement('p');
  lead.textContent = `${what} fetches files from another site. Nothing is fetched unless you allow it:`;
  const list = doc.createElement('ul');
  for (const u of urls) {
    const li = doc.createElement('li');
    const host = doc.createElement('strong');
    host.textContent = u.host;
    const code = doc.createElement('code');
    code.textContent = u.url;
    li.append(host, ': ', code);
    list.append(li);
  }
  const buttons = doc.createElement('p');
  buttons.className = 'url-confirm-buttons';
  const allow = doc.createElement('button');
  allow.type = 'button';
  allow.className = 'url-confirm-allow';
  allow.textContent = `Fetch from ${hosts.join(', ')}`;
  const cancel = doc.createElement('button');
  cancel.type = 'button';
  cancel.className = 'url-confirm-cancel';
  cancel.textContent = 'Cancel';
  buttons.append(allow, ' ', cancel);
  dialog.append(title, lead, list, buttons);
  doc.body.append(dialog);
  return new Promise((resolve) => {
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    allow.addEventListener('click', () => done(true));
    cancel.addEventListener('click', () => done(false));
    dialog.addEventListener('cancel', (event) => { event.preventDefault(); done(false); });
    dialog.showModal();
    cancel.focus();
  });
}
