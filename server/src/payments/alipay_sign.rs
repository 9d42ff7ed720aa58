//! Alipay's open-platform signatures (RSA2): the string a request or notification is signed
//! over, signing a request, verifying an async notification, and verifying a synchronous reply
//! over the exact text of its `…_response` member.
//!
//! Requests are signed with the app's private key; notifications and replies are checked with
//! the **Alipay public key** (checking them with the app's own key is the classic bug).

use std::collections::BTreeMap;

use super::keys::{SigningKey, VerifyingKey};
use super::SignatureError;

/// `key=value` pairs sorted by key (byte order), joined with `&`, values as they are (not
/// URL-encoded); empty values and the `skip` keys left out.
pub fn signing_string(params: &BTreeMap<String, String>, skip: &[&str]) -> String {
    params
        .iter()
        .filter(|(k, v)| !v.is_empty() && !skip.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The `sign` of a request: every parameter but `sign` (`sign_type` stays in).
pub fn sign_request(
    params: &BTreeMap<String, String>,
    app_key: &SigningKey,
) -> Result<String, String> {
    app_key.sign(signing_string(params, &["sign"]).as_bytes())
}

/// Checks an async notification's form fields (already URL-decoded): the signature covers
/// every field but `sign` and `sign_type`.
pub fn verify_notification(
    fields: &BTreeMap<String, String>,
    alipay_key: &VerifyingKey,
) -> Result<(), SignatureError> {
    let sign = fields.get("sign").ok_or(SignatureError::Missing)?;
    match fields.get("sign_type").map(String::as_str) {
        Some("RSA2") | None => {}
        Some(other) => return Err(SignatureError::Shape(format!("sign_type {other}"))),
    }
    alipay_key.verify(
        signing_string(fields, &["sign", "sign_type"]).as_bytes(),
        sign,
    )
}

/// Checks a synchronous reply `{"<method>_response": {...}, "sign": "..."}` (method dots as
/// underscores) and returns the response member's JSON. The signature covers the member's
/// text exactly as received, so it is cut out of the raw body, not re-serialised.
pub fn verify_reply(
    body: &str,
    method: &str,
    alipay_key: &VerifyingKey,
) -> Result<serde_json::Value, SignatureError> {
    let member = format!("{}_response", method.replace('.', "_"));
    serde_json::from_str::<serde_json::Value>(body)
        .map_err(|e| SignatureError::Shape(format!("not JSON: {e}")))?;
    let members =
        top_level_members(body).ok_or_else(|| SignatureError::Shape("not a JSON object".into()))?;
    // Exactly one of each: with a key twice, a parser keeping the last copy would hand back a
    // member other than the one verified.
    let only = |name: &str| -> Result<Option<&str>, SignatureError> {
        let mut found = members.iter().filter(|(key, _)| key == name);
        match (found.next(), found.next()) {
            (None, _) => Ok(None),
            (Some((_, raw)), None) => Ok(Some(*raw)),
            (Some(_), Some(_)) => Err(SignatureError::Shape(format!("`{name}` appears twice"))),
        }
    };
    let raw =
        only(&member)?.ok_or_else(|| SignatureError::Shape(format!("no `{member}` member")))?;
    let sign: String = match only("sign")? {
        Some(raw_sign) => serde_json::from_str(raw_sign)
            .map_err(|_| SignatureError::Shape("`sign` is not a string".into()))?,
        None => return Err(SignatureError::Missing),
    };
    alipay_key.verify(raw.as_bytes(), &sign)?;
    // The answer is read from the very text that was verified.
    serde_json::from_str(raw).map_err(|e| SignatureError::Shape(format!("`{member}`: {e}")))
}

/// The members of the top-level JSON object `body` as (key, raw value text), in order and with
/// repeats, or `None` when it is not an object.
fn top_level_members(body: &str) -> Option<Vec<(String, &str)>> {
    let bytes = body.as_bytes();
    let mut i = skip_ws(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(bytes, i + 1);
    let mut members = Vec::new();
    if bytes.get(i) == Some(&b'}') {
        return Some(members);
    }
    loop {
        i = skip_ws(bytes, i);
        let key_end = string_end(bytes, i)?;
        let key: String = serde_json::from_str(body.get(i..key_end)?).ok()?;
        i = skip_ws(bytes, key_end);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(bytes, i + 1);
        let end = value_end(bytes, start)?;
        members.push((key, body.get(start..end)?));
        i = skip_ws(bytes, end);
        match bytes.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => return Some(members),
            _ => return None,
        }
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The index just past the JSON string starting at `i`.
fn string_end(bytes: &[u8], i: usize) -> Option<usize> {
    if bytes.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    loop {
        match bytes.get(j)? {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
}

/// The index just past the JSON value starting at `i`.
fn value_end(bytes: &[u8], i: usize) -> Option<usize> {
    match bytes.get(i)? {
        b'"' => string_end(bytes, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match bytes.get(j)? {
                    b'"' => {
                        j = string_end(bytes, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while !matches!(
                bytes.get(j),
                None | Some(b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
            ) {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::keys::tests::fresh_key;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_signing_string_sorts_drops_empties_and_keeps_values_raw() {
        let params = map(&[
            ("timestamp", "2026-12-01 10:00:00"),
            ("app_id", "2021000000000000"),
            ("sign", "ignored"),
            ("notify_url", ""),
            ("sign_type", "RSA2"),
            (
                "biz_content",
                r#"{"out_trade_no":"XC1","total_amount":"88.88"}"#,
            ),
            ("method", "alipay.trade.page.pay"),
        ]);
        assert_eq!(
            signing_string(&params, &["sign"]),
            "app_id=2021000000000000&biz_content={\"out_trade_no\":\"XC1\",\"total_amount\":\"88.88\"}\
             &method=alipay.trade.page.pay&sign_type=RSA2&timestamp=2026-12-01 10:00:00"
        );
        assert!(!signing_string(&params, &["sign", "sign_type"]).contains("sign_type"));
    }

    #[test]
    fn notifications_verify_with_the_alipay_key_and_nothing_else() {
        let (alipay_private, alipay_public) = fresh_key();
        let (app_private, _) = fresh_key();
        let alipay = SigningKey::from_text(&alipay_private).unwrap();
        let verifier = VerifyingKey::from_text(&alipay_public).unwrap();
        let mut fields = map(&[
            ("app_id", "2021000000000000"),
            ("out_trade_no", "XC1"),
            ("total_amount", "88.88"),
            ("trade_status", "TRADE_SUCCESS"),
            ("sign_type", "RSA2"),
        ]);
        let sig = alipay
            .sign(signing_string(&fields, &["sign", "sign_type"]).as_bytes())
            .unwrap();
        fields.insert("sign".into(), sig.clone());
        assert_eq!(verify_notification(&fields, &verifier), Ok(()));

        let mut tampered = fields.clone();
        tampered.insert("total_amount".into(), "0.01".into());
        assert_eq!(
            verify_notification(&tampered, &verifier),
            Err(SignatureError::Mismatch)
        );
        let mut unsigned = fields.clone();
        unsigned.remove("sign");
        assert_eq!(
            verify_notification(&unsigned, &verifier),
            Err(SignatureError::Missing)
        );
        // Signed with the app's own key (a forger who has only that, or the classic bug).
        let app = SigningKey::from_text(&app_private).unwrap();
        let mut forged = fields.clone();
        forged.insert(
            "sign".into(),
            app.sign(signing_string(&fields, &["sign", "sign_type"]).as_bytes())
                .unwrap(),
        );
        assert_eq!(
            verify_notification(&forged, &verifier),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn replies_verify_over_the_member_text_as_received() {
        let (private, public) = fresh_key();
        let alipay = SigningKey::from_text(&private).unwrap();
        let verifier = VerifyingKey::from_text(&public).unwrap();
        // Spacing and escapes as a server might send them: the signature covers these bytes.
        let member = r#"{"code":"10000", "msg":"Success","out_trade_no":"XC1","total_amount":"88.88","trade_status":"TRADE_SUCCESS","note":"a \"quoted\" } brace"}"#;
        let sig = alipay.sign(member.as_bytes()).unwrap();
        let body = format!("{{\"alipay_trade_query_response\":{member},\"sign\":\"{sig}\"}}");
        let reply = verify_reply(&body, "alipay.trade.query", &verifier).unwrap();
        assert_eq!(reply["trade_status"], "TRADE_SUCCESS");
        // Sign first, then the member; whitespace between tokens.
        let reordered =
            format!("{{ \"sign\": \"{sig}\", \"alipay_trade_query_response\": {member} }}");
        assert!(verify_reply(&reordered, "alipay.trade.query", &verifier).is_ok());
        // The same content re-serialised (no longer the signed bytes) fails.
        let reserialised = format!(
            "{{\"alipay_trade_query_response\":{},\"sign\":\"{sig}\"}}",
            serde_json::to_string(&reply).unwrap()
        );
        assert_eq!(
            verify_reply(&reserialised, "alipay.trade.query", &verifier).err(),
            Some(SignatureError::Mismatch)
        );
        assert!(matches!(
            verify_reply(&body, "alipay.trade.refund", &verifier),
            Err(SignatureError::Shape(_))
        ));
        assert!(matches!(
            verify_reply("not json", "alipay.trade.query", &verifier),
            Err(SignatureError::Shape(_))
        ));
        // The genuine signed member, then a forged copy of it: refused, never the copy.
        let forged = r#"{"code":"10000","trade_status":"TRADE_SUCCESS","out_trade_no":"XC42","total_amount":"0.01"}"#;
        let doubled = format!(
            "{{\"alipay_trade_query_response\":{member},\"alipay_trade_query_response\":{forged},\"sign\":\"{sig}\"}}"
        );
        assert!(matches!(
            verify_reply(&doubled, "alipay.trade.query", &verifier),
            Err(SignatureError::Shape(_))
        ));
        let two_signs = format!(
            "{{\"alipay_trade_query_response\":{member},\"sign\":\"{sig}\",\"sign\":\"x\"}}"
        );
        assert!(matches!(
            verify_reply(&two_signs, "alipay.trade.query", &verifier),
            Err(SignatureError::Shape(_))
        ));
    }
}
