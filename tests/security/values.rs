//! Values are data: never code for SQL, shell, nested interpreters, URLs or templates; secrets never leak encoded.
