//! VietQR (NAPAS) payloads: EMVCo merchant-presented QR with a bank account, amount and
//! transfer content, ending in a CRC16-CCITT-FALSE checksum.

use crc::{Crc, CRC_16_IBM_3740};

use crate::domain::Money;

/// NAPAS's application id for VietQR.
const NAPAS_GUID: &str = "A000000727";
/// Service code: transfer to a bank account.
const TO_ACCOUNT: &str = "QRIBFTTA";
const VND: &str = "704";
/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) is catalogued as CRC-16/IBM-3740.
const CHECKSUM: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_3740);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Initiation {
    /// `11`: the same code may be paid many times.
    Static,
    /// `12`: made for one payment.
    Dynamic,
}

#[derive(Debug, Clone)]
pub struct VietQr<'a> {
    pub initiation: Initiation,
    pub bank_bin: &'a str,
    pub account: &'a str,
    pub amount: Option<Money>,
    /// What the customer's bank puts in the transfer's description.
    pub content: &'a str,
}

/// One EMVCo field: id, two-digit length, value.
fn field(id: &str, value: &str) -> String {
    format!("{id}{:02}{value}", value.len())
}

impl VietQr<'_> {
    pub fn payload(&self) -> String {
        let beneficiary = field("00", self.bank_bin) + &field("01", self.account);
        let merchant =
            field("00", NAPAS_GUID) + &field("01", &beneficiary) + &field("02", TO_ACCOUNT);
        let mut payload = field("00", "01")
            + &field(
                "01",
                match self.initiation {
                    Initiation::Static => "11",
                    Initiation::Dynamic => "12",
                },
            )
            + &field("38", &merchant)
            + &field("53", VND);
        if let Some(amount) = self.amount {
            payload += &field("54", &amount.to_string());
        }
        payload += &field("58", "VN");
        if !self.content.is_empty() {
            payload += &field("62", &field("08", self.content));
        }
        payload += "6304";
        format!("{payload}{:04X}", CHECKSUM.checksum(payload.as_bytes()))
    }

    /// The payload as an SVG QR code.
    pub fn svg(&self) -> Result<String, qrcode::types::QrError> {
        let code = qrcode::QrCode::with_error_correction_level(self.payload(), qrcode::EcLevel::M)?;
        Ok(code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build())
    }
}

/// Modules of white around the code, as the QR specification asks.
const QUIET_ZONE: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error(transparent)]
    Qr(#[from] qrcode::types::QrError),
    #[error(transparent)]
    Encode(#[from] png::EncodingError),
}

impl VietQr<'_> {
    /// The payload as a black-on-white PNG at least `min_width` pixels wide, each module a
    /// whole number of pixels (chat apps and e-mail show no SVG).
    pub fn png(&self, min_width: usize) -> Result<Vec<u8>, PngError> {
        let code = qrcode::QrCode::with_error_correction_level(self.payload(), qrcode::EcLevel::M)?;
        let modules = code.width();
        let colors = code.to_colors();
        let span = modules + 2 * QUIET_ZONE;
        let scale = min_width.div_ceil(span);
        let side = span * scale;
        let mut pixels = vec![255u8; side * side];
        for (at, color) in colors.iter().enumerate() {
            if *color == qrcode::Color::Dark {
                let (x, y) = (at % modules + QUIET_ZONE, at / modules + QUIET_ZONE);
                for row in y * scale..(y + 1) * scale {
                    pixels[row * side + x * scale..row * side + (x + 1) * scale].fill(0);
                }
            }
        }
        let mut out = Vec::new();
        let side = u32::try_from(side).unwrap_or(u32::MAX);
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::High);
        encoder.write_header()?.write_image_data(&pixels)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer_vector() {
        let qr = VietQr {
            initiation: Initiation::Dynamic,
            bank_bin: "970415",
            account: "113366668888",
            amount: Some(Money::parse("79000").unwrap()),
            content: "Ung Ho Quy Vac Xin",
        };
        assert_eq!(
            qr.payload(),
            "00020101021238560010A0000007270126000697041501121133666688880208QRIBFTTA53037045405790005802VN62220818Ung Ho Quy Vac Xin63043ACF"
        );
    }

    #[test]
    fn static_codes_say_so() {
        let qr = VietQr {
            initiation: Initiation::Static,
            bank_bin: "970415",
            account: "113366668888",
            amount: None,
            content: "",
        };
        let payload = qr.payload();
        assert!(payload.starts_with("000201010211"));
        assert!(!payload.contains("5405"));
        assert!(!payload.contains("6222"));
    }

    #[test]
    fn dynamic_code_for_an_order_renders() {
        let qr = VietQr {
            initiation: Initiation::Dynamic,
            bank_bin: "970436",
            account: "0011001234567",
            amount: Some(Money::parse("150000").unwrap()),
            content: "DH1234",
        };
        let payload = qr.payload();
        assert!(payload.starts_with("000201010212"));
        assert!(payload.contains("0806DH1234"));
        let svg = qr.svg().unwrap();
        assert!(svg.contains("<svg"));
    }
}
