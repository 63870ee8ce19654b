//! VAPID (RFC 8292): the application server's P-256 key and its ES256 JWTs.

use base64::Engine as _;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use ring::{
    rand::{SecureRandom as _, SystemRandom},
    signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair},
};

use crate::{B64, Error};

/// The application server's VAPID key pair. Its `Debug` shows only the public key.
pub struct VapidKeys {
    private: [u8; 32],
    public: [u8; 65],
    signer: EcdsaKeyPair,
}

impl std::fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKeys").field("public", &self.public_b64url()).finish_non_exhaustive()
    }
}

impl VapidKeys {
    /// A fresh key pair from the system's random source.
    pub fn generate() -> Self {
        let rng = SystemRandom::new();
        loop {
            let mut scalar = [0u8; 32];
            rng.fill(&mut scalar).expect("the system random source works");
            // Fails only for 0 or a value >= the group order: about 2^-32 of draws.
            if let Ok(keys) = Self::from_private_bytes(&scalar) {
                return keys;
            }
        }
    }

    /// Loads the private key as stored: the 32-byte P-256 scalar, base64url (the format of
    /// `web-push generate-vapid-keys` and most VAPID tools).
    pub fn from_private_b64url(s: &str) -> Result<Self, Error> {
        let bytes = B64.decode(s.trim()).map_err(|_| Error::InvalidVapidKey)?;
        Self::from_private_bytes(&bytes)
    }

    fn from_private_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let private: [u8; 32] = bytes.try_into().map_err(|_| Error::InvalidVapidKey)?;
        let secret = p256::SecretKey::from_bytes(&private.into()).map_err(|_| Error::InvalidVapidKey)?;
        let point = secret.public_key().to_encoded_point(false);
        let public: [u8; 65] = point.as_bytes().try_into().map_err(|_| Error::InvalidVapidKey)?;
        let signer = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &private,
            &public,
            &SystemRandom::new(),
        )
        .map_err(|_| Error::InvalidVapidKey)?;
        Ok(Self { private, public, signer })
    }

    /// The private scalar, base64url without padding: store it as a secret.
    pub fn private_b64url(&self) -> String {
        B64.encode(self.private)
    }

    /// The uncompressed public point, base64url without padding: the `applicationServerKey`
    /// given to `pushManager.subscribe` and the `k` of the Authorization header.
    pub fn public_b64url(&self) -> String {
        B64.encode(self.public)
    }

    /// An ES256 JWT `{aud, exp, sub}` (RFC 8292 section 2).
    pub(crate) fn sign_jwt(&self, aud: &str, exp: u64, sub: &str) -> Result<String, Error> {
        let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({ "aud": aud, "exp": exp, "sub": sub });
        let mut jwt = format!("{header}.{}", B64.encode(claims.to_string()));
        let signature = self.signer.sign(&SystemRandom::new(), jwt.as_bytes()).map_err(|_| Error::Crypto)?;
        jwt.push('.');
        jwt.push_str(&B64.encode(signature.as_ref()));
        Ok(jwt)
    }
}
