#!/usr/bin/env bash
# idlab's one build script.
#
#   ./build.sh                      build dist/: the site, three wasm builds, JS glue
#   ./build.sh serve [--port N]     build, then serve dist/ on 127.0.0.1 (COOP/COEP on)
#   ./build.sh test                 build, then run every test (cargo, wasm in Chromium, e2e)
#   ./build.sh site                 copy www/ into dist/ again (after editing only the page)
#   ./build.sh fuzz [SECONDS]       run every cargo-fuzz target SECONDS each (default 600; not a test)
#
# On a fresh machine it first installs what is missing (wasm32 target, rust-src,
# wasm-bindgen-cli at the Cargo.lock version, Debian chromium + chromium-driver,
# npm packages from the lock files); when everything is there it installs nothing.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

# Each message with the time since the script started, so a CI log shows where the time went.
say() { printf '\033[1mbuild.sh [%dm%02ds]:\033[0m %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }

# ---------------------------------------------------------------- toolchain
wasm_bindgen_version() {
    # The version the crate links against; the CLI must match it exactly.
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_tools() {
    local installed
    installed=$(rustup target list --installed)
    if ! grep -qx wasm32-unknown-unknown <<<"$installed"; then
        say "installing the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi
    if ! rustup component list --installed | grep -q '^rust-src'; then
        say "installing rust-src (build-std for the threaded build)"
        rustup component add rust-src
    fi
    local want have=""
    want=$(wasm_bindgen_version)
    if command -v wasm-bindgen >/dev/null; then have=$(wasm-bindgen --version | awk '{print $2}'); fi
    if [ "$have" != "$want" ]; then
        say "installing wasm-bindgen-cli $want (have: ${have:-none})"
        cargo install wasm-bindgen-cli --version "$want" --force
    fi
    ensure_npm www
}

ensure_browser() {
    if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
        say "installing Debian chromium and chromium-driver"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q chromium chromium-driver
    fi
    ensure_npm tests
}

# A virtual environment (under target/, so never committed) with the PyPI
# reference packages of models/requirements.txt.
ensure_python() {
    if [ ! -x target/py/bin/python ]; then
        say "creating target/py (Python venv for the reference checks)"
        python3 -m venv target/py
    fi
    if [ ! -f target/py/.installed ] || [ models/requirements.txt -nt target/py/.installed ]; then
        say "pip install -r models/requirements.txt"
        target/py/bin/python -m pip install -q --disable-pip-version-check -r models/requirements.txt
        touch target/py/.installed
    fi
}

# npm ci when node_modules is missing or older than the lock file.
ensure_npm() {
    local dir=$1
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
        say "npm ci in $dir/"
        (cd "$dir" && npm ci --no-audit --no-fund)
    fi
}

# ---------------------------------------------------------------- builds
native() {
    say "native build (release)"
    cargo build --release --locked -p idlab
}

# Shared memory, atomics and SIMD; std rebuilt with atomics (build-std needs
# RUSTC_BOOTSTRAP on a stable compiler). The threaded build twice: plain SIMD, and with
# relaxed SIMD (tract's f32 kernels fuse multiply-adds; the worker picks it where the
# browser has it). Separate target dirs keep the wasm builds from invalidating each other.
THREADS_RUSTFLAGS="-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128 \
-C link-arg=--shared-memory -C link-arg=--max-memory=4294967296 -C link-arg=--import-memory \
-C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size \
-C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"
SINGLE_RUSTFLAGS="-C target-feature=+simd128,+bulk-memory"

wasm() {
    local flavor=$1
    local target_dir="target/wasm-$flavor"
    say "wasm build: $flavor"
    if [ "$flavor" != single ]; then
        local flags="$THREADS_RUSTFLAGS"
        if [ "$flavor" = threads-relaxed ]; then flags="$flags -C target-feature=+relaxed-simd"; fi
        RUSTC_BOOTSTRAP=1 RUSTFLAGS="$flags" \
            cargo build --release --locked -p idlab --lib --target wasm32-unknown-unknown \
            --features threads -Z build-std=panic_abort,std --target-dir "$target_dir"
    else
        RUSTFLAGS="$SINGLE_RUSTFLAGS" \
            cargo build --release --locked -p idlab --lib --target wasm32-unknown-unknown \
            --target-dir "$target_dir"
    fi
    wasm-bindgen --target web --out-dir "dist/pkg/$flavor" --out-name idlab \
        --remove-name-section --remove-producers-section \
        "$target_dir/wasm32-unknown-unknown/release/idlab.wasm"
}

site() {
    say "assembling dist/"
    mkdir -p dist/vendor
    # The site sources, without npm's files (rsync is not on every machine: use tar).
    tar -C www --exclude=node_modules --exclude=package.json --exclude=package-lock.json --exclude=./build --exclude=./assignments -cf - . \
        | tar -C dist -xf -
    cp www/node_modules/plotly.js-dist-min/plotly.min.js dist/vendor/plotly.min.js
    # The assignment page's Markdown: rendered by marked, sanitised by DOMPurify (ES modules).
    cp www/node_modules/marked/lib/marked.esm.js dist/vendor/marked.esm.js
    cp www/node_modules/dompurify/dist/purify.es.mjs dist/vendor/purify.es.mjs
    # The worker's check for relaxed SIMD (which threaded build to load).
    cp www/node_modules/wasm-feature-detect/dist/esm/index.js dist/vendor/wasm-feature-detect.js
    mkdir -p dist/models && cp models/zoo.json dist/models/zoo.json
    # The catalogue of trained weights and the trained files the site ships (the page fetches them).
    if [ -f models/weights.json ]; then cp models/weights.json dist/models/weights.json; fi
    rm -rf dist/models/trained
    if [ -d models/trained ]; then cp -R models/trained dist/models/trained; fi
    # The documentation the page's help links to, served beside it.
    cp README.md BENCHMARKS.md dist/
    # Generated pages (www/build/, node): a page per paper from the presets' texts, the index,
    # README and BENCHMARKS as HTML. Then the service worker's precache list and version, over
    # every file above (so it runs last).
    if [ -f www/build/papers.mjs ]; then node www/build/papers.mjs dist; fi
    # The example assignments: each folder of www/assignments/ packed by the CLI (hashes and all).
    rm -rf dist/assignments
    if [ -d www/assignments ] && [ -x target/release/idlab ]; then
        mkdir -p dist/assignments
        local a
        for a in www/assignments/*/; do
            a=${a%/}
            target/release/idlab assignment pack "$a" -o "dist/assignments/$(basename "$a").idlab.zip"
        done
    fi
    if [ -f www/build/precache.mjs ]; then node www/build/precache.mjs dist; fi
    # FILE.br and FILE.gz beside the wasm and text files, which `idlab serve` sends as they are.
    node www/build/compress.mjs dist
}

build() {
    ensure_tools
    native
    wasm single
    wasm threads
    wasm threads-relaxed
    site
    say "built dist/ ($(du -sh dist | cut -f1))"
}

# ---------------------------------------------------------------- tests
run_tests() {
    build
    ensure_browser
    ensure_python # before the cargo tests: crate/tests/sweep.rs runs kubernetes-validate
    local out="$ROOT/tests/out"
    mkdir -p "$out"

    say "cargo tests (native)"
    cargo test --release --locked -p idlab

    say "wasm tests in headless Chromium"
    CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_USE_BROWSER=1 \
        WASM_BINDGEN_TEST_TIMEOUT=600 \
        CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
        RUSTFLAGS="$SINGLE_RUSTFLAGS" \
        cargo test --release --locked -p idlab --target wasm32-unknown-unknown \
        --target-dir target/wasm-single --test wasm

    say "zoo vs onnxruntime (independent check of tract on the exported models)"
    target/py/bin/python models/check_onnxruntime.py --idlab target/release/idlab

    say "native reference run of the default spec"
    target/release/idlab run www/presets/alexnet-seeds-cka.json -o "$out/native" --quiet

    say "end-to-end tests in headless Chromium"
    IDLAB_BIN="$ROOT/target/release/idlab" IDLAB_TEST_OUT="$out" \
        node --test --test-concurrency=1 tests/e2e/
    say "all tests passed"
}

# The benchmark against the peers (BENCHMARKS.md, "Against the peers"; not part of the tests, about
# 30 minutes on 2 cores): idlab vs onnxruntime natively (tests/bench/peers.py, which also writes the
# ONNX files), then the lab page vs onnxruntime-web in headless Chromium (tests/bench/peers.mjs).
# ./build.sh bench [alexnet,resnet18,...]; RUNS=N sets the runs per figure (default 3).
bench() {
    local archs=${1:-alexnet,resnet18,vit_b_32,vgg11}
    build
    ensure_browser
    ensure_python
    ensure_npm tests/bench
    say "peers, native: idlab vs onnxruntime (tests/bench/peers.py)"
    target/py/bin/python tests/bench/peers.py --archs "$archs" --runs "${RUNS:-3}"
    say "peers, browser: the lab page vs onnxruntime-web (tests/bench/peers.mjs)"
    IDLAB_BIN="$ROOT/target/release/idlab" node tests/bench/peers.mjs "$archs"
}

# Runs every preset at its full size natively and writes the README's preset table from the
# results' computed findings (tests/readme/presets-table.mjs). Not part of the tests: it takes
# most of an hour on 2 cores.
presets_table() {
    cargo build --release --locked -p idlab
    local out="$ROOT/tests/out/presets"
    mkdir -p "$out"
    local f
    for f in $(node -e 'for (const p of require("./www/presets/index.json").presets) console.log(p.file)'); do
        say "preset $f"
        target/release/idlab run "www/presets/$f" -o "$out/${f%.json}" --quiet
    done
    node tests/readme/presets-table.mjs "$out"
}

case "${1:-build}" in
    build) build ;;
    site) ensure_npm www; site ;;
    serve)
        shift
        build
        exec target/release/idlab serve --dir dist "$@"
        ;;
    test) run_tests ;;
    presets-table) presets_table ;;
    bench) shift; bench "$@" ;;
    fuzz)
        # cargo-fuzz (installed by the script when missing) over crate/fuzz/'s targets; the
        # tests replay the corpora it leaves (crate/tests/fuzz_replay.rs), not this.
        shift
        exec bash tests/fuzz.sh "$@"
        ;;
    *)
        echo "usage: ./build.sh [build | serve [--port N] [--no-isolation] | test | bench [ARCH,...] | presets-table | fuzz [SECONDS]]" >&2
        exit 2
        ;;
esac
