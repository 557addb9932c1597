//! `idlab serve`: a static file server for the built site, on loopback, with
//! the cross-origin isolation headers that SharedArrayBuffer (and so the
//! threaded build) needs, correct MIME types (`application/wasm`) and compression.

use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use std::path::Path;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

pub fn serve(dir: &Path, port: u16, isolation: bool) -> Result<(), String> {
    if !dir.join("index.html").is_file() {
        return Err(format!("{} has no index.html; build the site first (./build.sh)", dir.display()));
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let mut app = Router::new()
            .fallback_service(ServeDir::new(dir))
            .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
            .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));
        if isolation {
            let headers = [
                ("cross-origin-opener-policy", "same-origin"),
                ("cross-origin-embedder-policy", "require-corp"),
                ("cross-origin-resource-policy", "same-origin"),
            ];
            for (name, value) in headers {
                app = app.layer(SetResponseHeaderLayer::overriding(
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                ));
            }
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let mode = if isolation { "cross-origin isolated: threaded build" } else { "not isolated: single-threaded build" };
        println!("idlab: serving {} at http://{addr}/ ({mode})", dir.display());
        axum::serve(listener, app).await.map_err(|e| e.to_string())
    })
}
