// The service worker's precache list and version: `node www/build/precache.mjs dist` (build.sh
// site runs it last, after every other file of dist/ is written). It lists dist/'s files,
// writes dist/precache.json ({version, bytes, shell, bulk, hashes: {path: the file's
// short sha256}}) and stamps dist/sw.js with the
// version, a short sha256 over sw.js's own code and the listed files' paths and contents: a deploy that changes any
// listed file changes sw.js's bytes (what the browser's update check compares) and the name of
// its cache (idlab-site-<version>).
//
// Not listed: sw.js and precache.json themselves, trained weight files (models/trained/: the
// compute worker keeps each one when it first fetches it), TypeScript declarations (*.d.ts)
// and hidden files. "shell" is what the worker keeps on install (small: pages, scripts,
// styles, presets, catalogues); "bulk" (pkg/, vendor/, data/: the three wasm builds, Plotly, the
// images, RDMs and recordings) is kept once a page asks, so that the first visit does not wait
// for it.

import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

const SKIP = [/\.(br|gz)$/, /^sw\.js$/, /^precache\.json$/, /^models\/trained\//, /\.d\.ts$/, /(^|\/)\./];
const BULK = [/^pkg\//, /^vendor\//, /^data\//];
const VERSION_LINE = /^const VERSION = '[^']*';/m;

/** Every file under `dir` (following symbolic links), as '/'-separated paths, sorted. */
function walk(dir, prefix = '') {
  const out = [];
  for (const name of fs.readdirSync(path.join(dir, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const stat = fs.statSync(path.join(dir, rel));
    if (stat.isDirectory()) out.push(...walk(dir, rel));
    else if (stat.isFile()) out.push(rel);
  }
  return out;
}

/** A path as it appears in a URL (each segment percent-encoded where needed). */
const urlPath = (rel) => rel.split('/').map(encodeURIComponent).join('/');

function main(dist) {
  if (!dist) throw new Error('usage: node www/build/precache.mjs DIST_DIR');
  const swFile = path.join(dist, 'sw.js');
  if (!fs.existsSync(swFile)) throw new Error(`${swFile} is missing (build.sh site copies it from www/sw.js)`);
  const files = walk(dist).filter((rel) => !SKIP.some((re) => re.test(rel)));
  // One hash over every listed file's path and bytes, in sorted order (about 60 MB: well under a second).
  // Each file's own hash too: a new version's worker copies the files whose hash did not change
  // from the old version's cache instead of downloading them again.
  const sw = fs.readFileSync(swFile, 'utf8');
  if (!VERSION_LINE.test(sw)) throw new Error(`${swFile} has no "const VERSION = '…';" line to stamp`);
  const hash = crypto.createHash('sha256');
  hash.update(sw.replace(VERSION_LINE, '')); // a change to the worker itself is a new version too
  const hashes = {};
  let bytes = 0;
  for (const rel of files) {
    const data = fs.readFileSync(path.join(dist, rel));
    hash.update(`${rel}\0${data.length}\0`);
    hash.update(data);
    hashes[urlPath(rel)] = crypto.createHash('sha256').update(data).digest('hex').slice(0, 16);
    bytes += data.length;
  }
  const version = hash.digest('hex').slice(0, 12);
  const shell = [];
  const bulk = [];
  for (const rel of files) (BULK.some((re) => re.test(rel)) ? bulk : shell).push(urlPath(rel));
  fs.writeFileSync(path.join(dist, 'precache.json'), `${JSON.stringify({ version, bytes, shell, bulk, hashes })}\n`);
  fs.writeFileSync(swFile, sw.replace(VERSION_LINE, `const VERSION = '${version}';`));
  console.log(`precache: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB (shell ${shell.length}, bulk ${bulk.length}); sw.js version ${version}`);
}

try {
  main(process.argv[2]);
} catch (err) {
  console.error(`precache.mjs: ${err.message}`);
  process.exit(1);
}
