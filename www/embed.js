// <idlab-figure>: a live idlab experiment in any page, with one script tag:
//   <script type="module" src="https://HOST/PATH/embed.js"></script>
//   <idlab-figure preset="random-alexnet-vs-it" view="rdm-bars" images="16"></idlab-figure>
// Attributes: preset | spec (JSON text) | src (a spec's URL), view (view names, comma-separated),
// images, run="click|visible|load", theme="light|dark|auto", width, height. Properties and
// events: element.result and 'idlab-result' (detail: the result document), 'idlab-error'
// (detail: {message}), 'idlab-progress'; methods run() and cancel().
// This file only defines the element: the rest (embed/figure.js, the views) loads when the first
// figure appears, the wasm when one is on screen, Plotly and the data when one runs; all of it
// from this script's own origin and folder (the lab's), whatever page includes it.

const FIGURE = new URL('./embed/figure.js', import.meta.url).href;

class IdlabFigure extends HTMLElement {
  static observedAttributes = ['preset', 'spec', 'src', 'view', 'images', 'run', 'theme', 'width', 'height'];

  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    /** The result document of the last run (null before one ends). */
    this.result = null;
    this.controller = null;
    this.loading = null;
  }

  /** The controller (embed/figure.js), loaded once per page. */
  load() {
    if (!this.loading) {
      this.loading = import(FIGURE).then((m) => {
        this.controller = new m.FigureController(this);
        return this.controller;
      }, (err) => {
        const message = `The idlab figure could not be loaded from ${FIGURE}: ${err && err.message ? err.message : err}`;
        const p = document.createElement('p');
        p.setAttribute('role', 'alert');
        p.textContent = message;
        this.shadowRoot.replaceChildren(p);
        this.dispatchEvent(new CustomEvent('idlab-error', { detail: { message }, bubbles: true, composed: true }));
        throw err;
      });
      this.loading.catch(() => {});
    }
    return this.loading;
  }

  connectedCallback() {
    this.load().then((c) => c.connect(), () => {});
  }

  disconnectedCallback() {
    if (this.controller) this.controller.disconnect();
  }

  attributeChangedCallback(name, before, after) {
    if (before !== after && this.isConnected && this.controller) this.controller.reset();
  }

  /** Runs the figure now (whatever its run attribute); resolves with the result, or null when it did not run. */
  run() {
    return this.load().then((c) => c.run());
  }

  /** Cancels its run (the worker stops between two steps, unless another figure waits for the same spec). */
  cancel() {
    if (this.controller) this.controller.cancel();
  }
}

if (!customElements.get('idlab-figure')) customElements.define('idlab-figure', IdlabFigure);
