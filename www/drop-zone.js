// A drop zone for files, with no other import: the lab (page/dom.js re-exports it) and the
// assignment page (assignment/open.js) both use it.

/** A drop zone: highlighted while something is dragged over it; `onDrop(event)` after preventDefault. */
export function dropZone(zone, onDrop) {
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    onDrop(event);
  });
}
