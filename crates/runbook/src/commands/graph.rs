use crate::cli::{ColorChoice, GraphArgs, GraphFormat};
use crate::{exit, files, style};
use anyhow::Result;
use runbook_core::export;
use std::io::Write;

pub fn run(args: &GraphArgs, color: ColorChoice) -> Result<u8> {
    let compiled = files::compile(&args.file)?;
    let out = match args.format {
        GraphFormat::Json => {
            let mut s = serde_json::to_string_pretty(&export::to_json(&compiled))?;
            s.push('\n');
            s
        }
        GraphFormat::Dot => export::to_dot(&compiled),
        GraphFormat::Mermaid => export::to_mermaid(&compiled),
        GraphFormat::Outline => runbook_core::outline_text(&compiled.source),
    };
    std::io::stdout().write_all(out.as_bytes())?;
    // Diagnostics go to stderr so the graph on stdout stays machine-readable.
    if args.format != GraphFormat::Json {
        let color = style::stderr_color(color);
        for d in &compiled.diagnostics {
            eprintln!("{}", d.render(&compiled.source, color));
        }
    }
    Ok(if compiled.has_errors() { exit::ERRORS } else { exit::OK })
}
