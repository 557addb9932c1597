// The iframe form (embed.html): one <idlab-figure> made from the page's fragment
// (#preset=...&view=...&images=..., URLSearchParams; spec= is URI-encoded JSON), and what it
// does told to the parent page with postMessage:
//   {source: 'idlab', type: 'ready'}                    the figure is on the page
//   {source: 'idlab', type: 'progress', done, total, stage, label}
//   {source: 'idlab', type: 'result', result}          the whole result document
//   {source: 'idlab', type: 'error', message}
//   {source: 'idlab', type: 'resize', height}          the document's height in CSS pixels, on every change
// The messages go to any parent origin ('*'): they carry the figure's numbers, which the
// embedding page shows anyway, and nothing of the reader's.

const ATTRIBUTES = ['preset', 'spec', 'src', 'view', 'images', 'run', 'theme', 'width', 'height'];

function post(type, extra = {}) {
  if (window.parent && window.parent !== window) window.parent.postMessage({ source: 'idlab', type, ...extra }, '*');
}

function build() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const figure = document.createElement('idlab-figure');
  for (const name of ATTRIBUTES) {
    if (params.has(name)) figure.setAttribute(name, params.get(name));
  }
  figure.addEventListener('idlab-progress', (e) => post('progress', e.detail));
  figure.addEventListener('idlab-result', (e) => post('result', { result: e.detail }));
  figure.addEventListener('idlab-error', (e) => post('error', { message: e.detail.message }));
  document.body.replaceChildren(figure);
  return figure;
}

let last = -1;
new ResizeObserver(() => {
  const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
  if (height !== last) {
    last = height;
    post('resize', { height });
  }
}).observe(document.documentElement);

build();
post('ready');
window.addEventListener('hashchange', build);
