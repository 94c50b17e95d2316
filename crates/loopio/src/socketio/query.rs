//! Query strings: `a=1&b=x%20y` → `[("a","1"),("b","x y")]`, as the handshake carries them.

/// Splits and percent-decodes a raw query string (`+` is a space, as in forms). Malformed
/// escapes are kept as written; invalid UTF-8 is replaced.
pub(crate) fn decode(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (unescape(name), unescape(value))
        })
        .collect()
}

fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%')
            .then(|| bytes.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[at], escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                at += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                at += 1;
            }
            (byte, None) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pairs() {
        let pairs = decode("EIO=4&transport=polling&name=%ED%95%9C+x&flag&bad=%zz");
        let expected = [
            ("EIO", "4"),
            ("transport", "polling"),
            ("name", "한 x"),
            ("flag", ""),
            ("bad", "%zz"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(pairs, expected);
        assert!(decode("").is_empty());
    }
}
