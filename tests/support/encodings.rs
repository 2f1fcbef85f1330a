//! Every form a secret can take on its way out, computed here independently of the engine: as
//! is, percent-encoded (strict, lower case, `+` for spaces), inside a JSON string, base64 alone
//! and as `user:secret` (Basic auth).

pub fn encodings(secret: &str, user: &str) -> Vec<String> {
    let strict: String = secret
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    let json = serde_json::to_string(secret).unwrap();
    let mut out = vec![
        secret.to_owned(),
        strict.clone(),
        strict.to_lowercase(),
        strict.replace("%20", "+"),
        json[1..json.len() - 1].to_owned(),
        base64(secret.as_bytes()),
        base64(format!("{user}:{secret}").as_bytes()),
    ];
    out.dedup();
    out
}

pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
