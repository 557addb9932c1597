// What an <idlab-figure> does (embed.js defines the element and loads this when the first one
// appears): read its attributes, show the spec's summary with its time and memory estimate and a
// Run button, run it on the page's one worker (lab-worker.js), draw the lab's views in its shadow
// root, and report: element.result and 'idlab-result', or the message inside the element and
// 'idlab-error'; 'idlab-progress' while it runs. Nothing outside the element is touched (but
// window.Plotly, added when the host has none).

import { LAB, core, runSpec, workerInfo } from './lab-worker.js';
import { specFromAttributes } from './spec-source.js';
import { vetSpec, refusalMessage } from '../url-safety.js';
import { parseViews } from './view-names.js';
import { baseSheets, plotlyStyles, syncPlotlyStyles } from './styles.js';
import { estimateSeconds, TIMING_SOURCE } from './timings.js';
import { formatBytes, formatSeconds, metricName, STAGE_NAMES, threadedBuild } from '../format.js';

/** "alexnet seed 0", a dataset's name, a user's file: how the summary names one side of a spec. */
function sideLabel(m) {
  if (m.label) return m.label;
  if (m.arch) return `${m.arch}${m.seed !== undefined ? ` seed ${m.seed}` : ''}${m.weights ? ' (trained)' : ''}`;
  return m.dataset || m.rdms || m.tflite || m.onnx || 'a model';
}

function sidesText(list) {
  const items = Array.isArray(list) ? list : [];
  return items.length > 3 ? `${items.length} models` : items.map(sideLabel).join(', ');
}

/** One line: what the spec compares, with which metrics, on how many images. */
function summaryLine(spec, images) {
  const metrics = (spec.metrics || []).map((m) => metricName(m.name || m)).join(', ');
  const n = images ? `, on ${images} image${images === 1 ? '' : 's'}` : '';
  return `${metrics || 'No metric'}: ${sidesText(spec.sources)} against ${sidesText(spec.targets)}${n}.`;
}

/** The caption's build phrase; `info` is the worker's {flavor, simd, threads, note?}. */
function buildPhrase(info) {
  if (info.flavor === 'threads') return `Build: ${threadedBuild(info)}.`;
  const why = globalThis.crossOriginIsolated ? (info.note ? ` (${info.note})` : '') : ': this page is not cross-origin isolated';
  return `Build: single-threaded${why}.`;
}

export class FigureController {
  constructor(element) {
    this.el = element;
    this.root = element.shadowRoot;
    this.generation = 0; // bumped by reset(): answers for an older set of attributes are dropped
    this.job = null;
    this.running = null;
    this.observer = null;
    this.spec = null;
    this.views = null;
    this.prepared = null;
    this.dark = globalThis.matchMedia ? matchMedia('(prefers-color-scheme: dark)') : null;
    this.onScheme = () => this.applyTheme();
    this.build();
  }

  build() {
    const $ = (tag, cls, text) => {
      const e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text) e.textContent = text;
      return e;
    };
    this.frame = $('div', 'frame');
    this.frame.setAttribute('part', 'frame');
    const head = $('div', 'head');
    this.nameEl = $('p', 'name', 'Loading the experiment…');
    this.summaryEl = $('p', 'summary');
    this.estimateEl = $('p', 'estimate');
    this.estimateEl.title = TIMING_SOURCE;
    head.append(this.nameEl, this.summaryEl, this.estimateEl);
    const controls = $('div', 'controls');
    this.runButton = $('button', 'run', 'Run');
    this.runButton.type = 'button';
    this.runButton.hidden = true;
    this.runButton.addEventListener('click', () => this.run());
    this.cancelButton = $('button', 'cancel', 'Cancel');
    this.cancelButton.type = 'button';
    this.cancelButton.hidden = true;
    this.cancelButton.addEventListener('click', () => this.cancel());
    this.progress = $('progress');
    this.progress.hidden = true;
    this.statusEl = $('p', 'status');
    this.statusEl.setAttribute('role', 'status');
    controls.append(this.runButton, this.cancelButton, this.progress, this.statusEl);
    this.errorEl = $('p', 'error');
    this.errorEl.setAttribute('role', 'alert');
    this.errorEl.hidden = true;
    this.area = $('div', 'area');
    this.captionEl = $('p', 'caption');
    this.paperEl = $('span', 'paper');
    this.buildEl = $('span', 'build');
    this.openLink = $('a', 'open', 'Open in the lab');
    this.openLink.target = '_blank';
    this.openLink.rel = 'noopener';
    this.openLink.hidden = true;
    this.captionEl.append(this.paperEl, this.buildEl, this.openLink);
    this.frame.append(head, controls, this.errorEl, this.area, this.captionEl);
    this.root.replaceChildren(this.frame);
    baseSheets().then(
      (sheets) => { this.root.adoptedStyleSheets = [...sheets, plotlyStyles()]; },
      (err) => this.fail(err),
    );
  }

  connect() {
    if (this.dark) this.dark.addEventListener('change', this.onScheme);
    this.reset();
  }

  disconnect() {
    if (this.dark) this.dark.removeEventListener('change', this.onScheme);
    this.stopObserving();
    this.cancel();
  }

  attr(name) {
    return this.el.getAttribute(name);
  }

  applyTheme() {
    const theme = (this.attr('theme') || 'auto').trim();
    const dark = theme === 'dark' || (theme !== 'light' && Boolean(this.dark && this.dark.matches));
    this.frame.classList.toggle('dark', dark);
  }

  /** Reads the attributes afresh (on connect and on any change) and shows the summary or runs. */
  reset() {
    const generation = ++this.generation;
    this.resolving = this.resetAs(generation);
    return this.resolving;
  }

  async resetAs(generation) {
    this.cancel();
    this.job = null;
    this.running = null;
    this.cancelButton.hidden = true;
    this.progress.hidden = true;
    this.stopObserving();
    this.applyTheme();
    this.area.style.width = this.attr('width') || '100%';
    this.area.style.height = this.attr('height') || '';
    this.spec = null;
    this.remoteHosts = [];
    this.prepared = null;
    this.clearError();
    this.area.replaceChildren();
    this.runButton.hidden = true;
    this.openLink.hidden = true;
    this.statusEl.textContent = '';
    this.estimateEl.textContent = '';
    try {
      this.views = parseViews(this.attr('view'));
      const { spec } = await specFromAttributes({
        preset: this.attr('preset'), spec: this.attr('spec'), src: this.attr('src'), images: this.attr('images'),
      });
      if (generation !== this.generation) return;
      // A URL on another site is fetched only once the reader presses "Load from HOST"; one on
      // their own network, or not http(s), never (url-safety.js).
      const vetted = vetSpec(spec, { page: location.href, lab: LAB.href });
      if (vetted.refused.length) throw new Error(refusalMessage(vetted.refused, "This figure's spec"));
      this.remoteHosts = vetted.hosts;
      this.spec = spec;
      this.nameEl.textContent = spec.name || 'Custom experiment';
      this.summaryEl.textContent = summaryLine(spec, spec.stimuli?.limit);
      this.paperEl.textContent = spec.figure ? `Figure: ${spec.figure}` : '';
      this.openLink.href = new URL(`index.html#spec=${encodeURIComponent(JSON.stringify(spec))}`, LAB).href;
      this.openLink.hidden = false;
    } catch (err) {
      if (generation === this.generation) this.fail(err, { title: true });
      return;
    }
    const mode = (this.attr('run') || 'click').trim();
    this.runButton.textContent = this.remoteHosts.length ? `Load from ${this.remoteHosts.join(', ')}` : 'Run';
    if (this.remoteHosts.length) {
      this.runButton.hidden = false; // never fetched from another site without the reader's click
      this.whenVisible(() => this.prepare().catch(() => {}));
    } else if (mode === 'load') {
      this.run();
    } else if (mode === 'visible') {
      this.whenVisible(() => this.run());
    } else {
      this.runButton.hidden = false;
      // The core's check and estimates load the wasm: only once the figure is on screen.
      this.whenVisible(() => this.prepare().catch(() => {}));
    }
  }

  whenVisible(then) {
    if (typeof IntersectionObserver === 'undefined') {
      then();
      return;
    }
    this.observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      this.stopObserving();
      then();
    });
    this.observer.observe(this.el);
  }

  stopObserving() {
    if (this.observer) this.observer.disconnect();
    this.observer = null;
  }

  /**
   * The spec checked by the core (upgraded; spec_inputs throws the spec's error) with its memory
   * and time estimates shown; once per set of attributes.
   */
  prepare() {
    if (!this.prepared) {
      const generation = this.generation;
      const spec = this.spec;
      this.prepared = (async () => {
        const upgraded = await core('upgrade_spec', spec);
        const inputs = await core('spec_inputs', upgraded);
        const memory = await core('estimate_memory', upgraded, { models: {}, weights: {}, upload_images: 0 });
        const info = await workerInfo();
        if (generation === this.generation) this.showEstimate(upgraded, inputs, memory, info);
        return upgraded;
      })();
      this.prepared.catch((err) => {
        if (generation === this.generation) this.fail(err);
        if (err && typeof err === 'object') err.shown = true; // run() does not report it twice
      });
    }
    return this.prepared;
  }

  showEstimate(spec, inputs, memory, info) {
    const images = (inputs.sets || []).reduce((n, s) => n + (Number.isFinite(s.n) ? s.n : 0), 0) || inputs.stimuli?.n || 0;
    this.summaryEl.textContent = summaryLine(spec, images);
    const archs = Array.isArray(memory.models) && memory.models.length
      ? memory.models.map((m) => m.arch || null)
      : [...(spec.sources || []), ...(spec.targets || [])].map((m) => m.arch || null);
    const time = estimateSeconds(archs, images, info.flavor);
    const memoryText = Number.isFinite(memory.total) ? `${formatBytes(memory.total)} of memory` : '';
    let timeText = '';
    if (time.counted) {
      timeText = `about ${formatSeconds(Math.max(1, time.seconds))} here`;
      if (time.missing) timeText += ` (${time.missing} model${time.missing === 1 ? '' : 's'} not counted)`;
    } else {
      timeText = 'time here unknown (no timing for these models)';
    }
    this.estimateEl.textContent = `Needs ${[memoryText, timeText].filter(Boolean).join(', ')}.`;
    this.buildEl.textContent = buildPhrase(info);
  }

  /** Runs the figure's spec (once; a second call while it runs returns the same promise). */
  run() {
    if (this.running) return this.running;
    if (!this.spec) {
      // Its attributes are still being read: run once they are (null when they name no spec).
      const resolving = this.resolving;
      return resolving ? resolving.then(() => (this.spec && this.resolving === resolving ? this.run() : null)) : Promise.resolve(null);
    }
    const generation = this.generation;
    this.clearError();
    this.runButton.hidden = true;
    this.cancelButton.hidden = false;
    this.cancelButton.disabled = false;
    this.progress.hidden = false;
    this.progress.removeAttribute('value');
    this.statusEl.textContent = 'Starting the compute worker…';
    this.frame.setAttribute('aria-busy', 'true');
    this.running = (async () => {
      try {
        const spec = await this.prepare();
        if (generation !== this.generation) return null;
        this.statusEl.textContent = 'Waiting for the figures before it on this page…';
        this.job = runSpec(spec, { onProgress: (p) => this.onProgress(p) });
        const [result] = await Promise.all([this.job.promise, import('./plotly-loader.js').then((m) => m.loadPlotly())]);
        if (generation !== this.generation) return null;
        this.statusEl.textContent = 'Drawing…';
        await this.draw(result);
        this.statusEl.textContent = `Done: computed in ${formatSeconds(result.seconds ?? 0)}.`;
        this.el.result = result;
        this.el.dispatchEvent(new CustomEvent('idlab-result', { detail: result, bubbles: true, composed: true }));
        return result;
      } catch (err) {
        if (generation !== this.generation) return null;
        if (err && err.cancelled) {
          this.statusEl.textContent = 'Cancelled.';
          this.runButton.hidden = false;
          return null;
        }
        if (!err || !err.shown) this.fail(err);
        this.runButton.hidden = false;
        return null;
      } finally {
        if (generation === this.generation) {
          this.job = null;
          this.running = null;
          this.cancelButton.hidden = true;
          this.progress.hidden = true;
          this.frame.removeAttribute('aria-busy');
        }
      }
    })();
    return this.running;
  }

  cancel() {
    if (this.job) {
      this.cancelButton.disabled = true;
      this.statusEl.textContent = 'Cancelling…';
      this.job.cancel();
    }
  }

  onProgress(p) {
    if (!p) return;
    const total = Number(p.total) || 0;
    if (total > 0) {
      this.progress.max = total;
      this.progress.value = Math.min(Number(p.done) || 0, total);
    }
    const stage = STAGE_NAMES[p.stage] || p.stage || '';
    this.statusEl.textContent = `${stage}${p.label ? ` ${p.label}` : ''}${total ? `: ${p.done} of ${total}` : ''}`;
    this.el.dispatchEvent(new CustomEvent('idlab-progress', {
      detail: { stage: p.stage, label: p.label, done: p.done, total: p.total }, bubbles: true, composed: true,
    }));
  }

  async draw(result) {
    const { drawViews } = await import('./views.js');
    await baseSheets();
    const plots = await drawViews(this.area, result, this.views);
    syncPlotlyStyles();
    for (const gd of plots) gd.on?.('plotly_afterplot', syncPlotlyStyles);
    this.buildEl.textContent = buildPhrase({ flavor: result.flavor, simd: result.simd === 'relaxed-simd' ? 'relaxed' : 'plain', threads: (await workerInfo()).threads });
  }

  clearError() {
    this.errorEl.hidden = true;
    this.errorEl.textContent = '';
  }

  /** Shows `err` inside the element and dispatches 'idlab-error' ({message}). */
  fail(err, { title = false } = {}) {
    const message = err && err.message ? err.message : String(err);
    if (title) {
      this.nameEl.textContent = 'This figure could not be shown';
      this.summaryEl.textContent = '';
    }
    this.errorEl.textContent = message;
    this.errorEl.hidden = false;
    this.el.dispatchEvent(new CustomEvent('idlab-error', { detail: { message }, bubbles: true, composed: true }));
  }
}
