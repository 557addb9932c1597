//! The page renders an assignment's Markdown (through marked and DOMPurify);
//! this refuses, before anything runs, what an author should never ship: raw
//! HTML (a `<script>` or an `onerror=` attribute) and links or images whose
//! scheme is not http, https or mailto (`javascript:`, `data:`). Relative links
//! have no scheme and pass.

use crate::error::{Error, Result};
use pulldown_cmark::{Event, Options, Parser, Tag};

/// Checks one Markdown text; `place` names it in the message (a file or a step's field).
pub fn check(text: &str, place: &str) -> Result<()> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let parser = Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    for (event, range) in parser.into_offset_iter() {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => {
                let snippet: String = html.trim().chars().take(40).collect();
                return Err(Error::Input(format!("{place}, line {}: raw HTML is not allowed in an assignment's Markdown ({snippet})", line_of(range.start))));
            }
            Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. }) => {
                if let Some(scheme) = scheme(&dest_url) {
                    if !matches!(scheme.as_str(), "http" | "https" | "mailto") {
                        return Err(Error::Input(format!(
                            "{place}, line {}: a link to \"{scheme}:\" is not allowed (only http, https and mailto links)",
                            line_of(range.start)
                        )));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A URL's scheme, lower-cased, as a browser would read it (leading spaces and
/// control characters dropped, tabs and newlines inside ignored); None for a relative URL.
fn scheme(url: &str) -> Option<String> {
    let cleaned: String = url.trim_start_matches(|c: char| c <= ' ').chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let colon = cleaned.find(':')?;
    let head = &cleaned[..colon];
    let mut chars = head.chars();
    let first = chars.next()?;
    if first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) {
        Some(head.to_ascii_lowercase())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_html_and_bad_links() {
        assert!(check("# Title\n\nSome *text* and [a link](https://example.org).", "x").is_ok());
        assert!(check("[rel](papers/index.html) and <https://a.org>", "x").is_ok());
        let e = check("ok\n\n<script>alert(1)</script>", "instructions.md").unwrap_err().to_string();
        assert!(e.contains("instructions.md, line 3") && e.contains("raw HTML"), "{e}");
        let e = check("line\n[x](javascript:alert(1))", "step q-1 prompt").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("javascript"), "{e}");
        assert!(check("![i](data:image/png;base64,AAAA)", "x").is_err());
        assert!(check("[x]( JaVaScript:alert(1))", "x").is_err());
        assert!(check("text <img src=x onerror=alert(1)> more", "x").is_err());
    }
}
