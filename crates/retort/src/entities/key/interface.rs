//! Domain types of a key: its wire format, the digest that is stored in its place, and
//! how long it lives.
//!
//! A key reads `rtk_<id>_<secret>`: `rtk_` says what it is (and lets secret scanners find
//! it), the id (12 base-32 characters) is public and names the key in lists and logs, and
//! the secret is 256 random bits (52 base-32 characters). Only the SHA-256 of the whole
//! key is stored; it is compared in constant time.

use sha2::{Digest, Sha256};

/// What every key starts with.
pub const PREFIX: &str = "rtk_";
/// Characters of the public id.
pub const ID_LEN: usize = 12;
/// Characters of the secret: 256 bits in base 32.
pub const SECRET_LEN: usize = 52;
/// The whole key's length.
pub const KEY_LEN: usize = PREFIX.len() + ID_LEN + 1 + SECRET_LEN;
/// Longest a key's name may be.
pub const MAX_NAME: usize = 64;
/// Longest a key may live: ten years.
pub const MAX_LIFETIME_DAYS: u64 = 3650;

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// `n` bytes from the operating system's random source.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| format!("the system's random source failed: {e}"))?;
    Ok(buf)
}

/// Lowercase base 32 (RFC 4648's letters, lowercased, no padding).
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((acc << (5 - bits)) & 31) as usize]));
    }
    out
}

fn is_base32(text: &str) -> bool {
    text.bytes().all(|b| ALPHABET.contains(&b))
}

/// A new key: its public id and the whole key text.
pub fn generate() -> Result<(String, String), String> {
    let id = base32(&random_bytes(8)?)[..ID_LEN].to_owned();
    let secret = base32(&random_bytes(32)?);
    debug_assert_eq!(secret.len(), SECRET_LEN);
    let key = format!("{PREFIX}{id}_{secret}");
    Ok((id, key))
}

/// A new opaque token (a session's), 256 random bits.
pub fn token() -> Result<String, String> {
    Ok(base32(&random_bytes(32)?))
}

/// The public id of a well-formed key, or `None`.
pub fn parse(key: &str) -> Option<&str> {
    if key.len() != KEY_LEN {
        return None;
    }
    let rest = key.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_at_checked(ID_LEN)?;
    let secret = secret.strip_prefix('_')?;
    (is_base32(id) && is_base32(secret) && secret.len() == SECRET_LEN).then_some(id)
}

/// The stored digest of a key or token: SHA-256, hex.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares two digests in time independent of where they differ.
pub fn same_digest(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Reads a lifetime such as `90d`, `12w`, `1y` or `36h` into whole hours; at least an
/// hour, at most ten years.
pub fn parse_lifetime(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a lifetime such as 90d, 12w, 1y or 36h"))?;
    let hours = match unit {
        "h" => Some(n),
        "d" => n.checked_mul(24),
        "w" => n.checked_mul(24 * 7),
        "y" => n.checked_mul(24 * 365),
        _ => return Err(format!("{text:?}: the unit must be h, d, w or y")),
    };
    match hours {
        Some(h) if (1..=MAX_LIFETIME_DAYS * 24).contains(&h) => Ok(h),
        _ => Err(format!(
            "{text:?} must be between 1h and {MAX_LIFETIME_DAYS}d"
        )),
    }
}

/// Checks a key's name: 1 to 64 characters, no control characters, not blank.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("must not be blank".into());
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!("must be at most {MAX_NAME} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_differ() {
        let (id, key) = generate().unwrap_or_default();
        assert_eq!(key.len(), KEY_LEN);
        assert!(key.starts_with("rtk_"));
        assert_eq!(parse(&key), Some(id.as_str()));
        let (other, _) = generate().unwrap_or_default();
        assert_ne!(id, other);
        assert_eq!(parse("rtk_short"), None);
        let upper = key.to_ascii_uppercase();
        assert_eq!(parse(&upper), None);
        let mut swapped = key.clone();
        swapped.replace_range(4 + ID_LEN..=4 + ID_LEN, "-");
        assert_eq!(parse(&swapped), None);
    }

    #[test]
    fn base32_matches_the_standard_alphabet() {
        assert_eq!(base32(b"foobar"), "mzxw6ytboi");
        assert_eq!(base32(&[0xff; 32]).len(), 52);
    }

    #[test]
    fn digests_compare_only_when_equal() {
        let d = digest("x");
        assert!(same_digest(&d, &digest("x")));
        assert!(!same_digest(&d, &digest("y")));
        assert!(!same_digest(&d, "short"));
    }

    #[test]
    fn lifetimes_read_units_and_refuse_the_rest() {
        assert_eq!(parse_lifetime("90d"), Ok(90 * 24));
        assert_eq!(parse_lifetime("36h"), Ok(36));
        assert_eq!(parse_lifetime("2w"), Ok(14 * 24));
        assert_eq!(parse_lifetime("1y"), Ok(365 * 24));
        assert!(parse_lifetime("0d").is_err());
        assert!(parse_lifetime("11y").is_err());
        assert!(parse_lifetime("99999999999999999999d").is_err());
        assert!(parse_lifetime("d").is_err());
        assert!(parse_lifetime("5m").is_err());
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("ana").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
    }
}
