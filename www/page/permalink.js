// Permalinks: the spec travels in the URL's fragment (#spec=<URI-encoded compact JSON>):
// never sent to a server, readable, and a link reproduces the experiment.

import { ui, setFormNote } from './dom.js';
import { upgraded } from './core.js';
import { specTextLimit } from '../spec.js';

/** The spec a URL fragment carries (upgraded), null when it carries none; rejects naming the problem. */
export async function specFromLink(hash) {
  const m = /^#spec=(.*)$/s.exec(hash || '');
  if (!m) return null;
  let spec;
  try {
    const text = decodeURIComponent(m[1]);
    const limit = specTextLimit(text); // past it, the page's own code must not walk the spec
    if (limit) throw new Error(limit);
    spec = JSON.parse(text);
  } catch (err) {
    throw new Error(`The link's spec could not be read (${err.message}); showing the default experiment instead.`);
  }
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new Error("The link's spec is not a JSON object; showing the default experiment instead.");
  }
  try {
    return await upgraded(spec);
  } catch (err) {
    throw new Error(`The link's spec could not be read (${err.message}); showing the default experiment instead.`);
  }
}

/** Puts the spec in the address bar (no new history entry) and in the "link" anchor. */
export function updateLink(spec) {
  const url = `${location.pathname}${location.search}#spec=${encodeURIComponent(JSON.stringify(spec))}`;
  history.replaceState(null, '', url);
  ui.permalink.href = location.href;
}

/** The "Copy link" button. */
export function wirePermalink() {
  ui.copyLink.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      setFormNote('Link copied: it opens this experiment with this spec.');
    } catch {
      setFormNote('Copying was not allowed here: right-click "Link to this experiment" and copy the address.', 'warn');
    }
  });
}
