// Plotly for the figures: the host's window.Plotly when it has one, else the lab's classic script
// (vendor/plotly.min.js from the lab's origin) added once to the host document. Loaded only
// when a figure is drawn.

import { LAB } from './lab-worker.js';

let loading = null;

/** Resolves with window.Plotly, loading the lab's copy first when the host has none. */
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = new URL('vendor/plotly.min.js', LAB).href;
      script.async = true;
      script.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error('the plotting library loaded but defined no window.Plotly')));
      script.onerror = () => {
        loading = null;
        reject(new Error(`the plotting library could not be loaded from ${script.src}`));
      };
      document.head.append(script);
    });
  }
  return loading;
}
