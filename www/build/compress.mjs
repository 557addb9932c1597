// Precompresses the built site's larger text and wasm files: FILE.br (brotli) and FILE.gz (gzip
// -9) beside each, which `idlab serve` sends to a browser that accepts them (tower-http's
// ServeDir precompressed_br/gzip) and static hosts that serve precompressed files can use. Done
// once at build time, at a level an on-the-fly server cannot afford: the threaded wasm is 2.7 MB as
// brotli 10 against 4.6 MB at the server's fastest level. Brotli quality 10 (not 11) for files over
// 1 MB: 11 takes twice as long for 4% less. A file whose .br is newer is left as it is.
//
//   node www/build/compress.mjs DIST
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { promisify } from 'node:util';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);
const EXT = /\.(wasm|js|mjs|css|html|json|svg|txt|md|csv)$/;
const MIN = 1024;

const dist = process.argv[2];
if (!dist) {
  console.error('usage: node www/build/compress.mjs DIST');
  process.exit(2);
}

function walk(dir, out) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (EXT.test(e.name)) out.push(p);
  }
  return out;
}

async function compress(file) {
  const stat = fs.statSync(file);
  if (stat.size < MIN) return 0;
  const br = `${file}.br`;
  if (fs.existsSync(br) && fs.statSync(br).mtimeMs >= stat.mtimeMs && fs.existsSync(`${file}.gz`)) return 0;
  const bytes = fs.readFileSync(file);
  const quality = bytes.length > 1 << 20 ? 10 : 11;
  const [b, g] = await Promise.all([
    brotli(bytes, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
        [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
    gzip(bytes, { level: 9 }),
  ]);
  fs.writeFileSync(br, b);
  fs.writeFileSync(`${file}.gz`, g);
  return 1;
}

// Compressed two at a time (zlib's work runs on libuv's thread pool): the largest first, so the wasm builds run in parallel.
const files = walk(dist, []).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size);
let done = 0;
const queue = [...files];
await Promise.all(
  [0, 1].map(async () => {
    while (queue.length) {
      const n = await compress(queue.shift());
      done += n;
    }
  }),
);
console.log(`compress.mjs: ${done} of ${files.length} files precompressed (.br, .gz)`);
