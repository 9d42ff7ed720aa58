//! QR codes drawn on the server as inline SVG (WeChat Pay Native's `code_url`): the page
//! needs no script to show one, and the text never leaves our server for a drawing service.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// An `<svg>` element (no XML prologue: it goes inside an HTML page) of `text`.
pub fn svg(text: &str) -> Result<String, String> {
    // Level M, as WeChat's own codes: readable off a screen with some glare.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| format!("QR code: {e}"))?;
    let drawn = code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    // The renderer writes an XML declaration first; an HTML page takes the element alone.
    let start = drawn.find("<svg").ok_or("QR code: no <svg> element")?;
    Ok(drawn.get(start..).unwrap_or_default().to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_code_url_becomes_an_svg_element() {
        let drawn = super::svg("weixin://wxpay/bizpayurl?pr=abc123").unwrap();
        assert!(drawn.starts_with("<svg"), "{}", &drawn[..40]);
        assert!(drawn.trim_end().ends_with("</svg>"));
        // The text is drawn, not written into the markup.
        assert!(!drawn.contains("bizpayurl"));
    }
}
