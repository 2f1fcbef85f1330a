//! Inputs without limits, hidden writes, rendered pages: what a runbook file can do to the tool.
