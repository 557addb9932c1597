// Markdown of an assignment (instructions, step texts, prompts, hints) into a container: parsed
// by marked, any raw HTML in it shown as text, the output sanitised by DOMPurify, and links
// opened in a new tab. The core already refuses raw HTML and odd link schemes; this is the second guard.

import { Marked } from '../vendor/marked.esm.js';
import DOMPurify from '../vendor/purify.es.mjs';

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    // Raw HTML in the Markdown is text, never markup.
    html({ text }) {
      return escapeHtml(text);
    },
  },
});

function escapeHtml(s) {
  return String(s).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

const SAFE_LINK = /^(https?:|mailto:|#)/i;

/** Sanitised HTML of `markdown`: no script, no style, no event handler, links http(s), mailto or in-page only. */
export function markdownHtml(markdown) {
  const html = marked.parse(String(markdown ?? ''), { async: false });
  const clean = DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
    RETURN_DOM_FRAGMENT: true,
  });
  for (const a of clean.querySelectorAll('a')) {
    const href = a.getAttribute('href') || '';
    if (!SAFE_LINK.test(href)) {
      a.removeAttribute('href');
      continue;
    }
    if (!href.startsWith('#')) {
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
    }
  }
  for (const img of clean.querySelectorAll('img')) img.remove(); // nothing loads from elsewhere
  return clean;
}

/** A container (div.markdown) holding `markdown` rendered and sanitised. */
export function markdownBlock(markdown, className = 'markdown') {
  const div = document.createElement('div');
  div.className = className;
  div.append(markdownHtml(markdown));
  return div;
}
