use crate::cli::{ColorChoice, GraphArgs, GraphFormat};
use crate::{exit, files, style};
use anyhow::Result;
use runbook_core::export;
use std::io::Write;

pub fn run(args: &GraphArgs, color: ColorChoice) -> Result<u8> {
    let compiled = files::compile(&args.file)?;
    let text = match args.format {
        GraphFormat::Json => {
            // Written as it is serialised: the JSON of a large runbook is several times its
            // size and is never held whole.
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
            serde_json::to_writer_pretty(&mut out, &export::to_json(&compiled))?;
            out.write_all(b"\n")?;
            out.flush()?;
            None
        }
        GraphFormat::Dot => Some(export::to_dot(&compiled)),
        GraphFormat::Mermaid => Some(export::to_mermaid(&compiled)),
        GraphFormat::Outline => Some(runbook_core::outline_text(&compiled.source)),
    };
    if let Some(text) = text {
        std::io::stdout().write_all(text.as_bytes())?;
    }
    // Diagnostics go to stderr so the graph on stdout stays machine-readable.
    if args.format != GraphFormat::Json {
        let color = style::stderr_color(color);
        for d in &compiled.diagnostics {
            eprintln!("{}", d.render(&compiled.source, color));
        }
    }
    Ok(if compiled.has_errors() { exit::ERRORS } else { exit::OK })
}
