// The style sheets a figure's shadow root adopts (constructable style sheets): the lab's
// views.css, the embed's own embed.css, and a copy of the rules Plotly puts into the host's
// document.head (its mode bar, hover labels and cursors), which cannot reach inside a shadow root.

import { LAB } from './lab-worker.js';

let base = null;
const plotlySheet = new CSSStyleSheet();

/** Resolves with [views.css, embed.css] as CSSStyleSheets (fetched once per page). */
export function baseSheets() {
  if (!base) {
    base = Promise.all(['views.css', 'embed/embed.css'].map(async (path) => {
      const url = new URL(path, LAB);
      const resp = await fetch(url);
      if (!resp.ok) throw new Error(`Could not load ${url.href}: HTTP ${resp.status}`);
      const sheet = new CSSStyleSheet();
      await sheet.replace(await resp.text());
      return sheet;
    }));
    base.catch(() => { base = null; });
  }
  return base;
}

/** The sheet holding Plotly's rules (shared by every figure; see syncPlotlyStyles). */
export function plotlyStyles() {
  return plotlySheet;
}

/** Copies Plotly's current rules from the host's <style id="plotly.js-style-..."> elements. */
export function syncPlotlyStyles() {
  const text = [];
  for (const style of document.querySelectorAll('style[id^="plotly.js-style"]')) {
    try {
      for (const rule of style.sheet?.cssRules ?? []) text.push(rule.cssText);
    } catch {
      // a sheet that cannot be read adds nothing
    }
  }
  plotlySheet.replaceSync(text.join('\n'));
}
