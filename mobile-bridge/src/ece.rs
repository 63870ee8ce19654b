//! RFC 8291 message encryption for Web Push, on ring: one ephemeral ECDH P-256 per message,
//! HKDF-SHA256 and AES-128-GCM, in the RFC 8188 `aes128gcm` content coding with one record.

use ring::{aead, agreement, hkdf, rand::SecureRandom};

use crate::Error;

/// The record size written in the header (RFC 8291 section 4 uses 4096).
pub const RECORD_SIZE: u32 = 4096;
/// Salt (16) + rs (4) + idlen (1) + keyid (65): the aes128gcm header of a Web Push message.
pub const HEADER_LEN: usize = 16 + 4 + 1 + 65;
const TAG_LEN: usize = 16;
/// The largest plaintext that fits the 4096 bytes push services accept (RFC 8291 section 4).
pub const MAX_PLAINTEXT: usize = 4096 - HEADER_LEN - TAG_LEN - 1;

/// Encrypts `plaintext` for a user agent's public key (`ua_public`, 65-byte uncompressed point)
/// and 16-byte auth secret, with a fresh ephemeral key and a random salt.
pub fn encrypt(ua_public: &[u8], auth: &[u8], plaintext: &[u8], rng: &dyn SecureRandom) -> Result<Vec<u8>, Error> {
    check_inputs(ua_public, auth, plaintext)?;
    let mut salt = [0u8; 16];
    rng.fill(&mut salt).map_err(|_| Error::Crypto)?;
    let private = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, rng).map_err(|_| Error::Crypto)?;
    let as_public = private.compute_public_key().map_err(|_| Error::Crypto)?;
    let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, ua_public);
    agreement::agree_ephemeral(private, &peer, |ecdh_secret| {
        encrypt_with_ecdh_secret(ecdh_secret, as_public.as_ref(), ua_public, auth, &salt, plaintext)
    })
    .map_err(|_| Error::InvalidSubscription("p256dh is not a point on P-256"))?
}

/// The deterministic rest of [`encrypt`], once the ECDH secret is known: key derivation,
/// record padding and sealing, and the header. Public for known-answer tests (RFC 8291
/// Appendix A); senders use [`encrypt`], which never reuses an ephemeral key or a salt.
pub fn encrypt_with_ecdh_secret(
    ecdh_secret: &[u8],
    as_public: &[u8],
    ua_public: &[u8],
    auth: &[u8],
    salt: &[u8; 16],
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    check_inputs(ua_public, auth, plaintext)?;
    if as_public.len() != 65 {
        return Err(Error::Crypto);
    }
    // PRK_key = HKDF-Extract(auth, ecdh_secret); IKM = HKDF-Expand(PRK_key, key_info, 32)
    let prk_key = hkdf::Salt::new(hkdf::HKDF_SHA256, auth).extract(ecdh_secret);
    let mut ikm = [0u8; 32];
    expand(&prk_key, &[b"WebPush: info\0", ua_public, as_public], &mut ikm)?;
    // PRK = HKDF-Extract(salt, IKM); CEK and NONCE from it (RFC 8188 section 2.2, 2.3)
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(&ikm);
    let mut cek = [0u8; 16];
    expand(&prk, &[b"Content-Encoding: aes128gcm\0"], &mut cek)?;
    let mut nonce = [0u8; 12];
    expand(&prk, &[b"Content-Encoding: nonce\0"], &mut nonce)?;

    let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + 1 + TAG_LEN);
    out.extend_from_slice(salt);
    out.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    out.push(65);
    out.extend_from_slice(as_public);
    out.extend_from_slice(plaintext);
    out.push(0x02); // padding delimiter of the last (and only) record, no padding
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_128_GCM, &cek).map_err(|_| Error::Crypto)?);
    let tag = key
        .seal_in_place_separate_tag(
            aead::Nonce::assume_unique_for_key(nonce), // record 0: the nonce XOR 0
            aead::Aad::empty(),
            &mut out[HEADER_LEN..],
        )
        .map_err(|_| Error::Crypto)?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

fn check_inputs(ua_public: &[u8], auth: &[u8], plaintext: &[u8]) -> Result<(), Error> {
    if ua_public.len() != 65 || ua_public[0] != 0x04 {
        return Err(Error::InvalidSubscription("p256dh must be an uncompressed P-256 point (65 bytes)"));
    }
    if auth.len() != 16 {
        return Err(Error::InvalidSubscription("auth must be 16 bytes"));
    }
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(Error::PayloadTooLarge(plaintext.len()));
    }
    Ok(())
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn expand(prk: &hkdf::Prk, info: &[&[u8]], out: &mut [u8]) -> Result<(), Error> {
    prk.expand(info, Len(out.len())).and_then(|okm| okm.fill(out)).map_err(|_| Error::Crypto)
}
