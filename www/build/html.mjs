// HTML text for the generated pages: escaping and the page shell every page shares, so that
// each page only writes its own content.

import { CSP_META } from './csp.mjs';

/** Text (or an attribute value in double or single quotes) with &, <, >, " and ' escaped. */
export function esc(value) {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * A whole page: `root` is the path from the page to the site root ('' or '../'); `scripts` the
 * module scripts it loads (site-relative paths); `body` its main content (HTML); `footer` a sentence (text) for the footer.
 */
export function pageShell({ root, title, description, scripts = [], body, footer = '' }) {
  const moduleTags = scripts.map((src) => `  <script type="module" src="${esc(root + src)}"></script>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  ${CSP_META}
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${esc(title)}</title>
  <meta name="description" content="${esc(description)}">
  <link rel="icon" href="${esc(root)}favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="${esc(root)}site.css">
${moduleTags}
</head>
<body>
  <a class="skip-link" href="#main">Skip to content</a>
  <header class="site-header">
  <p class="site-name"><a href="${esc(root)}papers/index.html">idlab</a> <span class="subtitle">the identifiability lab</span></p>
  <nav class="site-nav" aria-label="Site">
    <a href="${esc(root)}index.html">The lab</a>
    <a href="${esc(root)}papers/index.html">Papers and documentation</a>
  </nav>
  </header>
  <main id="main">
${body}
  </main>
  <footer class="site-footer">
    <p>Generated from the lab's presets and documentation when the site was built.${footer ? ` ${esc(footer)}` : ''}</p>
  </footer>
</body>
</html>
`;
}
