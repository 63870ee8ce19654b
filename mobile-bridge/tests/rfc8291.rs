//! RFC 8291 message encryption: the worked example of Appendix A, byte for byte, and our
//! output opened by an implementation we did not write (web-push-native).

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use relais_mobile_bridge::{Error, Subscription, VapidKeys, WebPushSender, ece};

// RFC 8291 Appendix A (and section 5): every input and the resulting message.
const PLAINTEXT: &str = "When I grow up, I want to be a watermelon";
const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
const UA_PUBLIC: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH_SECRET: &str = "BTBZMqHH6r4Tts7J_aSIgg";
const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
const AS_PUBLIC: &str = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
const ECDH_SECRET: &str = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs";
const BODY: &str = concat!(
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml",
    "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT",
    "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
);

fn b64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

#[test]
fn appendix_a_message_is_reproduced_exactly() {
    let salt: [u8; 16] = b64(SALT).try_into().unwrap();
    let body = ece::encrypt_with_ecdh_secret(
        &b64(ECDH_SECRET),
        &b64(AS_PUBLIC),
        &b64(UA_PUBLIC),
        &b64(AUTH_SECRET),
        &salt,
        PLAINTEXT.as_bytes(),
    )
    .unwrap();
    assert_eq!(URL_SAFE_NO_PAD.encode(&body), BODY);
    assert_eq!(body.len(), ece::HEADER_LEN + PLAINTEXT.len() + 1 + 16);
}

#[test]
fn appendix_a_ecdh_secret_and_keys_agree() {
    // The ECDH secret the vector starts from, recomputed with an independent P-256.
    let as_secret = p256::SecretKey::from_slice(&b64(AS_PRIVATE)).unwrap();
    let ua_public = p256::PublicKey::from_sec1_bytes(&b64(UA_PUBLIC)).unwrap();
    let shared = p256::ecdh::diffie_hellman(as_secret.to_nonzero_scalar(), ua_public.as_affine());
    assert_eq!(URL_SAFE_NO_PAD.encode(shared.raw_secret_bytes()), ECDH_SECRET);
    // Our VAPID key loader derives the same public point from a private scalar.
    let keys = VapidKeys::from_private_b64url(AS_PRIVATE).unwrap();
    assert_eq!(keys.public_b64url(), AS_PUBLIC);
    assert_eq!(keys.private_b64url(), AS_PRIVATE);
}

#[test]
fn web_push_native_opens_the_appendix_a_message() {
    let ua_secret = p256::SecretKey::from_slice(&b64(UA_PRIVATE)).unwrap();
    let auth = web_push_native::Auth::clone_from_slice(&b64(AUTH_SECRET));
    let plaintext = web_push_native::decrypt(b64(BODY), &ua_secret, &auth).unwrap();
    assert_eq!(plaintext, PLAINTEXT.as_bytes());
}

fn sender() -> WebPushSender {
    WebPushSender::new(VapidKeys::generate(), "mailto:ops@relais.test".into(), reqwest::Client::new())
}

fn rfc_subscription() -> Subscription {
    Subscription { endpoint: "https://push.example.net/p/1".into(), p256dh: UA_PUBLIC.into(), auth: AUTH_SECRET.into() }
}

#[test]
fn our_messages_open_with_the_subscription_key_and_are_never_alike() {
    let sender = sender();
    let sub = rfc_subscription();
    let ua_secret = p256::SecretKey::from_slice(&b64(UA_PRIVATE)).unwrap();
    let auth = web_push_native::Auth::clone_from_slice(&b64(AUTH_SECRET));
    let one = sender.encrypt(&sub, PLAINTEXT.as_bytes()).unwrap();
    let two = sender.encrypt(&sub, PLAINTEXT.as_bytes()).unwrap();
    assert_ne!(one[..16], two[..16], "a fresh salt per message");
    assert_ne!(one[21..86], two[21..86], "a fresh ephemeral key per message");
    assert_eq!(one[16..21], [0, 0, 0x10, 0, 65], "rs 4096, idlen 65");
    for body in [one, two] {
        assert_eq!(web_push_native::decrypt(body, &ua_secret, &auth).unwrap(), PLAINTEXT.as_bytes());
    }
    // The largest payload that fits 4096 bytes on the wire, and one byte more.
    let big = vec![b'x'; ece::MAX_PLAINTEXT];
    assert_eq!(sender.encrypt(&sub, &big).unwrap().len(), 4096);
    assert!(matches!(sender.encrypt(&sub, &[b'x'; ece::MAX_PLAINTEXT + 1]), Err(Error::PayloadTooLarge(_))));
}

#[test]
fn bad_subscription_keys_are_refused() {
    let sender = sender();
    let padded =
        Subscription { p256dh: format!("{UA_PUBLIC}="), auth: format!("{AUTH_SECRET}=="), ..rfc_subscription() };
    assert!(padded.check_keys().is_ok(), "padded base64url is accepted");
    let cases = [
        Subscription { p256dh: "not base64!".into(), ..rfc_subscription() },
        Subscription { p256dh: AUTH_SECRET.into(), ..rfc_subscription() },
        Subscription { auth: UA_PRIVATE.into(), ..rfc_subscription() },
        // 65 bytes starting with 0x04 but not a point on the curve
        Subscription { p256dh: URL_SAFE_NO_PAD.encode([[4u8].as_slice(), &[1u8; 64]].concat()), ..rfc_subscription() },
    ];
    for sub in cases {
        assert!(matches!(sender.encrypt(&sub, b"{}"), Err(Error::InvalidSubscription(_))), "{sub:?}");
        assert!(sub.check_keys().is_err());
    }
}

#[test]
fn vapid_keys_round_trip_and_reject_garbage() {
    let keys = VapidKeys::generate();
    let again = VapidKeys::from_private_b64url(&keys.private_b64url()).unwrap();
    assert_eq!(again.public_b64url(), keys.public_b64url());
    assert_eq!(b64(&keys.public_b64url()).len(), 65);
    assert!(!format!("{keys:?}").contains(&keys.private_b64url()), "Debug never shows the private key");
    for bad in ["", "abc", &URL_SAFE_NO_PAD.encode([0u8; 32]), &URL_SAFE_NO_PAD.encode([0xffu8; 32])] {
        assert!(matches!(VapidKeys::from_private_b64url(bad), Err(Error::InvalidVapidKey)), "{bad}");
    }
}
