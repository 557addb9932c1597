// Saving a file from the page: the one way the page and its views download what they made
// (nothing leaves the tab). Plain ES module, no other import: a view alone can use it.

/** Saves `data` (text or a Blob) as `filename` through a temporary object URL. */
export function download(filename, data, mime = 'application/octet-stream') {
  const blob = data instanceof Blob ? data : new Blob([data], { type: mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  // Clicked without being put into the document: a figure embedded in another site's page must
  // not add anything to that page's body.
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}
