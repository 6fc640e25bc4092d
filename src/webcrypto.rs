//! PBKDF2-SHA256 and HMAC-SHA256 through WebCrypto, which is native code in workerd (~8× faster than a pure-Rust
//! PBKDF2 compiled to wasm). wasm32 only; the stored-hash format and comparison are pure
//! (`crate::auth::password`).

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn subtle() -> Result<web_sys::SubtleCrypto, JsValue> {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))?;
    Ok(crypto.unchecked_into::<web_sys::Crypto>().subtle())
}

/// Derives `bytes` bytes with PBKDF2-HMAC-SHA256.
///
/// # Errors
/// The runtime refused the parameters (e.g. more than 100,000 iterations in production).
pub async fn pbkdf2_sha256(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    bytes: usize,
) -> Result<Vec<u8>, JsValue> {
    let subtle = subtle()?;
    let usages = js_sys::Array::of1(&JsValue::from_str("deriveBits"));
    let key_data = js_sys::Uint8Array::from(password);
    let key = JsFuture::from(subtle.import_key_with_str("raw", &key_data, "PBKDF2", false, &usages)?).await?;
    let params = js_sys::Object::new();
    js_sys::Reflect::set(&params, &"name".into(), &"PBKDF2".into())?;
    js_sys::Reflect::set(&params, &"hash".into(), &"SHA-256".into())?;
    js_sys::Reflect::set(&params, &"salt".into(), &js_sys::Uint8Array::from(salt))?;
    js_sys::Reflect::set(&params, &"iterations".into(), &JsValue::from(iterations))?;
    let bits = u32::try_from(bytes * 8).map_err(|_| JsValue::from_str("length"))?;
    let derived =
        JsFuture::from(subtle.derive_bits_with_object(&params, &key.unchecked_into(), bits)?).await?;
    Ok(js_sys::Uint8Array::new(&derived).to_vec())
}

/// Cryptographically random bytes.
///
/// # Errors
/// The platform's random source failed.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, getrandom::Error> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf)?;
    Ok(buf)
}

/// HMAC-SHA256 of `data` under `key` (the feedback webhook's signature).
///
/// # Errors
/// The runtime refused the key or the operation.
pub async fn hmac_sha256(key: &[u8], data: &[u8]) -> Result<Vec<u8>, JsValue> {
    let subtle = subtle()?;
    let algorithm = js_sys::Object::new();
    js_sys::Reflect::set(&algorithm, &"name".into(), &"HMAC".into())?;
    js_sys::Reflect::set(&algorithm, &"hash".into(), &"SHA-256".into())?;
    let usages = js_sys::Array::of1(&JsValue::from_str("sign"));
    let key_data = js_sys::Uint8Array::from(key);
    let key =
        JsFuture::from(subtle.import_key_with_object("raw", &key_data, &algorithm, false, &usages)?).await?;
    let signature =
        JsFuture::from(subtle.sign_with_str_and_u8_array("HMAC", &key.unchecked_into(), data)?).await?;
    Ok(js_sys::Uint8Array::new(&signature).to_vec())
}
