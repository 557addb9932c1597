// The site's Content-Security-Policy: the `<meta http-equiv>` of every page (written into the
// generated pages by html.mjs; index.html, embed.html and assignment.html hold the same text) and
// the header `idlab serve` sends (crate/src/bin/idlab/serve.rs, CSP). tests/e2e/security.test.mjs
// checks that every page of dist/ and the header carry this one text.
//
// Why each part: scripts only from the site, wasm compiled but no eval ('wasm-unsafe-eval');
// workers from the site, or a blob: trampoline where a page on another origin starts the lab's
// worker (page/worker-link.js); styles inline too, since Plotly injects a <style> element and
// sets style attributes and the embed carries its CSS into its shadow root (a style cannot run
// script); images from the site or made in the tab (thumbnails, Plotly's PNG export); fetches
// from the site, https: (the user's models, weights and data) and the user's own machine over
// plain http (a local server); no plugins; <base> and form targets only on the site.
export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' https: http://localhost:* http://127.0.0.1:* blob: data:; object-src 'none'; base-uri 'self'; form-action 'self'";

/** The policy as a <meta> element (meta cannot carry frame-ancestors: the lab and embed stay frameable). */
export const CSP_META = `<meta http-equiv="Content-Security-Policy" content="${CSP}">`;
