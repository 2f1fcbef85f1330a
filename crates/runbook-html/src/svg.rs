//! The step graph as inline SVG: a layered flowchart computed here (no JavaScript, no external
//! layout engine). Each entry point gets its own band, top to bottom; inside a band, steps sit
//! on layers by their longest distance from the entry point, ordered to keep edges short;
//! nodes link to their step cards.

use runbook_core::model::{EdgeKind, Graph, Risk, StepKind};
use std::collections::HashMap;
use std::fmt::Write as _;

const W: f64 = 188.0;
// Tall enough for a title on two lines and the kind, risk and id under it.
const H: f64 = 60.0;
const GAP_X: f64 = 36.0;
const GAP_Y: f64 = 54.0;
const BAND_GAP: f64 = 40.0;
const MARGIN: f64 = 16.0;

pub fn escape(s: &str) -> String {
    // One pass (not four `replace`s): called for every title, id and label of a page.
    let mut out = String::with_capacity(s.len() + 8);
    let mut from = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => continue,
        };
        out.push_str(&s[from..i]);
        out.push_str(entity);
        from = i + 1;
    }
    out.push_str(&s[from..]);
    out
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { format!("{}…", s.chars().take(n - 1).collect::<String>()) }
}

/// A step's title on at most two lines of `n` characters, broken at words: what the step
/// does, readable in the box (the whole title is the box's tooltip).
fn wrap2(s: &str, n: usize) -> (String, String) {
    let mut first = String::new();
    let mut words = s.split_whitespace().peekable();
    while let Some(w) = words.peek() {
        let len = first.chars().count() + w.chars().count() + usize::from(!first.is_empty());
        if len > n && !first.is_empty() {
            break;
        }
        if !first.is_empty() {
            first.push(' ');
        }
        first.push_str(w);
        words.next();
    }
    let rest: Vec<&str> = words.collect();
    (clip(&first, n), clip(&rest.join(" "), n))
}

/// A coordinate as `{:.1}` writes it, without the float formatting machinery for the common
/// case: the layout's coordinates are whole numbers or tenths, and formatting them through
/// `{:.1}` was a tenth of a page's rendering time. Anything else (negative, huge, or with more
/// digits) is written by `{:.1}` itself, so the output is the same.
struct D1(f64);

impl std::fmt::Display for D1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenths = self.0 * 10.0;
        // Below 2^52 a whole `tenths` is exact, and `{:.1}` of a value that close to it rounds
        // to it.
        if self.0.is_sign_positive() && tenths.fract() == 0.0 && tenths < 4.0e15 {
            let n = tenths as u64;
            write!(f, "{}.{}", n / 10, n % 10)
        } else {
            write!(f, "{:.1}", self.0)
        }
    }
}

struct Placed {
    x: f64,
    y: f64,
}

/// The whole graph as one `<svg>` element.
pub fn render(graph: &Graph) -> String {
    let n = graph.steps.len();
    let index: HashMap<&str, usize> = graph.steps.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in &graph.edges {
        if let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), e.to.as_deref().and_then(|t| index.get(t))) {
            succ[a].push(b);
        }
    }
    // Which band (entry point) each step is drawn in: the first entry that reaches it.
    let mut band_of: Vec<Option<usize>> = vec![None; n];
    let mut layer: Vec<usize> = vec![0; n];
    // Shared by every band: a step seen from one entry point belongs to its band and is not
    // visited again (only an entry's own first step moves to its band), so the walks together
    // stay linear in the size of the graph.
    let mut seen = vec![false; n];
    for (b, ep) in graph.entry_points.iter().enumerate() {
        let Some(&start) = ep.first_step.as_deref().and_then(|f| index.get(f)) else { continue };
        // Longest path layering over a DFS order that ignores back edges.
        let order = topo_from(start, &succ, &mut seen);
        for &v in &order {
            band_of[v] = Some(b);
        }
        let pos: HashMap<usize, usize> = order.iter().enumerate().map(|(i, &v)| (v, i)).collect();
        for &v in &order {
            for &w in &succ[v] {
                if pos.get(&w).is_some_and(|&pw| pw > pos[&v]) && band_of[w] == Some(b) {
                    layer[w] = layer[w].max(layer[v] + 1);
                }
            }
        }
    }
    // Steps no entry reaches get a band of their own at the end.
    let orphan_band = graph.entry_points.len();
    for b in band_of.iter_mut().filter(|b| b.is_none()) {
        *b = Some(orphan_band);
    }
    let bands = orphan_band + 1;
    let mut placed: Vec<Placed> = (0..n).map(|_| Placed { x: 0.0, y: 0.0 }).collect();
    let mut y0 = MARGIN;
    let mut width: f64 = 400.0;
    let mut band_tops: Vec<(usize, f64)> = Vec::new();
    let mut members_of: Vec<Vec<usize>> = vec![Vec::new(); bands];
    for (v, b) in band_of.iter().enumerate() {
        if let Some(b) = b {
            members_of[*b].push(v);
        }
    }
    // Positions within a layer, and the sums of predecessors' positions: reused by every band
    // (each writes the entries of its own steps before reading them).
    let mut slot: Vec<f64> = vec![0.0; n];
    let mut pred_sum: Vec<(f64, usize)> = vec![(0.0, 0); n];
    for (b, members) in members_of.iter().enumerate() {
        if members.is_empty() {
            continue;
        }
        band_tops.push((b, y0));
        let depth = members.iter().map(|&v| layer[v]).max().unwrap_or(0) + 1;
        let mut layers: Vec<Vec<usize>> = vec![Vec::new(); depth];
        for &v in members {
            layers[layer[v]].push(v);
        }
        // Barycenter ordering: each layer sorted by the mean position of its predecessors,
        // summed from the previous layer's edges (not by searching that layer per step).
        for l in &layers {
            for (i, &v) in l.iter().enumerate() {
                slot[v] = i as f64;
            }
        }
        for d in 1..depth {
            for &v in &layers[d] {
                pred_sum[v] = (0.0, 0);
            }
            for &u in &layers[d - 1] {
                // An edge counted once per predecessor, however often it is listed.
                let mut targets: Vec<usize> = succ[u].iter().copied().filter(|&w| layer[w] == d && band_of[w] == Some(b)).collect();
                targets.sort_unstable();
                targets.dedup();
                for w in targets {
                    pred_sum[w].0 += slot[u];
                    pred_sum[w].1 += 1;
                }
            }
            let mut keyed: Vec<(f64, usize)> = layers[d]
                .iter()
                .map(|&v| {
                    let (sum, count) = pred_sum[v];
                    let key = if count == 0 { slot[v] } else { sum / count as f64 };
                    (key, v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            layers[d] = keyed.into_iter().map(|(_, v)| v).collect();
            for (i, &v) in layers[d].iter().enumerate() {
                slot[v] = i as f64;
            }
        }
        let widest = layers.iter().map(Vec::len).max().unwrap_or(1) as f64;
        let band_w = widest * (W + GAP_X) - GAP_X;
        width = width.max(band_w + 2.0 * MARGIN);
        let label_h = 26.0;
        for (d, l) in layers.iter().enumerate() {
            let row_w = l.len() as f64 * (W + GAP_X) - GAP_X;
            let x0 = MARGIN + (band_w - row_w) / 2.0;
            for (i, &v) in l.iter().enumerate() {
                placed[v] = Placed { x: x0 + i as f64 * (W + GAP_X), y: y0 + label_h + d as f64 * (H + GAP_Y) };
            }
        }
        y0 += label_h + depth as f64 * (H + GAP_Y) - GAP_Y + BAND_GAP;
    }
    let height = y0 - BAND_GAP + MARGIN;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-label="Step graph of {}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>"##,
        escape(&graph.title)
    );
    for (b, top) in &band_tops {
        let title = match graph.entry_points.get(*b) {
            Some(ep) => {
                let sev = ep.severity.as_deref().map(|s| format!(" [{}]", s.to_ascii_uppercase())).unwrap_or_default();
                format!(
                    r##"<a href="#entry-{}"><text class="band" x="{MARGIN}" y="{:.0}">{}{}</text></a>"##,
                    escape(&ep.id),
                    top + 14.0,
                    escape(&clip(&ep.title, 80)),
                    escape(&sev)
                )
            }
            None => format!(r#"<text class="band" x="{MARGIN}" y="{:.0}">Steps no entry point reaches</text>"#, top + 14.0),
        };
        svg.push_str(&title);
    }
    // Edges first, so nodes draw over them.
    for e in &graph.edges {
        let (Some(&a), to) = (index.get(e.from.as_str()), e.to.as_deref().and_then(|t| index.get(t)).copied()) else { continue };
        let (ax, ay) = (placed[a].x + W / 2.0, placed[a].y + H);
        let (bx, by) = match to {
            Some(b) => (placed[b].x + W / 2.0, placed[b].y),
            None => (ax, ay + GAP_Y * 0.6),
        };
        let class = match (e.kind, e.when.is_some(), to.is_none()) {
            (_, _, true) => "edge end",
            (EdgeKind::Branch, true, _) => "edge branch",
            (EdgeKind::Branch, false, _) => "edge judgement",
            _ => "edge",
        };
        let path = if to.is_some_and(|b| placed[b].y <= placed[a].y) {
            // A loop back up: leave to the right, come back in from the right.
            let r = placed[a].x.max(placed[to.unwrap_or(a)].x) + W + 14.0;
            format!(
                "M{},{} C{r},{} {r},{} {},{}",
                D1(placed[a].x + W),
                D1(placed[a].y + H / 2.0),
                D1(placed[a].y + H / 2.0),
                D1(by + H / 2.0),
                D1(bx + W / 2.0),
                D1(by + H / 2.0),
                r = D1(r),
            )
        } else {
            let (ax, ay, bx, by, my) = (D1(ax), D1(ay), D1(bx), D1(by), D1((ay + by) / 2.0));
            format!("M{ax},{ay} C{ax},{my} {bx},{my} {bx},{by}")
        };
        let _ = write!(svg, r#"<path class="{class}" d="{path}" marker-end="url(#arrow)"/>"#);
        if to.is_none() {
            let _ = write!(svg, r#"<circle class="end" cx="{}" cy="{}" r="5"/>"#, D1(bx), D1(by + 5.0));
        }
        if let Some(label) = &e.label {
            // Near the target, so labels of edges leaving one node do not sit on each other;
            // an edge that ends the walk is labelled beside its end mark.
            let (lx, ly) = match to {
                Some(_) => (ax + 0.72 * (bx - ax), ay + 0.72 * (by - ay) - 3.0),
                None => (bx + 10.0 + 60.0, by + 9.0),
            };
            let text = escape(&clip(label, 28));
            let _ = write!(
                svg,
                r#"<text class="edge-label" x="{}" y="{}" text-anchor="middle"><title>{}</title>{text}</text>"#,
                D1(lx),
                D1(ly),
                escape(label)
            );
        }
    }
    for (i, s) in graph.steps.iter().enumerate() {
        let p = &placed[i];
        let risk = match s.risk {
            Risk::Read => "read",
            Risk::Write => "write",
            Risk::Destructive => "destructive",
        };
        let shape = match s.kind {
            StepKind::Decision => format!(
                r#"<polygon points="{},{} {},{} {},{} {},{} {},{} {},{}"/>"#,
                D1(p.x + 12.0),
                D1(p.y),
                D1(p.x + W - 12.0),
                D1(p.y),
                D1(p.x + W),
                D1(p.y + H / 2.0),
                D1(p.x + W - 12.0),
                D1(p.y + H),
                D1(p.x + 12.0),
                D1(p.y + H),
                D1(p.x),
                D1(p.y + H / 2.0)
            ),
            StepKind::Manual => format!(r#"<rect x="{}" y="{}" width="{W}" height="{H}" rx="16"/>"#, D1(p.x), D1(p.y)),
            _ => format!(r#"<rect x="{}" y="{}" width="{W}" height="{H}" rx="4"/>"#, D1(p.x), D1(p.y)),
        };
        let (line1, line2) = wrap2(if s.title.is_empty() { &s.id } else { &s.title }, 25);
        let _ = write!(
            svg,
            r##"<a href="#step-{id}" class="node-link"><g class="node {kind} {risk}" data-step="{id}"><title>{title} ({id})</title>{shape}<text x="{tx}" y="{ty}" class="node-title">{line1}</text><text x="{tx}" y="{ty2}" class="node-title">{line2}</text><text x="{tx}" y="{ty3}" class="node-meta">{kind} · {risk} · {idc}</text></g></a>"##,
            id = escape(&s.id),
            kind = s.kind.as_str(),
            title = escape(&s.title),
            tx = D1(p.x + 10.0),
            ty = D1(p.y + 18.0),
            ty2 = D1(p.y + 33.0),
            ty3 = D1(p.y + 50.0),
            line1 = escape(&line1),
            line2 = escape(&line2),
            idc = escape(&clip(&s.id, 14)),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// `start` and the nodes reachable from it not `seen` from an earlier entry point, in DFS
/// post-order reversed; marks them seen.
fn topo_from(start: usize, succ: &[Vec<usize>], seen: &mut [bool]) -> Vec<usize> {
    let mut post = Vec::new();
    let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
    seen[start] = true;
    while let Some(&mut (v, ref mut i)) = stack.last_mut() {
        if let Some(&w) = succ[v].get(*i) {
            *i += 1;
            if !seen[w] {
                seen[w] = true;
                stack.push((w, 0));
            }
        } else {
            post.push(v);
            stack.pop();
        }
    }
    post.reverse();
    post
}

#[cfg(test)]
mod tests {
    use super::wrap2;

    #[test]
    fn escape_writes_the_four_entities() {
        assert_eq!(super::escape(r#"a<b>&"c" é"#), "a&lt;b&gt;&amp;&quot;c&quot; é");
        assert_eq!(super::escape(""), "");
        assert_eq!(super::escape("&&"), "&amp;&amp;");
    }

    #[test]
    fn coordinates_are_written_as_one_decimal_formats_them() {
        for v in [0.0, -0.0, 1.0, 12.5, 100.72, 0.05, 0.15, 2.25, -3.5, 1e20, 123456.7, 0.1 + 0.2, 187.99999, f64::NAN] {
            assert_eq!(super::D1(v).to_string(), format!("{v:.1}"), "{v}");
        }
    }

    #[test]
    fn titles_wrap_at_words_on_two_lines() {
        assert_eq!(wrap2("Check for account lockouts", 27), ("Check for account lockouts".into(), String::new()));
        assert_eq!(
            wrap2("Delete the user's login attempts after the lock expired", 27),
            ("Delete the user's login".into(), "attempts after the lock ex…".into())
        );
        assert_eq!(wrap2("kubeletservercertificateexpiration-alert", 27).0.chars().count(), 27);
    }
}
