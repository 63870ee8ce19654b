//! Passwords, tokens and activation codes. Only hashes are stored: argon2id for passwords
//! (slow on purpose), SHA-256 for random tokens (they carry 256 bits, nothing to brute-force).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use base64::Engine;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Verifies a password; with no stored hash (unknown account) it still spends the same time,
/// so response times do not reveal which emails exist.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("relais-timing-equaliser").unwrap_or_default());
    let hash = stored.unwrap_or(dummy);
    let ok = PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false);
    ok && stored.is_some()
}

/// A new opaque bearer token (256 random bits, URL-safe) and its stored hash.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CSRF token of a staff session: derived from the session's secret token, so it needs no
/// storage, holds on every instance, and cannot be computed without the cookie. Its own prefix
/// keeps it unrelated to the stored session hash.
pub fn csrf_token(session_token: &str) -> String {
    hash_token(&format!("relais-csrf:{session_token}"))
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Activation-code alphabet: no 0/O, 1/I/L, so a code read aloud or copied from paper is
/// typed right; 31 symbols, 10 of them ≈ 49.5 bits.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const CODE_LEN: usize = 10;

/// A new activation code, shown as XXXXX-XXXXX.
pub fn new_activation_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let raw: String = (0..CODE_LEN).map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char).collect();
    format!("{}-{}", &raw[..5], &raw[5..])
}

/// Canonical form of a typed code: upper-case, separators dropped, look-alikes mapped
/// (O→0 is not in the alphabet, so O and 0 are refused rather than guessed).
pub fn normalise_activation_code(typed: &str) -> Option<String> {
    let raw: String = typed.chars().filter(|c| !matches!(c, '-' | ' ')).map(|c| c.to_ascii_uppercase()).collect();
    (raw.len() == CODE_LEN && raw.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(raw)
}

pub fn hash_activation_code(normalised: &str) -> String {
    hash_token(&format!("activation:{normalised}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_unknown_accounts_fail() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", Some(&h)));
        assert!(!verify_password("wrong", Some(&h)));
        assert!(!verify_password("relais-timing-equaliser", None));
    }

    #[test]
    fn codes_use_the_unambiguous_alphabet_and_normalise() {
        for _ in 0..200 {
            let c = new_activation_code();
            assert_eq!(c.len(), 11);
            let n = normalise_activation_code(&c.to_lowercase()).unwrap();
            assert_eq!(n, c.replace('-', ""));
        }
        assert!(normalise_activation_code("ABCDE-FGH0K").is_none());
        assert!(normalise_activation_code("ABCD").is_none());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(hash_token(&a), ha);
        assert_eq!(ha.len(), 64);
    }

    #[test]
    fn csrf_tokens_follow_the_session_and_compare_exactly() {
        let t = csrf_token("session-a");
        assert_eq!(t, csrf_token("session-a"));
        assert_ne!(t, csrf_token("session-b"));
        assert_ne!(t, hash_token("session-a"));
        assert!(same_secret(&t, &csrf_token("session-a")));
        assert!(!same_secret(&t, &csrf_token("session-b")));
        assert!(!same_secret(&t, &t[..10]));
    }
}
