//! Transcripts: a session journal as an incident timeline (Markdown, HTML, JSON). Everything
//! comes from the journal, which never held a secret value.

use serde_json::{Value, json};

/// The timeline as plain values: one entry per step (start + result merged), decision,
/// resume and end.
pub fn timeline(events: &[Value]) -> Value {
    let header = events.iter().find(|e| e["type"] == "session").cloned().unwrap_or(Value::Null);
    let title = events
        .iter()
        .find(|e| e["type"] == "entry")
        .map(|e| format!("{} — {}", e["title"].as_str().unwrap_or(""), e["runbook_title"].as_str().unwrap_or("")))
        .unwrap_or_default();
    let mut items: Vec<Value> = Vec::new();
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    for e in events {
        let time = e["ts"].as_str().unwrap_or("").get(11..19).unwrap_or("").to_owned();
        match e["type"].as_str().unwrap_or("") {
            "step_start" => items.push(json!({
                "type": "step", "class": "", "time": time, "step": e["step"], "kind": e["kind"], "risk": e["risk"], "title": e["title"],
                "command": e["command"], "params": e["params"].as_object().map(|m| m.iter().map(|(k, v)| json!([k, text(v)])).collect::<Vec<_>>()).unwrap_or_default(),
            })),
            "step_result" => {
                if let Some(last) = items.iter_mut().rev().find(|i| i["type"] == "step" && i["step"] == e["step"]) {
                    let r = &e["result"];
                    if let Some(err) = r.get("error") {
                        last["error"] = Value::String(text(&err["message"]));
                        last["class"] = "failed".into();
                    }
                    let summary = match r["kind"].as_str() {
                        Some("sql") => format!("{} row(s)", text(&r["row_count"])),
                        Some("http") => format!("HTTP {} in {} ms{}", text(&r["status"]), text(&r["elapsed_ms"]), r.get("filtered").map(|f| format!(" → {}", text(f))).unwrap_or_default()),
                        Some("shell") => format!("exit code {}{}", text(&r["exit_code"]), if r["stdout"].as_str().is_some_and(|s| !s.is_empty()) { format!(": {}", r["stdout"].as_str().unwrap_or("").lines().next().unwrap_or("")) } else { String::new() }),
                        Some("manual") => format!("{}{}", if r["done"] == true { "done" } else { "skipped" }, r["note"].as_str().map(|n| format!(": {n}")).unwrap_or_default()),
                        _ => String::new(),
                    };
                    last["summary"] = summary.into();
                    if let Some(cols) = r["columns"].as_array().filter(|c| !c.is_empty()) {
                        last["columns"] = Value::Array(cols.clone());
                        let rows: Vec<Value> = r["rows"].as_array().map(|rows| rows.iter().take(10).map(|row| Value::Array(cols.iter().map(|c| Value::String(text(&row[c.as_str().unwrap_or("")]))).collect())).collect()).unwrap_or_default();
                        last["rows"] = Value::Array(rows);
                    }
                    last["checks"] = e["checks"].clone();
                    last["ended"] = time.clone().into();
                }
            }
            "decision" => items.push(json!({
                "type": "decision", "class": "decision", "time": time,
                "text": format!("{}: chose “{}”{}{}", text(&e["step"]), text(&e["chosen"]),
                    match (e["suggested"] == e["chosen"], e["suggested"].is_string(), e["reason"].as_str()) {
                        (true, _, Some(why)) => format!(" (suggested: {why})"),
                        (true, _, None) => " (suggested)".to_owned(),
                        (false, true, Some(why)) => format!(" (suggested: {}, as {why})", text(&e["suggested"])),
                        (false, true, None) => format!(" (suggested: {})", text(&e["suggested"])),
                        _ => String::new(),
                    },
                    e["to"].as_str().map(|t| format!(" → {t}")).unwrap_or_else(|| " → end".into())),
            })),
            "in_flight" => items.push(json!({"type": "note", "class": "resumed", "time": time, "text": format!("{} was running when the session died; the operator chose: {}", text(&e["step"]), match e["choice"].as_str() {
                Some("rerun") => "run it again",
                Some("done") => "mark it done",
                Some("skip") => "skip it",
                _ => "?",
            })})),
            "step_skipped" => items.push(json!({"type": "note", "class": "", "time": time, "text": format!("{} not run: {}", text(&e["step"]), text(&e["reason"]))})),
            "blast_radius" => items.push(json!({"type": "note", "class": "", "time": time, "text": format!("{}: {}", text(&e["step"]), text(&e["impact"]))})),
            "param_value" if e["source"].as_str().is_some_and(|s| s.contains(" row ")) => items.push(json!({"type": "note", "class": "", "time": time, "text": format!("{} = {} for {}, picked from {}", text(&e["name"]), text(&e["value"]), text(&e["step"]), text(&e["source"]))})),
            "resumed" => items.push(json!({"type": "note", "class": "resumed", "time": time, "text": format!("session resumed by {} at {}{}", text(&e["operator"]), text(&e["from_step"]), e["note"].as_str().map(|n| format!(" ({n})")).unwrap_or_default())})),
            "end" => items.push(json!({"type": "note", "class": "", "time": time, "text": format!("session {}{}", text(&e["status"]), e["message"].as_str().filter(|m| !m.is_empty()).map(|m| format!(": {m}")).unwrap_or_default())})),
            _ => {}
        }
    }
    let status = events.iter().rev().find(|e| e["type"] == "end").map_or("interrupted".to_owned(), |e| text(&e["status"]));
    json!({
        "id": header["id"], "title": title, "runbook": header["runbook"], "runbook_sha256": header["runbook_sha256"],
        "operator": header["operator"], "started": header["ts"], "status": status, "events": items,
    })
}

pub fn markdown(events: &[Value]) -> String {
    let t = timeline(events);
    let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let mut out = format!(
        "# {}\n\n- session: `{}`\n- runbook: `{}` (sha256 `{}`)\n- operator: {}\n- started: {}\n- status: {}\n\n## Timeline\n\n",
        s(&t["title"]),
        s(&t["id"]),
        s(&t["runbook"]),
        s(&t["runbook_sha256"]).get(..12).unwrap_or(""),
        s(&t["operator"]),
        s(&t["started"]),
        s(&t["status"])
    );
    for e in t["events"].as_array().into_iter().flatten() {
        if e["type"] == "step" {
            out.push_str(&format!(
                "### {} `{}` · {} · {} — {}\n\n",
                s(&e["time"]),
                s(&e["step"]),
                s(&e["kind"]),
                s(&e["risk"]),
                s(&e["title"])
            ));
            if !s(&e["command"]).is_empty() {
                out.push_str(&format!("```\n{}\n```\n\n", s(&e["command"])));
            }
            for p in e["params"].as_array().into_iter().flatten() {
                out.push_str(&format!("- `{} = {}`\n", s(&p[0]), s(&p[1])));
            }
            if let Some(err) = e["error"].as_str() {
                out.push_str(&format!("\n**Failed:** {err}\n"));
            }
            if let Some(cols) = e["columns"].as_array() {
                out.push_str(&format!(
                    "\n| {} |\n|{}|\n",
                    cols.iter().map(s).collect::<Vec<_>>().join(" | "),
                    cols.iter().map(|_| "---").collect::<Vec<_>>().join("|")
                ));
                for r in e["rows"].as_array().into_iter().flatten() {
                    out.push_str(&format!(
                        "| {} |\n",
                        r.as_array().into_iter().flatten().map(|v| s(v).replace('|', "\\\\|")).collect::<Vec<_>>().join(" | ")
                    ));
                }
            }
            if !s(&e["summary"]).is_empty() {
                out.push_str(&format!("\n{}\n", s(&e["summary"])));
            }
            for c in e["checks"].as_array().into_iter().flatten() {
                out.push_str(&format!("- check {}: {} = {}\n", s(&c["level"]), s(&c["name"]), c["actual"]));
            }
            out.push('\n');
        } else {
            out.push_str(&format!("- {} {}\n\n", s(&e["time"]), s(&e["text"])));
        }
    }
    out
}

pub fn html(events: &[Value]) -> Result<String, String> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("transcript.html", include_str!("../templates/transcript.html.j2")).map_err(|e| e.to_string())?;
    let tpl = env.get_template("transcript.html").map_err(|e| e.to_string())?;
    tpl.render(minijinja::value::Serde(timeline(events))).map_err(|e| e.to_string())
}
