//! Comma-separated header lists (RFC 9110 §5.6.1) and tokens (§5.6.2).

/// Items of a `#element` list: split at commas outside quoted strings, optional whitespace
/// trimmed, empty items skipped ("a recipient MUST accept empty list elements", RFC 9110 §5.6.1).
pub(crate) fn list_items(value: &[u8]) -> ListItems<'_> {
    ListItems { rest: value }
}

/// Iterator returned by [`list_items`].
pub(crate) struct ListItems<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for ListItems<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        while !self.rest.is_empty() {
            let end = item_end(self.rest);
            let item = trim_ows(&self.rest[..end]);
            self.rest = self.rest.get(end + 1..).unwrap_or_default();
            if !item.is_empty() {
                return Some(item);
            }
        }
        None
    }
}

/// Index of the first comma outside a quoted string, or `value.len()`.
fn item_end(value: &[u8]) -> usize {
    let mut quoted = false;
    let mut escaped = false;
    for (i, &b) in value.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b',' if !quoted => return i,
            _ => {}
        }
    }
    value.len()
}

/// `value` without leading and trailing spaces and tabs (OWS).
pub(crate) fn trim_ows(value: &[u8]) -> &[u8] {
    let start = value
        .iter()
        .position(|b| !is_ows(*b))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ows(*b))
        .map_or(start, |i| i + 1);
    &value[start..end]
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Whether any item of the list `value` equals `token`, ignoring ASCII case.
pub(crate) fn list_contains(value: &[u8], token: &str) -> bool {
    list_items(value).any(|item| item.eq_ignore_ascii_case(token.as_bytes()))
}

/// Whether `value` is a non-empty `token` (RFC 9110 §5.6.2 `tchar`s).
pub(crate) fn is_token(value: &[u8]) -> bool {
    !value.is_empty() && value.iter().all(|&b| is_tchar(b))
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(value: &str) -> Vec<&str> {
        list_items(value.as_bytes())
            .map(|i| std::str::from_utf8(i).unwrap())
            .collect()
    }

    #[test]
    fn splits_trims_and_skips_empty_items() {
        assert_eq!(items("keep-alive, Upgrade"), ["keep-alive", "Upgrade"]);
        assert_eq!(items(" ,a,, b ,\t"), ["a", "b"]);
        assert_eq!(items(""), Vec::<&str>::new());
    }

    #[test]
    fn commas_inside_quotes_do_not_split() {
        assert_eq!(items(r#"x; p="a,b", y"#), [r#"x; p="a,b""#, "y"]);
        assert_eq!(items(r#"x; p="a\",b", y"#), [r#"x; p="a\",b""#, "y"]);
    }

    #[test]
    fn contains_ignores_case() {
        assert!(list_contains(b"keep-alive, UPGRADE", "upgrade"));
        assert!(!list_contains(b"upgrades", "upgrade"));
    }

    #[test]
    fn tokens() {
        assert!(is_token(b"chat.v2"));
        assert!(!is_token(b""));
        assert!(!is_token(b"a b"));
        assert!(!is_token(b"a,b"));
    }
}
