//! `idlab serve` over real HTTP on loopback: isolation headers, MIME types,
//! compression, and a clear refusal to serve a folder that is not a built site.
#![cfg(not(target_arch = "wasm32"))]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn site() -> tempdir::Dir {
    let dir = tempdir::Dir::new("serve");
    std::fs::write(dir.path().join("index.html"), "<!doctype html><title>t</title>").unwrap();
    // Compressible, larger than any minimum size for compression.
    std::fs::write(dir.path().join("module.wasm"), vec![0u8; 200_000]).unwrap();
    std::fs::write(dir.path().join("app.js"), "export const x = 1;\n".repeat(200)).unwrap();
    dir
}

fn start(dir: &std::path::Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_idlab"))
        .args(["serve", "--port", "0", "--dir"])
        .arg(dir)
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")).expect(&line);
    let port = url.trim_start_matches("http://127.0.0.1:").trim_end_matches('/').parse().unwrap();
    Server { child, port }
}

/// A plain HTTP/1.1 GET; returns the lower-cased header block and the body length.
fn get(port: u16, path: &str, gzip: bool) -> (String, usize) {
    get_accepting(port, path, if gzip { "gzip" } else { "" })
}

/// [`get`] with the given Accept-Encoding (none when empty).
fn get_accepting(port: u16, path: &str, accept: &str) -> (String, usize) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let enc = if accept.is_empty() { String::new() } else { format!("Accept-Encoding: {accept}\r\n") };
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\n{enc}Connection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (String::from_utf8_lossy(&raw[..split]).to_lowercase(), raw.len() - split - 4)
}

#[test]
fn isolation_headers_mime_types_and_compression() {
    let dir = site();
    let server = start(dir.path(), &[]);
    let (h, _) = get(server.port, "/", false);
    assert!(h.starts_with("http/1.1 200"), "{h}");
    assert!(h.contains("cross-origin-opener-policy: same-origin"), "{h}");
    assert!(h.contains("cross-origin-embedder-policy: require-corp"), "{h}");
    let (h, _) = get(server.port, "/module.wasm", false);
    assert!(h.contains("content-type: application/wasm"), "{h}");
    assert!(h.contains("cross-origin-embedder-policy: require-corp"), "{h}");
    let (h, _) = get(server.port, "/app.js", false);
    assert!(h.contains("content-type: text/javascript"), "{h}");
    let (h, body) = get(server.port, "/module.wasm", true);
    assert!(h.contains("content-encoding: gzip"), "{h}");
    assert!(body < 50_000, "200 kB of zeros should compress, got {body} bytes");
    let (h, _) = get(server.port, "/missing.js", false);
    assert!(h.starts_with("http/1.1 404"), "{h}");
}

/// The build's precompressed files (`www/build/compress.mjs`): FILE.br to a browser that
/// accepts brotli, FILE.gz to one that accepts only gzip, as they are (not compressed again),
/// with the original's MIME type; the plain file to one that accepts neither.
#[test]
fn precompressed_files_are_sent_as_built() {
    let dir = site();
    std::fs::write(dir.path().join("module.wasm.br"), vec![7u8; 1234]).unwrap();
    std::fs::write(dir.path().join("module.wasm.gz"), vec![8u8; 2345]).unwrap();
    let server = start(dir.path(), &[]);
    let (h, body) = get_accepting(server.port, "/module.wasm", "gzip, deflate, br");
    assert!(h.contains("content-encoding: br") && h.contains("content-type: application/wasm"), "{h}");
    assert_eq!(body, 1234, "the .br file's bytes, as built");
    let (h, body) = get_accepting(server.port, "/module.wasm", "gzip");
    assert!(h.contains("content-encoding: gzip"), "{h}");
    assert_eq!(body, 2345, "the .gz file's bytes, as built");
    let (h, body) = get_accepting(server.port, "/module.wasm", "");
    assert!(!h.contains("content-encoding"), "{h}");
    assert_eq!(body, 200_000);
    // A file without a precompressed copy is still compressed on the fly.
    let (h, _) = get_accepting(server.port, "/app.js", "br");
    assert!(h.contains("content-encoding: br"), "{h}");
}

#[test]
fn no_isolation_drops_the_headers() {
    let dir = site();
    let server = start(dir.path(), &["--no-isolation"]);
    let (h, _) = get(server.port, "/", false);
    assert!(h.starts_with("http/1.1 200"), "{h}");
    assert!(!h.contains("cross-origin-opener-policy"), "{h}");
    assert!(!h.contains("cross-origin-embedder-policy"), "{h}");
}

#[test]
fn refuses_a_folder_without_a_site() {
    let dir = tempdir::Dir::new("empty");
    let out = Command::new(env!("CARGO_BIN_EXE_idlab"))
        .args(["serve", "--port", "0", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no index.html") && err.contains("./build.sh"), "{err}");
}

/// A throwaway folder under the target dir, removed on drop.
mod tempdir {
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new(tag: &str) -> Dir {
            let p = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("{tag}-{}-{:?}", std::process::id(), std::thread::current().id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
