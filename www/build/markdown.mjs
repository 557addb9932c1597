// README.md and BENCHMARKS.md as pages of the site: rendered with `marked` (GitHub-flavoured
// Markdown) and `marked-gfm-heading-id` (GitHub's heading ids, so `#section` links work as on
// GitHub). Relative links are rewritten to what the site holds: the Markdown files to their
// pages, other files of dist/ kept; a link to a file the site does not hold becomes plain text
// (there is no repository URL to point at).

import fs from 'node:fs';
import path from 'node:path';
import { Marked } from 'marked';
import { gfmHeadingId, getHeadingList } from 'marked-gfm-heading-id';
import { esc } from './html.mjs';

/** The Markdown documents that become pages, by file name. */
export const DOCUMENTS = { 'README.md': 'readme.html', 'BENCHMARKS.md': 'benchmarks.html' };

/** Where a relative link of a document at the site root points in `dist`, or null for none. */
export function siteTarget(href, dist) {
  const [file, fragment] = splitFragment(href);
  if (!file) return href; // same-document #fragment
  const name = file.replace(/^\.\//, '');
  if (DOCUMENTS[name]) return DOCUMENTS[name] + fragment;
  // Repository paths into the site's sources (www/...) are at the root of dist/.
  for (const candidate of [name, name.replace(/^www\//, '')]) {
    const full = path.join(dist, candidate);
    if (full.startsWith(path.resolve(dist)) && fs.existsSync(full)) return candidate + fragment;
  }
  return null;
}

function splitFragment(href) {
  const i = href.indexOf('#');
  return i < 0 ? [href, ''] : [href.slice(0, i), href.slice(i)];
}

/** A Markdown file as {html, headings: [{id, depth, text}]} with its links rewritten for `dist`. */
export function renderDocument(markdown, dist) {
  const marked = new Marked();
  marked.use(gfmHeadingId());
  marked.use({
    renderer: {
      link({ href, title, tokens }) {
        const text = this.parser.parseInline(tokens);
        const external = /^[a-z][a-z0-9+.-]*:/i.test(href);
        const target = external ? href : siteTarget(href, dist);
        if (target === null) return `<span class="unlinked">${text}</span>`;
        const titleAttr = title ? ` title="${esc(title)}"` : '';
        return `<a href="${esc(target)}"${titleAttr}>${text}</a>`;
      },
      image({ href, title, text }) {
        const external = /^[a-z][a-z0-9+.-]*:/i.test(href);
        const target = external ? href : siteTarget(href, dist);
        if (target === null) return esc(text);
        return `<img src="${esc(target)}" alt="${esc(text)}"${title ? ` title="${esc(title)}"` : ''}>`;
      },
    },
  });
  const html = marked.parse(markdown);
  return { html, headings: getHeadingList() };
}
