//! `idlab serve`: a static file server for the built site, on loopback, with
//! the cross-origin isolation headers that SharedArrayBuffer (and so the
//! threaded build) needs, correct MIME types (`application/wasm`) and compression: the build's precompressed
//! `.br`/`.gz` files where they exist (`www/build/compress.mjs`), else on the fly.
//!
//! Every response also carries `Access-Control-Allow-Origin: *` (as GitHub Pages sends), so a
//! page on another origin can load `embed.js` and the worker, wasm and data it fetches from here;
//! and `embed.html` (the iframe form of the embed) gets `Document-Isolation-Policy`, which makes
//! that one document cross-origin isolated in Chromium 137 and later even inside a host page
//! that is not.
//!
//! Every response carries the site's Content-Security-Policy ([`CSP`]), the same policy the
//! pages hold as a `<meta>` for static hosts (the e2e test `security.test.mjs` checks both are one
//! text): scripts from the site only, wasm but no `eval`. As a header it also reaches the workers.

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use std::path::Path;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The site's Content-Security-Policy, word for word the `<meta http-equiv>` of every page in
/// `www/` (and of `www/build/csp.mjs` for the generated pages). No `frame-ancestors`: the lab and
/// its embed may be framed by any site.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' https: http://localhost:* http://127.0.0.1:* blob: data:; object-src 'none'; base-uri 'self'; form-action 'self'";

/// The iframe form of the embed: the one document that gets its own isolation policy.
const EMBED_PAGE: &str = "/embed.html";

pub fn serve(dir: &Path, port: u16, isolation: bool) -> Result<(), String> {
    if !dir.join("index.html").is_file() {
        return Err(format!("{} has no index.html; build the site first (./build.sh)", dir.display()));
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let mut app = Router::new()
            // The build's FILE.br / FILE.gz where the browser accepts them (the wasm as brotli 10);
            // any other file compressed on the fly, at the fastest level.
            .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip())
            .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
            .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
            .layer(SetResponseHeaderLayer::overriding(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ))
            .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)));
        if isolation {
            // CORP `cross-origin`: the lab's own files are same-origin to it (so its COEP is met
            // whatever their CORP), and a page of another origin (an isolated one included) may
            // load them or frame embed.html.
            let headers = [
                ("cross-origin-opener-policy", "same-origin"),
                ("cross-origin-embedder-policy", "require-corp"),
                ("cross-origin-resource-policy", "cross-origin"),
            ];
            for (name, value) in headers {
                app = app.layer(SetResponseHeaderLayer::overriding(
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                ));
            }
            app = app.layer(middleware::from_fn(isolate_embed_page));
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let mode = if isolation { "cross-origin isolated: threaded build" } else { "no COOP/COEP headers: the site's service worker isolates the page after one reload, else single-threaded" };
        println!("idlab: serving {} at http://{addr}/ ({mode})", dir.display());
        axum::serve(listener, app).await.map_err(|e| e.to_string())
    })
}

/// `Document-Isolation-Policy: isolate-and-require-corp` on embed.html only: the lab's page has
/// COOP/COEP already, and a host page that frames embed.html cannot give it them.
async fn isolate_embed_page(request: Request, next: Next) -> Response {
    let is_embed = request.uri().path() == EMBED_PAGE;
    let mut response = next.run(request).await;
    if is_embed {
        response.headers_mut().insert(
            HeaderName::from_static("document-isolation-policy"),
            HeaderValue::from_static("isolate-and-require-corp"),
        );
    }
    response
}
