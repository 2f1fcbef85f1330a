//! Graph assembly: drafts become steps with short stable ids, problems become entry points,
//! and sequence and branch edges connect them.

use super::*;

impl Builder<'_> {
    pub(super) fn finish(mut self) -> Graph {
        let doc = self.doc;
        let problems = std::mem::take(&mut self.problems);
        let runs = infer::insert_decisions(self.source, doc, &mut self.drafts, &problems);
        // The drafts and the steps made from them are alive together: no spare capacity.
        self.drafts.shrink_to_fit();
        let mut graph = Graph { title: self.title(), ..Graph::default() };
        self.connections(&mut graph);

        // Ids: annotated first (they are reserved), then inferred ones around them.
        let mut ids: Vec<String> = vec![String::new(); self.drafts.len()];
        let mut taken: HashMap<String, Span> = HashMap::new();
        for (i, d) in self.drafts.iter().enumerate() {
            if let Some(a) = &d.annotation
                && let Some(id) = &a.spec.id
            {
                let span = a.origin.spanned(id);
                let value = id.value.trim().to_owned();
                if value.is_empty() || value == "end" || value.starts_with('#') {
                    self.diags.push(
                        Diagnostic::new(Finding::InvalidStepId, span, format!("`{value}` cannot be a step id"))
                            .hint("ids are words like `check-lockouts`; `end` and `#…` are reserved for branch targets"),
                    );
                    continue;
                }
                if let Some(first) = taken.get(&value) {
                    let line = self.source.line_col(first.start).line;
                    self.diags.push(
                        Diagnostic::new(Finding::DuplicateStepId, span, format!("step id `{value}` is used twice"))
                            .label("second use")
                            .hint(format!("the first use is on line {line}; step ids must be unique within a runbook")),
                    );
                    continue;
                }
                taken.insert(value.clone(), span);
                ids[i] = value;
            }
        }
        // Inferred ids: the problem's slug and the step's place in it (`users-cannot-log-in.4`),
        // short enough to read and type, and unchanged when another problem of the file is
        // edited. The place counts every step of the problem, annotated ones too.
        let mut bases: HashMap<Option<usize>, String> = HashMap::new();
        let mut used_bases: HashSet<String> = HashSet::new();
        let mut places: HashMap<Option<usize>, usize> = HashMap::new();
        for (i, d) in self.drafts.iter().enumerate() {
            let problem = d.section.and_then(|s| problems[s]);
            let n = places.entry(problem).or_insert(0);
            *n += 1;
            if !ids[i].is_empty() {
                continue;
            }
            let base = bases
                .entry(problem)
                .or_insert_with(|| {
                    let slug = problem.map_or("main", |p| short_slug(&doc.headings[p].slug));
                    let slug = if slug.is_empty() { "step" } else { slug };
                    let mut base = slug.to_owned();
                    let mut k = 1;
                    while !used_bases.insert(base.clone()) {
                        k += 1;
                        base = format!("{slug}-{k}");
                    }
                    base
                })
                .clone();
            loop {
                let candidate = format!("{base}.{n}");
                if !taken.contains_key(&candidate) {
                    taken.insert(candidate.clone(), d.span);
                    ids[i] = candidate;
                    break;
                }
                *n += 1;
            }
        }

        // Entry points, in order of their first step.
        let body_severity = body_severities(self.source, doc);
        let mut entry_index: HashMap<Option<usize>, usize> = HashMap::new();
        for (i, d) in self.drafts.iter().enumerate() {
            let problem = d.section.and_then(|s| problems[s]);
            if entry_index.contains_key(&problem) {
                continue;
            }
            entry_index.insert(problem, graph.entry_points.len());
            let (title, severity, span, id) = match problem {
                Some(h) => {
                    let heading = &doc.headings[h];
                    let severity = heading
                        .severity
                        .clone()
                        .or_else(|| body_severity.get(&h).cloned())
                        .or_else(|| described_severity(self.source, doc, h, &body_severity));
                    let title = heading.display.clone();
                    // The slug without severity marks (`users-cannot-log-in`), unless another
                    // entry point already has it; then the unique anchor.
                    let id = if heading.slug.is_empty() || graph.entry_points.iter().any(|e| e.id == heading.slug) {
                        heading.anchor.clone()
                    } else {
                        heading.slug.clone()
                    };
                    (title, severity, heading.span, id)
                }
                None => (graph.title.clone(), None, Span::new(0, 0), "main".to_owned()),
            };
            let line = self.source.line_col(span.start).line;
            graph.entry_points.push(EntryPoint { id, title, severity, line, first_step: Some(ids[i].clone()), span });
        }

        let secrets: HashSet<String> = self.front.secrets.0.iter().map(|(k, _)| k.value.clone()).collect();
        let captures: HashSet<String> = self
            .drafts
            .iter()
            .filter_map(|d| d.annotation.as_ref())
            .flat_map(|a| a.spec.capture.0.iter().map(|(k, _)| k.value.clone()))
            .collect();
        self.parameters(&mut graph, &secrets);

        let drafts = std::mem::take(&mut self.drafts);
        graph.steps.reserve_exact(drafts.len());
        for (i, d) in drafts.iter().enumerate() {
            let step = self.step(d, &ids[i], &problems, &entry_index, &graph, &secrets, &captures);
            graph.steps.push(step);
        }
        let new_params: Vec<Parameter> = graph
            .steps
            .iter()
            .flat_map(|s| s.params.iter())
            .filter(|name| graph.parameter(name).is_none())
            .collect::<Vec<_>>()
            .into_iter()
            .fold(Vec::<Parameter>::new(), |mut acc, name| {
                if !acc.iter().any(|p| &p.name == name) {
                    acc.push(inferred_parameter(name, &secrets));
                }
                acc
            });
        graph.parameters.extend(new_params);

        // Parameters declared on a step (prompt, pattern, default, source) are the
        // runbook's too, unless the front matter declared them first.
        for d in &drafts {
            let Some(a) = &d.annotation else { continue };
            for (name, spec) in &a.spec.params.0 {
                let p = declared_parameter(&name.value, spec, &secrets);
                match graph.parameters.iter_mut().find(|q| q.name == name.value) {
                    Some(q) if !q.declared => *q = p,
                    Some(_) => {}
                    None => graph.parameters.push(p),
                }
            }
        }
        self.check_capture_sources(&drafts, &captures);
        shell_variable_captures(&mut graph, &drafts);
        self.edges(&mut graph, &drafts, &ids, &problems, &runs);
        graph
    }

    pub(super) fn title(&self) -> String {
        if let Some(t) = &self.front.title {
            return t.clone();
        }
        if let Some(h) = self.doc.headings.iter().find(|h| h.level == 1).or(self.doc.headings.first()) {
            return h.display.clone();
        }
        let stem = self.source.name.rsplit('/').next().unwrap_or(&self.source.name);
        stem.trim_end_matches(".md").trim_end_matches(".markdown").to_owned()
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn step(
        &mut self,
        d: &Draft,
        id: &str,
        problems: &[Option<usize>],
        entries: &HashMap<Option<usize>, usize>,
        graph: &Graph,
        secrets: &HashSet<String>,
        captures: &HashSet<String>,
    ) -> Step {
        let doc = self.doc;
        let (section, section_anchor) = match d.section {
            Some(h) => (doc.headings[h].display.clone(), doc.headings[h].anchor.clone()),
            None => (graph.title.clone(), String::new()),
        };
        let problem = entries.get(&d.section.and_then(|s| problems[s])).map(|&i| graph.entry_points[i].id.clone());
        // Manual and decision steps written by an author may hold `{{ name }}` too.
        let placeholders = if matches!(d.kind, StepKind::Manual | StepKind::Decision) && d.annotation.is_some() {
            placeholder::find(&d.code, CodeKind::Shell, &[])
        } else {
            d.placeholders.clone()
        };
        let risk = manual_risk(d);
        let mut step = Step {
            id: id.to_owned(),
            kind: d.kind,
            risk: risk.risk,
            risk_reason: Some(risk.reason),
            // The section's title without its numbering: `1. Check the operator` → `Check the operator`.
            title: if d.title.is_empty() { strip_numbering(&section).to_owned() } else { d.title.clone() },
            section,
            section_anchor,
            problem,
            line: self.source.line_col(d.code_map.first().map_or(d.span.start, |m| m.1)).line,
            params: Vec::new(),
            code: d.code.clone(),
            lang: d.lang.clone(),
            placeholders,
            target: None,
            timeout_ms: None,
            http: d.http.clone(),
            checks: Vec::new(),
            captures: Vec::new(),
            confirm: ConfirmKind::None,
            revert: None,
            expected_output: d.expected_output.clone(),
            annotated: d.annotation.is_some(),
            span: d.span,
            code_map: d.code_map.clone(),
            local_params: Vec::new(),
        };
        for p in &step.placeholders {
            if !step.params.contains(&p.name) {
                step.params.push(p.name.clone());
            }
        }
        if let Some(a) = &d.annotation {
            self.apply_annotation(&mut step, a, graph, secrets, captures);
        }
        if step.target.is_none() && step.kind == StepKind::Sql {
            let dbs: Vec<&Connection> = graph.connections.iter().filter(|c| c.kind != "http").collect();
            if dbs.len() == 1 {
                step.target = Some(dbs[0].name.clone());
            }
        }
        step
    }

    pub(super) fn edges(
        &mut self,
        graph: &mut Graph,
        drafts: &[Draft],
        ids: &[String],
        problems: &[Option<usize>],
        runs: &[infer::OptionRun],
    ) {
        let doc = self.doc;
        let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        // Steps of each problem, in document order.
        let problem_of = |d: &Draft| d.section.and_then(|s| problems[s]);
        let mut next_in_problem: Vec<Option<usize>> = vec![None; drafts.len()];
        let mut last_of: HashMap<Option<usize>, usize> = HashMap::new();
        for (i, d) in drafts.iter().enumerate() {
            if let Some(&prev) = last_of.get(&problem_of(d)) {
                next_in_problem[prev] = Some(i);
            }
            last_of.insert(problem_of(d), i);
        }
        let (inferred, next_override) = infer::branches(self.source, doc, drafts, runs, &next_in_problem, problems);
        for (i, d) in drafts.iter().enumerate() {
            let from = ids[i].clone();
            let annotated = d.annotation.as_ref();
            let has_branches = annotated.is_some_and(|a| !a.spec.branches.is_empty());
            if let Some(a) = annotated.filter(|_| has_branches) {
                for br in &a.spec.branches {
                    let to = self.resolve_target(&br.goto, &a.origin, &index, ids, drafts);
                    let when = br.when.as_ref().map(|w| self.check_expression(w, &a.origin, "branch condition"));
                    graph.edges.push(Edge {
                        from: from.clone(),
                        to,
                        label: Some(br.label.clone()),
                        when,
                        kind: EdgeKind::Branch,
                        judgement: None,
                        span: a.origin.spanned(&br.goto),
                    });
                }
                continue;
            }
            if let Some(next) = annotated.and_then(|a| a.spec.next.as_ref().map(|n| (n, &a.origin))) {
                let to = self.resolve_target(next.0, next.1, &index, ids, drafts);
                if to.is_some() || next.0.value.trim() == "end" {
                    graph.edges.push(Edge {
                        from,
                        to,
                        label: None,
                        when: None,
                        kind: EdgeKind::Sequence,
                        judgement: None,
                        span: next.1.spanned(next.0),
                    });
                }
                continue;
            }
            if let Some(branches) = inferred.get(&i) {
                for b in branches {
                    graph.edges.push(Edge {
                        from: from.clone(),
                        to: b.to.map(|t| ids[t].clone()),
                        label: Some(b.label.clone()),
                        when: None,
                        kind: EdgeKind::Branch,
                        judgement: b.judgement.clone(),
                        span: d.span,
                    });
                }
                continue;
            }
            if let Some(n) = next_override.get(&i).copied().unwrap_or(next_in_problem[i]) {
                graph.edges.push(Edge {
                    from,
                    to: Some(ids[n].clone()),
                    label: None,
                    when: None,
                    kind: EdgeKind::Sequence,
                    judgement: None,
                    span: d.span,
                });
            }
        }
        for (i, d) in drafts.iter().enumerate() {
            if let Some(a) = &d.annotation
                && let Some(r) = &a.spec.revert
            {
                let to = self.resolve_target(r, &a.origin, &index, ids, drafts);
                graph.steps[i].revert = to;
            }
        }
    }

    /// A branch target: a step id, `#heading-anchor` (its first step) or `end`.
    pub(super) fn resolve_target(
        &mut self,
        target: &Spanned<String>,
        origin: &YamlOrigin,
        index: &HashMap<&str, usize>,
        ids: &[String],
        drafts: &[Draft],
    ) -> Option<String> {
        let t = target.value.trim();
        if t == "end" {
            return None;
        }
        let span = origin.spanned(target);
        if let Some(anchor) = t.strip_prefix('#') {
            let Some(h) = self.doc.heading_by_anchor(anchor) else {
                let anchors = self.doc.headings.iter().map(|h| h.anchor.as_str());
                let mut d = Diagnostic::new(Finding::UnknownBranchTarget, span, format!("no heading has the anchor `#{anchor}`"))
                    .label("unknown anchor");
                if let Some(m) = did_you_mean(anchor, anchors) {
                    d = d.hint(format!("did you mean `#{m}`?"));
                }
                self.diags.push(d);
                return None;
            };
            return match infer::first_draft_in_section(self.doc, drafts, h) {
                Some(i) => Some(ids[i].clone()),
                None => {
                    self.diags.push(
                        Diagnostic::new(Finding::EmptyBranchTarget, span, format!("the section `#{anchor}` has no steps"))
                            .hint("point the branch at a step id, or add a step under that heading"),
                    );
                    None
                }
            };
        }
        if index.contains_key(t) {
            return Some(t.to_owned());
        }
        let mut d = Diagnostic::new(Finding::UnknownBranchTarget, span, format!("unknown step `{t}`")).label("no step has this id");
        d = match did_you_mean(t, ids.iter().map(String::as_str)) {
            Some(m) => d.hint(format!("did you mean `{m}`?")),
            None => d.hint("use a step id, `#heading-anchor` or `end`"),
        };
        self.diags.push(d);
        None
    }
}

pub(super) fn classify(kind: StepKind, code: &str) -> Classified {
    match kind {
        StepKind::Sql => risk::classify_sql(code),
        StepKind::Shell | StepKind::Http => risk::classify_shell(code),
        StepKind::Manual => Classified { risk: Risk::Read, reason: "manual step".into() },
        StepKind::Decision => Classified { risk: Risk::Read, reason: "decision".into() },
    }
}

/// Replaces placeholders with parseable stand-ins so sqlparser can classify the statement.
pub fn neutralize(code: &str, placeholders: &[Placeholder]) -> String {
    let mut out = String::with_capacity(code.len());
    let mut at = 0;
    for p in placeholders {
        if p.start < at || p.end > code.len() {
            continue;
        }
        out.push_str(&code[at..p.start]);
        match p.style {
            PlaceholderStyle::Quoted => out.push_str("'x'"),
            _ => out.push_str("placeholder_value"),
        }
        at = p.end;
    }
    out.push_str(&code[at..]);
    out
}

/// `TOKEN=$(oc whoami -t)` in one shell step and `$TOKEN` in a later step of the same problem:
/// the first step captures the variable (`vars.TOKEN`, read back from bash when it ends) and
/// the parameter takes its value from that capture instead of asking the operator.
pub(super) fn shell_variable_captures(graph: &mut Graph, drafts: &[Draft]) {
    let mut assigned: HashMap<(Option<String>, String), usize> = HashMap::new();
    let mut captured: Vec<(usize, String)> = Vec::new();
    let mut seen: HashSet<(usize, String)> = HashSet::new();
    for (i, d) in drafts.iter().enumerate() {
        if d.annotation.is_some() {
            continue;
        }
        let problem = graph.steps[i].problem.clone();
        for p in &d.placeholders {
            if p.style == PlaceholderStyle::ShellVar
                && let Some(&by) = assigned.get(&(problem.clone(), p.name.clone()))
                && seen.insert((by, p.name.clone()))
            {
                captured.push((by, p.name.clone()));
            }
        }
        if d.kind == StepKind::Shell {
            let mut names = Vec::new();
            placeholder::collect_assignments(&d.code, &mut names);
            for name in names {
                assigned.insert((problem.clone(), name), i);
            }
        }
    }
    let by_name: HashMap<String, usize> = graph.parameters.iter().enumerate().map(|(i, p)| (p.name.clone(), i)).collect();
    for (step, name) in captured {
        if let Some(p) = by_name.get(&name).map(|&i| &mut graph.parameters[i]).filter(|p| !p.declared) {
            p.source = Some(format!("capture:{name}"));
        }
        graph.steps[step].captures.push(Capture { expr: format!("vars.{name}"), name });
    }
}

pub(super) fn inferred_parameter(name: &str, secrets: &HashSet<String>) -> Parameter {
    Parameter {
        name: name.to_owned(),
        prompt: None,
        pattern: None,
        default: None,
        source: None,
        secret: secrets.contains(name) || is_secret_name(name),
        declared: false,
    }
}

/// Names that say they hold a secret are secrets without any annotation.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    // `PASS` covers PASSWORD, PASSWD, DB_PASS; `PWD` alone is the working directory.
    n != "PWD"
        && ["TOKEN", "PASS", "PWD", "SECRET", "KEY", "CREDENTIAL", "AUTH", "COOKIE", "BEARER", "PRIVATE", "SESSION"]
            .iter()
            .any(|w| n.contains(w))
}

/// `1. Check`, `2.1 Check`, `3) Check` → `Check`.
pub(super) fn strip_numbering(title: &str) -> &str {
    let rest = title.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    let rest = rest.strip_prefix(')').unwrap_or(rest);
    // A number alone (`404 errors`) is part of the title; `1.` and `3)` are numbering.
    let numbering = &title[..title.len() - rest.len()];
    let numbered = numbering.starts_with(|c: char| c.is_ascii_digit()) && numbering.contains(['.', ')']);
    if numbered && rest.starts_with(' ') && !rest.trim().is_empty() { rest.trim_start() } else { title }
}

/// The severity a problem's description states when its heading and its own body do not: a
/// `Severity:` field in its Meaning / Impact section (`## Impact` / `- **Severity:** Warning`),
/// or a sentence of that description ("This is a critical alert.", "This alert will fire as
/// a warning when …").
pub(super) fn described_severity(source: &Source, doc: &Document, h: usize, fields: &HashMap<usize, String>) -> Option<String> {
    let describes = |s: usize| s == h || (doc.headings[s].parent == Some(h) && doc.headings[s].role == Some(prose::Role::Symptoms));
    let end = crate::document::section_end(doc, h);
    let sections: Vec<usize> =
        (h..doc.headings.len()).take_while(|&s| doc.headings[s].span.start < end).filter(|&s| describes(s)).collect();
    if let Some(v) = sections.iter().find_map(|s| fields.get(s)) {
        return Some(v.clone());
    }
    // Only the nodes of this problem's section (nodes are in document order): linear overall.
    let first = doc.nodes.partition_point(|n| n.span.start < doc.headings[h].span.start);
    for node in doc.nodes[first..].iter().take_while(|n| n.span.start < end) {
        if !matches!(node.kind, NodeKind::Paragraph) || !node.section.is_some_and(|s| sections.contains(&s)) {
            continue;
        }
        let text = source.text[node.span.range()].to_ascii_lowercase();
        for level in ["critical", "warning", "high", "medium", "low", "info"] {
            let stated =
                [format!("is a {level} alert"), format!("as a {level}"), format!("is an {level} alert"), format!("severity is {level}")];
            if stated.iter().any(|p| text.contains(p.as_str())) {
                return Some(level.to_owned());
            }
        }
    }
    None
}

/// A step's risk; for an inferred manual step, at least the risk of the commands its text holds
/// in inline code (`` `CREATE USER "replicator" …` ``, `` `wal-g backup-fetch …` ``): the
/// operator types them, and a mutating one is never shown as a read.
pub(super) fn manual_risk(d: &Draft) -> Classified {
    if d.kind != StepKind::Manual || d.annotation.is_some() {
        return d.risk.clone();
    }
    let mut out = d.risk.clone();
    for (code, _) in super::inline_code(&d.code) {
        if !super::is_step_code(code) {
            continue;
        }
        let c = classify(super::inline_kind(code), code);
        if c.risk > out.risk {
            out = Classified {
                risk: c.risk,
                reason: format!("the instruction runs `{}`: {}", code.chars().take(60).collect::<String>(), c.reason),
            };
        }
    }
    out
}

/// A slug cut to its first words (at most 34 bytes: one long alert name still fits): ids stay short when headings are sentences.
pub(super) fn short_slug(slug: &str) -> &str {
    if slug.len() <= 34 {
        return slug;
    }
    let mut end = 34;
    while !slug.is_char_boundary(end) {
        end -= 1;
    }
    match slug[..end].rfind('-') {
        Some(i) if i > 10 => &slug[..i],
        _ => &slug[..end],
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::graph;

    #[test]
    fn ids_come_from_the_problem_not_the_document() {
        let g = graph("# Ops Runbook\n\n## Disk full\n\n### Diagnosis\n\n```sh\ndf -h\n```\n");
        assert_eq!(g.entry_points.len(), 1);
        assert_eq!(g.steps[0].id, "disk-full.1");
    }

    #[test]
    fn severity_stated_in_the_description() {
        let field = graph("# CephOSDNearFull\n\n## Impact\n\n- **Severity:** Warning\n\n## Diagnosis\n\n```sh\nceph df\n```\n");
        assert_eq!(field.entry_points[0].severity.as_deref(), Some("warning"));
        let sentence = graph(
            "# KubeAPIDown\n\n## Meaning\n\nThis is a critical alert. The API is not responding.\n\n## Diagnosis\n\n```sh\noc get pods\n```\n",
        );
        assert_eq!(sentence.entry_points[0].severity.as_deref(), Some("critical"));
        let none = graph("# Disk\n\n## Meaning\n\nThe disk fills up.\n\n## Diagnosis\n\n```sh\ndf -h\n```\n");
        assert_eq!(none.entry_points[0].severity, None);
    }

    #[test]
    fn a_manual_instruction_is_as_risky_as_the_commands_it_holds() {
        let g = graph(
            "# Replica\n\n## Setup\n\n1. Create a replication user on the primary\n    * `CREATE USER \"replicator\" LOGIN REPLICATION;`\n2. Create a replication slot\n    * `SELECT pg_create_physical_replication_slot('standby');`\n",
        );
        let s = g.steps.iter().find(|s| s.code.contains("CREATE USER")).expect("a step");
        assert_ne!(s.risk, crate::Risk::Read, "{s:?}");
    }

    #[test]
    fn steps_of_a_problem_run_in_sequence() {
        let g = graph("# Disk full\n\n```sh\ndf -h\n```\n\n```sh\ndu -sh /var\n```\n");
        assert_eq!(g.edges.len(), 1);
        assert_eq!(g.edges[0].from, g.steps[0].id);
        assert_eq!(g.edges[0].to.as_deref(), Some(g.steps[1].id.as_str()));
    }
}
