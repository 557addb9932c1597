// What a paper page says about the paper itself, read from its presets' own texts (never
// written here): the title, authors and venue from a preset's `figure` field, and one of the
// paper's quoted claims as the page's opening words.

/** A `figure` field that is the lab's own comparison, not a paper's figure. */
const OWN = /^no paper's figure/i;

/**
 * {title, authors, venue} from the first `figure` of `presets` that cites the paper:
 * "Authors (year), 'Title', venue, Fig. N" or "'Title' (venue), Fig. N". Null when none does.
 */
export function citation(presets) {
  for (const p of presets) {
    const figure = String(p.spec.figure || '');
    if (OWN.test(figure)) continue;
    // The title is the first quoted text that starts with a capital (a possessive's ' never does).
    const m = /'([A-Z][^']*)'/.exec(figure);
    if (!m) continue;
    const authors = figure.slice(0, m.index).replace(/[\s,]+$/, '');
    const after = figure.slice(m.index + m[0].length);
    const venue = after.split(/,?\s*Fig\.?\s/)[0].replace(/^[\s,]+|[\s,]+$/g, '').replace(/^\((.*)\)$/, '$1').split(';')[0];
    return { title: m[1], authors, venue };
  }
  return null;
}

/**
 * The claim whose quote opens the page: the first one from the paper's abstract or introduction
 * (where a paper states what it asks), else the first claim of the first preset.
 */
export function openingClaim(presets) {
  const claims = presets.flatMap((p) => p.spec.paper || []);
  return claims.find((c) => /abstract|introduction/i.test(c.where || '')) || claims[0] || null;
}
