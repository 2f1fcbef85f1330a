//! Annotations: the front matter (connections, environments, parameters, secrets) and `yaml
//! step` blocks, read with their YAML positions mapped back to the `.md` file, checked, and
//! applied to the drafted steps. Annotations override inference.

use super::*;

pub(super) fn spec_kind(k: StepKindSpec) -> StepKind {
    match k {
        StepKindSpec::Sql => StepKind::Sql,
        StepKindSpec::Http => StepKind::Http,
        StepKindSpec::Shell => StepKind::Shell,
        StepKindSpec::Manual => StepKind::Manual,
        StepKindSpec::Decision => StepKind::Decision,
    }
}

pub(super) fn validate_pattern(p: &str) -> Result<(), String> {
    // The core has no regex engine; check the common mistakes (balance) and leave the rest
    // to the engine, which compiles the pattern before asking for a value.
    let mut depth: i32 = 0;
    let mut escaped = false;
    let mut in_class = false;
    for c in p.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => {
                depth -= 1;
                if depth < 0 {
                    return Err("unmatched `)`".into());
                }
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unclosed `(`".into());
    }
    if in_class {
        return Err("unclosed `[`".into());
    }
    Ok(())
}

pub(super) fn declared_parameter(name: &str, spec: &annotation::ParamSpec, secrets: &HashSet<String>) -> Parameter {
    let source = spec.source.as_ref().map(|s| s.value.clone());
    // An explicit `secret: false` overrides the name (`RATE_LIMIT_KEY` may be public).
    let secret = spec.secret.unwrap_or_else(|| secrets.contains(name) || source.as_deref() == Some("secret") || is_secret_name(name));
    Parameter {
        name: name.to_owned(),
        prompt: spec.prompt.clone(),
        pattern: spec.pattern.as_ref().map(|p| p.value.clone()),
        default: spec.default.clone(),
        source,
        secret,
        declared: true,
    }
}

impl Builder<'_> {
    pub(super) fn front_matter(&mut self) {
        if let Some(span) = self.doc.unclosed_front_matter {
            self.diags.push(
                Diagnostic::new(Finding::UnclosedFrontMatter, span, "front matter is opened here but never closed")
                    .label("no closing `---` line follows")
                    .hint("close the front matter with a line holding only `---`; the file was read as plain Markdown"),
            );
        }
        let Some(fm) = &self.doc.front_matter else {
            return;
        };
        let origin = YamlOrigin::new(&fm.yaml, vec![(0, fm.yaml_start)], fm.span.start);
        match serde_saphyr::from_str::<Option<FrontMatter>>(&fm.yaml) {
            Ok(front) => self.front = front.unwrap_or_default(),
            Err(e) => {
                self.yaml_error(&e, &origin, &fm.yaml, "front matter");
                // Keep what can be read: a second try ignoring the broken part is not possible
                // with serde, so the runbook is built without front matter.
            }
        }
        self.front_matter_key_typos(&fm.yaml, &origin);
    }

    pub(super) fn front_matter_key_typos(&mut self, yaml: &str, origin: &YamlOrigin) {
        let mut offset = 0;
        for line in yaml.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let Some((key, _)) = line.split_once(':') else {
                continue;
            };
            if key.starts_with([' ', '\t', '#', '-']) || key.is_empty() || key.contains(' ') {
                continue;
            }
            if annotation::FRONT_MATTER_KEYS.contains(&key) {
                continue;
            }
            if let Some(m) = did_you_mean(key, annotation::FRONT_MATTER_KEYS.iter().copied()) {
                let s = origin.source_offset(start);
                self.diags.push(
                    Diagnostic::new(
                        Finding::UnknownFrontMatterKey,
                        Span::new(s, s + key.len()),
                        format!("unknown front matter key `{key}`"),
                    )
                    .label("ignored")
                    .hint(format!("did you mean `{m}`?")),
                );
            }
        }
    }

    pub(super) fn yaml_error(&mut self, e: &serde_saphyr::Error, origin: &YamlOrigin, text: &str, what: &str) {
        let span = match e.location() {
            Some(loc) => {
                let s = origin.span_of(&loc, Some(text));
                Span::new(s.start, s.end.max(s.start + 1))
            }
            None => Span::new(origin.fallback, origin.fallback + 3),
        };
        let options = serde_saphyr::render_options! { snippets: serde_saphyr::SnippetMode::Off };
        let mut message = e.render_with_options(options);
        if let Some(i) = message.rfind(" at line ") {
            message.truncate(i);
        }
        let message = message.lines().next().unwrap_or("invalid YAML").trim().to_owned();
        self.diags.push(Diagnostic::new(Finding::InvalidYaml, span, format!("invalid {what}: {message}")));
    }

    pub(super) fn parse_annotation(
        &mut self,
        block: &CodeBlock,
        span: Span,
        node: usize,
        section: Option<usize>,
        list: ListContext,
    ) -> Option<Annotated> {
        let origin = YamlOrigin::new(&block.text, block.pieces.clone(), span.start);
        if block.text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
            self.diags.push(
                Diagnostic::new(Finding::EmptyAnnotation, span, "this `yaml step` block is empty").hint("give the step at least an `id`"),
            );
            return None;
        }
        match serde_saphyr::from_str::<StepAnnotation>(&block.text) {
            Ok(spec) => Some(Annotated { spec, origin, span, node, section, list }),
            Err(e) => {
                self.yaml_error(&e, &origin, &block.text, "step annotation");
                None
            }
        }
    }

    /// A `yaml step` block that annotates the block just before it.
    pub(super) fn annotate_block(&mut self, block_node: usize, drafts: std::ops::Range<usize>, annotated: Annotated) {
        let node = &self.doc.nodes[block_node];
        let NodeKind::Code(block) = &node.kind else {
            return;
        };
        let title = drafts.clone().next().map(|d| self.drafts[d].title.clone()).unwrap_or_default();
        let condition = drafts.clone().next().and_then(|d| self.drafts[d].condition.clone());
        let new = self.block_draft_annotated(block_node, block, node.span, node.section, node.list, annotated);
        let tail: Vec<Draft> = self.drafts.drain(drafts.start..).skip(drafts.len()).collect();
        if let Some(mut d) = new {
            if d.title.is_empty() {
                d.title = title;
            }
            d.condition = d.condition.or(condition);
            self.drafts.push(d);
        }
        self.drafts.extend(tail);
    }

    /// One step for the whole block, with the annotation's kind (or the inferred one).
    pub(super) fn block_draft_annotated(
        &mut self,
        index: usize,
        block: &CodeBlock,
        span: Span,
        section: Option<usize>,
        list: ListContext,
        annotated: Annotated,
    ) -> Option<Draft> {
        let inferred = self.block_drafts(index, block, span, section, list);
        let kind = match annotated.spec.kind {
            Some(k) => spec_kind(k),
            None => {
                let kinds: HashSet<StepKind> = inferred.iter().map(|d| d.kind).collect();
                match (kinds.len(), inferred.first()) {
                    (1, Some(d)) => d.kind,
                    _ => {
                        let at = annotated.span;
                        self.diags.push(
                            Diagnostic::new(
                                Finding::AnnotationNeedsKind,
                                Span::new(at.start, at.start + 3),
                                "cannot tell what kind of step this block is",
                            )
                            .hint("add `kind: sql`, `http`, `shell` or `manual` to the annotation"),
                        );
                        StepKind::Manual
                    }
                }
            }
        };
        let (code, code_map) = if inferred.len() == 1 && inferred[0].kind == kind {
            (inferred[0].code.clone(), inferred[0].code_map.clone())
        } else {
            let text = block.text.trim_end().to_owned();
            (text, block.pieces.clone())
        };
        let mut draft = self.draft(kind, code, code_map, Some(block.lang()).filter(|l| !l.is_empty()), span, section, list, index);
        draft.expected_output = inferred.into_iter().find_map(|d| d.expected_output);
        draft.annotation = Some(Box::new(annotated));
        Some(draft)
    }

    pub(super) fn standalone(&mut self, annotated: Annotated) {
        let (index, section, list) = (annotated.node, annotated.section, annotated.list);
        let spec = &annotated.spec;
        let kind = match (spec.kind, &spec.code, spec.branches.is_empty()) {
            (Some(k), _, _) => spec_kind(k),
            (None, Some(_), _) => {
                let at = annotated.span;
                self.diags.push(
                    Diagnostic::new(
                        Finding::AnnotationNeedsKind,
                        Span::new(at.start, at.start + 3),
                        "a standalone step with `code` needs a `kind`",
                    )
                    .hint("add `kind: sql`, `http` or `shell`"),
                );
                StepKind::Manual
            }
            (None, None, false) => StepKind::Decision,
            (None, None, true) => StepKind::Manual,
        };
        let code = spec.code.clone().unwrap_or_default().trim_end().to_owned();
        let map = vec![(0, annotated.span.start)];
        let mut draft = self.draft(kind, code, map, None, annotated.span, section, list, index);
        draft.title = spec.title.clone().unwrap_or_default();
        draft.annotation = Some(Box::new(annotated));
        self.drafts.push(draft);
    }

    /// `source: capture:NAME` must name a capture some step makes.
    pub(super) fn check_capture_sources(&mut self, drafts: &[Draft], captures: &HashSet<String>) {
        let fm = self.doc.front_matter.as_ref().map(|fm| YamlOrigin::new(&fm.yaml, vec![(0, fm.yaml_start)], fm.span.start));
        let mut specs: Vec<(Spanned<String>, YamlOrigin)> = Vec::new();
        if let Some(origin) = &fm {
            for (_, p) in &self.front.parameters.0 {
                if let Some(src) = &p.source {
                    specs.push((src.clone(), origin.clone()));
                }
            }
        }
        for d in drafts {
            let Some(a) = &d.annotation else { continue };
            for (_, p) in &a.spec.params.0 {
                if let Some(src) = &p.source {
                    specs.push((src.clone(), a.origin.clone()));
                }
            }
        }
        for (src, origin) in specs {
            let Some(name) = src.value.strip_prefix("capture:") else { continue };
            if captures.contains(name) {
                continue;
            }
            let mut d = Diagnostic::new(Finding::UnknownCapture, origin.spanned(&src), format!("no step captures `{name}`"));
            d = match did_you_mean(name, captures.iter().map(String::as_str)) {
                Some(m) => d.hint(format!("did you mean `capture:{m}`?")),
                None => d.hint("add `capture: {NAME: expression}` to the step that produces the value"),
            };
            self.diags.push(d);
        }
    }

    pub(super) fn connections(&mut self, graph: &mut Graph) {
        for (name, c) in &self.front.connections.0 {
            let kind = match c.kind {
                annotation::ConnectionKind::Postgres => "postgres",
                annotation::ConnectionKind::Sqlite => "sqlite",
                annotation::ConnectionKind::Http => "http",
            };
            graph.connections.push(Connection { name: name.value.clone(), kind: kind.into(), url: c.url.clone(), env: c.env.clone() });
        }
        for (name, e) in &self.front.environments.0 {
            graph.environments.push(Environment {
                name: name.value.clone(),
                connections: e.connections.0.iter().map(|(k, v)| (k.value.clone(), v.clone())).collect(),
                targets: e.targets.0.iter().map(|(k, v)| (k.value.clone(), v.clone())).collect(),
            });
        }
        for (name, s) in &self.front.secrets.0 {
            graph.secrets.push(Secret { name: name.value.clone(), env: s.env.clone(), file: s.file.clone() });
        }
        let known: Vec<&str> = graph.connections.iter().map(|c| c.name.as_str()).collect();
        for (env_name, e) in &self.front.environments.0 {
            for (conn, _) in &e.connections.0 {
                if !known.contains(&conn.value.as_str()) {
                    let span = Span::new(self.front_offset(conn), self.front_offset(conn) + conn.value.len());
                    let mut d = Diagnostic::new(
                        Finding::UnknownConnection,
                        span,
                        format!("environment `{}` names unknown connection `{}`", env_name.value, conn.value),
                    );
                    if let Some(m) = did_you_mean(&conn.value, known.iter().copied()) {
                        d = d.hint(format!("did you mean `{m}`?"));
                    }
                    self.diags.push(d);
                }
            }
        }
    }

    pub(super) fn front_offset<T>(&self, v: &Spanned<T>) -> usize {
        match &self.doc.front_matter {
            Some(fm) => YamlOrigin::new(&fm.yaml, vec![(0, fm.yaml_start)], fm.span.start).spanned(v).start,
            None => 0,
        }
    }

    pub(super) fn parameters(&mut self, graph: &mut Graph, secrets: &HashSet<String>) {
        let fm = self.doc.front_matter.as_ref().map(|fm| YamlOrigin::new(&fm.yaml, vec![(0, fm.yaml_start)], fm.span.start));
        let specs: Vec<(String, annotation::ParamSpec)> =
            self.front.parameters.0.iter().map(|(k, v)| (k.value.clone(), v.clone())).collect();
        for (name, spec) in specs {
            if let Some(origin) = &fm {
                self.check_param_spec(&spec, origin);
            }
            graph.parameters.push(declared_parameter(&name, &spec, secrets));
        }
        // Front-matter order, not the set's: output must be stable.
        let names: Vec<String> = self.front.secrets.0.iter().map(|(k, _)| k.value.clone()).collect();
        for name in &names {
            if graph.parameter(name).is_none() {
                graph.parameters.push(Parameter {
                    name: name.clone(),
                    prompt: None,
                    pattern: None,
                    default: None,
                    source: Some("secret".into()),
                    secret: true,
                    declared: true,
                });
            }
        }
    }

    pub(super) fn check_param_spec(&mut self, spec: &annotation::ParamSpec, origin: &YamlOrigin) {
        if let Some(p) = &spec.pattern
            && let Err(msg) = validate_pattern(&p.value)
        {
            self.diags.push(Diagnostic::new(Finding::InvalidPattern, origin.spanned(p), format!("invalid parameter pattern: {msg}")));
        }
        if let Some(s) = &spec.source {
            let v = s.value.as_str();
            let ok = v == "prompt"
                || v == "secret"
                || v.strip_prefix("env:").is_some_and(|n| !n.is_empty())
                || v.strip_prefix("capture:").is_some_and(|n| !n.is_empty())
                || v.strip_prefix("file:").is_some_and(|n| !n.is_empty());
            if !ok {
                self.diags.push(
                    Diagnostic::new(Finding::InvalidParamSource, origin.spanned(s), format!("unknown parameter source `{v}`"))
                        .hint("use `prompt`, `secret`, `env:NAME`, `file:PATH` or `capture:NAME`"),
                );
            }
        }
    }

    pub(super) fn check_expression(&mut self, expr: &Spanned<String>, origin: &YamlOrigin, what: &str) -> String {
        let text = expr.value.trim().to_owned();
        let text = text.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")).map_or(text.clone(), |t| t.trim().to_owned());
        if let Err(e) = self.expressions.compile_expression(&text) {
            let detail = e.detail().map(str::to_owned).unwrap_or_else(|| e.to_string());
            self.diags.push(
                Diagnostic::new(Finding::InvalidExpression, origin.spanned(expr), format!("invalid {what}: {detail}"))
                    .hint("conditions are minijinja expressions, e.g. `rows | length > 0` or `status == 200`"),
            );
        }
        text
    }

    pub(super) fn apply_annotation(
        &mut self,
        step: &mut Step,
        a: &Annotated,
        graph: &Graph,
        secrets: &HashSet<String>,
        captures: &HashSet<String>,
    ) {
        let spec = &a.spec;
        if let Some(t) = &spec.title {
            step.title = t.clone();
        }
        step.timeout_ms = spec.timeout.map(|t| t.0);
        if let Some(target) = &spec.target {
            let names: Vec<&str> = graph.connections.iter().map(|c| c.name.as_str()).collect();
            match graph.connections.iter().find(|c| c.name == target.value) {
                Some(c) => {
                    let fits = match step.kind {
                        StepKind::Sql => c.kind != "http",
                        StepKind::Http => c.kind == "http",
                        _ => true,
                    };
                    if !fits {
                        self.diags.push(Diagnostic::new(
                            Finding::WrongConnectionKind,
                            a.origin.spanned(target),
                            format!("a {} step cannot run against {} connection `{}`", step.kind.as_str(), c.kind, c.name),
                        ));
                    }
                }
                None => {
                    let mut d = Diagnostic::new(
                        Finding::UnknownConnection,
                        a.origin.spanned(target),
                        format!("unknown connection `{}`", target.value),
                    )
                    .label("not declared under `connections:`");
                    d = match did_you_mean(&target.value, names.iter().copied()) {
                        Some(m) => d.hint(format!("did you mean `{m}`?")),
                        None if names.is_empty() => d.hint("declare it in the front matter under `connections:`"),
                        None => d.hint(format!("declared connections: {}", names.join(", "))),
                    };
                    self.diags.push(d);
                }
            }
            step.target = Some(target.value.clone());
        }
        let mut local: HashSet<String> = HashSet::new();
        for (name, p) in &spec.params.0 {
            self.check_param_spec(p, &a.origin);
            step.local_params.push(declared_parameter(&name.value, p, secrets));
            local.insert(name.value.clone());
            if !step.params.contains(&name.value) {
                step.params.push(name.value.clone());
            }
        }
        for c in &spec.expect {
            let name = c.name.clone().unwrap_or_else(|| c.that.as_ref().or(c.value.as_ref()).map(|e| e.value.clone()).unwrap_or_default());
            let that = c.that.as_ref().map(|e| self.check_expression(e, &a.origin, "check"));
            let value = c.value.as_ref().map(|e| self.check_expression(e, &a.origin, "check value"));
            if that.is_none() && value.is_none() {
                self.diags.push(Diagnostic::new(
                    Finding::InvalidCheck,
                    a.span,
                    format!("check `{name}` needs `that:` (a condition) or `value:` with thresholds"),
                ));
            }
            if value.is_some() && c.warning.is_none() && c.critical.is_none() {
                self.diags.push(Diagnostic::new(
                    Finding::InvalidCheck,
                    a.span,
                    format!("check `{name}` has a `value:` but no `warning:` or `critical:` threshold"),
                ));
            }
            if c.level == Some(annotation::Level::Pass) {
                self.diags.push(Diagnostic::new(
                    Finding::InvalidCheck,
                    a.span,
                    format!("check `{name}` has `level: pass`; a failing check is `warning` or `critical`"),
                ));
            }
            step.checks.push(Check {
                name,
                that,
                value,
                warning: c.warning,
                critical: c.critical,
                direction: c.direction.unwrap_or(annotation::Direction::Above),
                level: c.level.unwrap_or(annotation::Level::Critical),
            });
        }
        for (name, expr) in &spec.capture.0 {
            let e = self.check_expression(expr, &a.origin, "capture");
            step.captures.push(Capture { name: name.value.clone(), expr: e });
        }
        step.confirm = match &spec.confirm {
            None | Some(Confirm::No) => ConfirmKind::None,
            Some(Confirm::Yes) => ConfirmKind::Yes,
            Some(Confirm::Word(w)) => ConfirmKind::Word { word: w.clone() },
        };
        // A placeholder in annotated code needs a value source.
        for p in step.placeholders.clone() {
            let known = local.contains(&p.name)
                || graph.parameter(&p.name).is_some_and(|q| q.declared)
                || secrets.contains(&p.name)
                || captures.contains(&p.name);
            if !known {
                let start = step.source_offset(p.start);
                let span = Span::new(start, start + (p.end - p.start));
                self.diags.push(
                    Diagnostic::new(Finding::PlaceholderWithoutSource, span, format!("placeholder `{}` has no value source", p.name))
                        .label("nothing provides this value")
                        .hint(format!("declare `{}` under `params:` in the step annotation or `parameters:` in the front matter, or capture it in an earlier step", p.name)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::compile;

    #[test]
    fn an_annotation_names_and_gates_the_block_above() {
        let c = compile("# Fix\n\n```sql\nDELETE FROM t WHERE id = 'ROW_ID';\n```\n\n```yaml step\nid: purge\nconfirm: PURGE\n```\n");
        let s = &c.graph.steps[0];
        assert_eq!(s.id, "purge");
        assert!(c.diagnostics.iter().all(|d| d.code != "unconfirmed-destructive-step"), "{:?}", c.diagnostics);
    }

    #[test]
    fn an_unknown_connection_points_at_the_yaml() {
        let c = compile("# Fix\n\n```sql\nSELECT 1;\n```\n\n```yaml step\nid: one\ntarget: nowhere\n```\n");
        let d = c.diagnostics.iter().find(|d| d.code == "unknown-connection").expect("a diagnostic");
        assert_eq!(c.source.line_col(d.span.start).line, 9);
    }
}
