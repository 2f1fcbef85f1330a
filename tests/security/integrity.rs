//! A killed step never runs twice; the journal tail cannot be cut unnoticed; bounded retries; exit codes.
