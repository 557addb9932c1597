// The names a figure's `view` attribute takes (the lab's view modules' names), apart from the
// views themselves so that reading the attribute loads none of them (views.js draws them).

export const VIEW_NAMES = ['overview', 'stimulus-sets', 'specificity', 'mapping', 'pruning', 'identifiability', 'classes', 'rdm-bars', 'heatmaps'];

/** The names in a `view` attribute (comma-separated), null for none; throws naming an unknown one. */
export function parseViews(attribute) {
  if (attribute === null || attribute === undefined || !attribute.trim()) return null;
  const names = attribute.split(',').map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !VIEW_NAMES.includes(n));
  if (unknown.length) {
    throw new Error(`Unknown view${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}. The views are: ${VIEW_NAMES.join(', ')}.`);
  }
  return names.length ? names : null;
}
