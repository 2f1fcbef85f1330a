//! What the outline knows of every heading (its body, children, role, whether it is a guide,
//! a group, a procedure, a variant…) and the rules that decide, from it, what each section is.

use super::*;

/// What the outline knows of every heading before deciding what each section is.
pub(super) struct HeadingFacts {
    pub(super) n: usize,
    body: Vec<Body>,
    children: Vec<Vec<usize>>,
    /// The document's subject, a troubleshooting guide whose checks are its parts.
    guide: Vec<bool>,
    /// Each heading's role, none for a guide or a set of how-tos.
    roles: Vec<Option<Role>>,
    carries_roles: Vec<bool>,
    structured: Vec<bool>,
    group: Vec<bool>,
    procedure_role: Vec<bool>,
    has_nodes: Vec<bool>,
    lone_child_of_empty: Vec<bool>,
    notes_with_commands: Vec<bool>,
    step: Vec<bool>,
    container: Vec<bool>,
    ways: Vec<bool>,
    variant: Vec<bool>,
}

impl HeadingFacts {
    pub(super) fn of(source: &Source, doc: &Document) -> HeadingFacts {
        let n = doc.headings.len();
        let body = bodies(source, doc);
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, h) in doc.headings.iter().enumerate() {
            if let Some(p) = h.parent {
                children[p].push(i);
            }
        }
        // `# Troubleshooting database degradation` over `## Check CPU utilization`, `## Check for
        // slow queries`…: the document's subject, a problem whose checks are its parts, not a role
        // section of nothing.
        let guide: Vec<bool> = doc
            .headings
            .iter()
            .enumerate()
            .map(|(i, h)| {
                h.parent.is_none()
                    && h.role == Some(Role::Diagnosis)
                    && h.title.split_whitespace().count() >= 3
                    && doc.headings.get(i + 1).is_some_and(|c| c.parent == Some(i))
            })
            .collect();
        // `### Debugging containers in pods` over `#### Attach PVC`, `#### Add an ephemeral debug
        // container`…, each with its commands and nothing above them: a set of how-tos, each an
        // entry of its own, not the diagnosis of the section above. (A resolution's sub-sections
        // are its options; a bare `### Diagnosis` names only its role.)
        let howtos: Vec<bool> = doc
            .headings
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let kids = &children[i];
                h.parent.is_some()
                    && h.role.is_some_and(|r| r != Role::Resolution)
                    && h.title.split_whitespace().count() >= 3
                    && body[i].code == 0
                    && kids.len() >= 2
                    && kids.iter().all(|&c| doc.headings[c].role.is_none() && !is_step_heading(&doc.headings[c].title))
                    && kids.iter().filter(|&&c| body[c].code > 0).count() >= 2
            })
            .collect();
        let roles: Vec<Option<Role>> =
            doc.headings.iter().enumerate().map(|(i, h)| if guide[i] || howtos[i] { None } else { h.role }).collect();
        // A section that carries roles of its own: role sub-headings or role labels in its body.
        let carries_roles: Vec<bool> =
            (0..n).map(|i| roles[i].is_none() && (body[i].role_labels > 0 || children[i].iter().any(|&c| roles[c].is_some()))).collect();
        // Structured like a problem or procedure of its own: roles, or several labelled parts.
        let structured: Vec<bool> = (0..n).map(|i| carries_roles[i] || (roles[i].is_none() && body[i].labels >= 2)).collect();
        // A group: its own body has no roles, and two or more of its children are structured.
        let group: Vec<bool> = (0..n)
            .map(|i| {
                howtos[i] || roles[i].is_none() && body[i].role_labels == 0 && children[i].iter().filter(|&&c| structured[c]).count() >= 2
            })
            .collect();
        // A role title among sibling procedures (`### Troubleshooting` beside `### System Status`
        // and `### Deployment`, all holding commands) is one more procedure, not a role section.
        let procedure_role: Vec<bool> = (0..n)
            .map(|i| {
                // (The children of the document's title are its role sections, whatever else it has.)
                let Some(p) = doc.headings[i].parent.filter(|&p| doc.headings[p].level >= 2) else { return false };
                roles[i].is_some_and(|r| r != Role::Context)
                    && (body[i].code > 0 || body[i].labels >= 2)
                    && children[p].iter().all(|&c| c == i || roles[c].is_none())
                    && children[p].iter().any(|&c| c != i && body[c].code > 0 && !is_step_heading(&doc.headings[c].title))
            })
            .collect();

        // `## Redis is down` with nothing under it but `### Start Redis`: the sub-section is what
        // to do about it, a part of that entry, not an entry of its own. (Under `## Switch master
        // manually`, an action itself, `### How to switch primaries` is the entry.)
        let mut has_nodes = vec![false; n];
        for node in &doc.nodes {
            if let Some(h) = node.section {
                has_nodes[h] = true;
            }
        }
        let lone_child_of_empty: Vec<bool> = (0..n)
            .map(|i| {
                doc.headings[i].parent.is_some_and(|p| {
                    !has_nodes[p]
                        && roles[p].is_none()
                        && children[p].len() == 1
                        && doc.headings[p].parent.is_some()
                        && children[i].is_empty()
                        && !prose::is_instruction(&doc.headings[p].title)
                        && prose::is_instruction(&doc.headings[i].title)
                }) && roles[i].is_none()
            })
            .collect();
        // `## Details about Sentry installation` holding `source …/activate` and `pip list`: the
        // word "details" names notes, but a titled subject with commands is a procedure. (A bare
        // `## Overview` or `## Background` stays notes, whatever it shows.)
        let notes_with_commands: Vec<bool> = (0..n)
            .map(|i| {
                roles[i] == Some(Role::Context)
                    && doc.headings[i].parent.is_some()
                    && doc.headings[i].title.split_whitespace().count() >= 3
                    && body[i].code > 0
            })
            .collect();
        let step: Vec<bool> = doc.headings.iter().map(|h| is_step_heading(&h.title)).collect();
        let container: Vec<bool> = doc.headings.iter().map(|h| is_alternatives_container(&h.title)).collect();
        let ways: Vec<bool> = (0..n).map(|i| asks_for_ways(doc, i, &children[i], &roles, &step)).collect();
        // `### Restoring with WAL-G` beside `### Restoring with a disk snapshot`: one task done
        // two ways, side by side.
        let mut variant = vec![false; n];
        for kids in &children {
            for pair in kids.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                if roles[a].is_none() && roles[b].is_none() && same_way_prefix(&doc.headings[a].title, &doc.headings[b].title) {
                    variant[a] = true;
                    variant[b] = true;
                }
            }
        }
        HeadingFacts {
            n,
            body,
            children,
            guide,
            roles,
            carries_roles,
            structured,
            group,
            procedure_role,
            has_nodes,
            lone_child_of_empty,
            notes_with_commands,
            step,
            container,
            ways,
            variant,
        }
    }

    /// What section `i` is (kind, the problem it belongs to, and why), given the sections
    /// decided before it and the last problem opened at each level.
    pub(super) fn decide(
        &self,
        doc: &Document,
        i: usize,
        sections: &[Section],
        problem_at_level: &[Option<usize>; 7],
    ) -> (SectionKind, Option<usize>, &'static str) {
        let h = &doc.headings[i];
        let parent_problem = h.parent.and_then(|p| sections[p].problem);
        let parent_is_role = h.parent.is_some_and(|p| matches!(sections[p].kind, SectionKind::Role(_)));
        let parent_group = h.parent.is_some_and(|p| self.group[p]);
        let level = usize::from(h.level.min(6));
        let sibling_problem = problem_at_level[level].filter(|&p| doc.headings[p].parent == h.parent);
        let has_role_child = self.children[i].iter().any(|&c| self.roles[c].is_some());
        if self.guide[i] {
            (SectionKind::Problem, Some(i), "a troubleshooting guide: the document's subject")
        } else if let Some(p) = h.parent.filter(|&p| self.guide[p] && self.roles[i].is_none() && prose::is_instruction(&h.title)) {
            (SectionKind::Part, Some(p), "one check of the troubleshooting guide above")
        } else if self.group[i] {
            (SectionKind::Group, Some(i), "two or more of its sub-sections are problems or procedures of their own")
        } else if parent_group && (self.structured[i] || self.roles[i].is_none()) {
            let kind = if self.carries_roles[i] { SectionKind::Problem } else { SectionKind::Procedure };
            (kind, Some(i), "a member of the group above")
        } else if self.lone_child_of_empty[i] && parent_problem.is_some() && !parent_group {
            (SectionKind::Part, parent_problem, "the only sub-section of an empty section")
        } else if self.notes_with_commands[i] {
            (SectionKind::Procedure, Some(i), "notes on a subject, with commands")
        } else if self.procedure_role[i] {
            (SectionKind::Procedure, Some(i), "a role title among sibling procedures that hold commands")
        } else if let Some(r) = self.roles[i] {
            (SectionKind::Role(r), parent_problem, "its title names a role")
        } else if self.step[i] && !self.structured[i] && h.parent.is_some() {
            (SectionKind::Step, parent_problem.or(h.parent), "a numbered or `Step N` heading")
        } else if self.step[i] && !self.structured[i] && sibling_problem.is_some() {
            (SectionKind::Step, sibling_problem, "a numbered heading after the problem it continues")
        } else if (self.container[i] || h.parent.is_some_and(|p| self.container[p])) && parent_problem.is_some() {
            // `#### Network issues` under `### Potential issues and resolutions`: one cause
            // among several, of the problem above.
            (SectionKind::Option, parent_problem, "one of several causes or alternatives")
        } else if h.parent.is_some_and(|p| self.ways[p] && !self.group[p]) && parent_problem.is_some() {
            // `### Grafana`, `### redis-cli` under `## Is redis running?`: one way to answer it.
            (SectionKind::Option, parent_problem, "one of several ways to answer the question above")
        } else if self.variant[i] && !self.structured[i] && parent_problem.is_some() && h.parent.is_some_and(|p| !self.group[p]) {
            (SectionKind::Option, parent_problem, "one of several ways to do it, beside its siblings")
        } else if h.parent.is_some_and(|p| matches!(sections[p].kind, SectionKind::Option | SectionKind::Part))
            && parent_problem.is_some_and(|q| self.ways[q])
            && !self.structured[i]
        {
            // `#### Monitoring the slowlog` under `### slowlog`, one of those ways: still that way.
            (SectionKind::Part, parent_problem, "part of the option above")
        } else if h.parent.is_some_and(|p| sections[p].kind == SectionKind::Option && !self.has_nodes[p] && self.children[p].len() >= 2)
            && parent_problem.is_some()
            && self.roles[i].is_none()
        {
            // `#### dashboards.gitlab.net`, `#### worker*.gitlab.com` under an empty `### Well
            // known hosts` option: each host is a case of its own.
            (SectionKind::Option, parent_problem, "one of several ways to do it: a case of the empty option above")
        } else if h.parent.is_some_and(|p| self.step[p]) && parent_problem.is_some() {
            // `#### Certificate errors` under `### 3. Prometheus issues`: still that procedure.
            (SectionKind::Part, parent_problem, "part of the step heading above")
        } else if parent_is_role && !has_role_child && parent_problem.is_some() {
            // `### 1. Delete data` under `## Resolution`: an option of the problem above.
            let resolution = h.parent.is_some_and(|p| self.roles[p] == Some(Role::Resolution));
            let kind = if resolution { SectionKind::Option } else { SectionKind::Part };
            (kind, parent_problem, "a sub-section of a role section")
        } else {
            let kind = if self.carries_roles[i] || self.body[i].role_labels > 0 { SectionKind::Problem } else { SectionKind::Procedure };
            (kind, Some(i), if kind == SectionKind::Problem { "it has role sections" } else { "a section of its own" })
        }
    }
}
