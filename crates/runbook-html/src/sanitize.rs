//! The prose of a page, sanitised. A runbook is written by anyone who can open a pull request,
//! and its raw HTML (`<details>`, `<kbd>`, `<br>`) passes through Markdown untouched: ammonia
//! keeps the harmless tags and drops scripts, event handlers (`onerror=`, `onmouseover=`),
//! `javascript:` URLs (also from Markdown links and images), `<style>`, forms and frames.
//!
//! The whole prose goes through it at once, with a slot where each step card goes (the
//! cards are our own escaped markup and are put back afterwards), so an author's `<details>`
//! that wraps a code block still wraps the card of that block.

use std::collections::HashSet;

/// The prose HTML with only harmless tags, attributes and URLs left.
pub(crate) fn prose(html: &str) -> String {
    let mut b = ammonia::Builder::default();
    b
        // Our own markup: step cards, heading anchors, annotations; Markdown task lists.
        .add_tags(["section", "input"])
        .add_generic_attributes(["class", "id"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        // Table alignment from Markdown (`style="text-align: right"`) and nothing else: CSS
        // can load images and reshape the page.
        .add_tag_attributes("th", ["style"])
        .add_tag_attributes("td", ["style"])
        .filter_style_properties(HashSet::from(["text-align"]))
        // The pages are a static site read locally: no `rel` rewriting of the author's links.
        .link_rel(None);
    b.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::prose;

    #[test]
    fn scripts_handlers_and_javascript_urls_go() {
        let dirty = r#"<p>hi<script>alert(1)</script></p><img src="x.png" onerror="alert(1)"><a href="javascript:alert(1)" onmouseover="alert(2)">x</a><a href="JaVaScRiPt&#58;alert(3)">y</a><iframe src="https://evil"></iframe><svg onload="alert(4)"></svg><form action="https://evil"><button>go</button></form>"#;
        let clean = prose(dirty).to_ascii_lowercase();
        for bad in ["<script", "alert(", "onerror", "onmouseover", "onload", "javascript:", "<iframe", "<form", "<svg"] {
            assert!(!clean.contains(bad), "{bad} left in {clean}");
        }
        assert!(clean.contains("<img src=\"x.png\">"), "{clean}");
    }

    #[test]
    fn harmless_markup_and_our_cards_stay() {
        let html = "<details class=\"annotation\"><summary>more</summary><pre><code class=\"language-sh\">ls</code></pre></details>\n<section class=\"card read\" id=\"step-a\"><h4><code>a</code></h4><p><span class=\"badge\" title=\"why\">read</span></p><a href=\"#step-b\">b</a></section>\n<table><tbody><tr><th style=\"text-align:right\">n</th></tr></tbody></table><kbd>Ctrl</kbd><ul><li><input disabled=\"\" type=\"checkbox\" checked=\"\"> done</li></ul>";
        assert_eq!(prose(html), html);
    }
}
