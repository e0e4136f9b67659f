//! What an owner alert says, in the shop's language: short lines that read on a phone's lock
//! screen, the first naming what happened. Telegram gets them as HTML with every piece of text
//! from a transfer, an order or a customer escaped; e-mail as plain text with a subject.

use chrono::NaiveDate;

use crate::config::{AlertKind, Language};
use crate::domain::{Money, OrderStatus, TransactionStatus};

/// One thing to tell the owner, with every fact it needs: fixed when recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    /// Money came and an order's status changed.
    Payment {
        status: OrderStatus,
        code: String,
        currency: String,
        transfer: Money,
        received: Money,
        amount: Money,
        customer: Option<String>,
        payer: Option<String>,
        link: String,
    },
    /// A transfer waits for an admin.
    Waiting {
        amount: Money,
        currency: String,
        description: String,
        reason: TransactionStatus,
        link: String,
    },
    /// A shop notification gave up.
    NotificationFailed {
        code: String,
        error: String,
        link: String,
    },
    /// A reconciliation failed.
    ReconcileFailed { error: String, link: String },
    /// Yesterday's money per account, and what waits.
    Daily {
        day: NaiveDate,
        accounts: Vec<(String, i64, Money)>,
        waiting: i64,
        link: String,
    },
    /// Asked for from the admin's settings.
    Test { link: String },
}

/// An alert written out for both channels.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Written {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One line: a label (ours, safe) and a value (anyone's, escaped for Telegram).
enum Line {
    Title(String),
    Field(&'static str, String),
    Text(String),
    Link(String),
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Strips what would break a line: control characters (newlines in a description) read as
/// spaces, so a value cannot forge a line of its own.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

pub struct Writer {
    language: Language,
}

impl Writer {
    pub fn new(language: Language) -> Writer {
        Writer { language }
    }

    fn t(&self, en: &'static str) -> &'static str {
        if self.language == Language::En {
            return en;
        }
        VIETNAMESE
            .iter()
            .find(|(e, _)| *e == en)
            .map_or(en, |(_, vi)| vi)
    }

    pub fn money(&self, m: Money, currency: &str) -> String {
        let digits = match self.language {
            Language::Vi => m.grouped('.', ','),
            Language::En => m.grouped(',', '.'),
        };
        let unit = if currency.eq_ignore_ascii_case("VND") {
            "₫"
        } else {
            currency
        };
        format!("{digits} {unit}")
    }

    fn date(&self, day: NaiveDate) -> String {
        day.format("%d/%m/%Y").to_string()
    }

    fn lines(&self, alert: &Alert) -> (String, Vec<Line>) {
        match alert {
            Alert::Payment {
                status,
                code,
                currency,
                transfer,
                received,
                amount,
                customer,
                payer,
                link,
            } => {
                let (mark, what) = match status {
                    OrderStatus::Paid => ("✅", self.t("Paid")),
                    OrderStatus::Overpaid => ("🔵", self.t("Overpaid")),
                    _ => ("🟡", self.t("Partly paid")),
                };
                let mut lines = vec![
                    Line::Title(format!("{mark} {what} · {code}")),
                    Line::Field(self.t("Transfer"), self.money(*transfer, currency)),
                    Line::Field(
                        self.t("Received"),
                        format!(
                            "{} / {}",
                            self.money(*received, currency),
                            self.money(*amount, currency)
                        ),
                    ),
                ];
                match status {
                    OrderStatus::PartiallyPaid => lines.push(Line::Field(
                        self.t("Still due"),
                        self.money(amount.saturating_sub_to_zero(*received), currency),
                    )),
                    OrderStatus::Overpaid => lines.push(Line::Field(
                        self.t("Excess"),
                        self.money(received.saturating_sub_to_zero(*amount), currency),
                    )),
                    _ => {}
                }
                lines.extend(
                    customer
                        .iter()
                        .map(|c| Line::Field(self.t("Customer"), c.clone())),
                );
                lines.extend(
                    payer
                        .iter()
                        .map(|p| Line::Field(self.t("Payer"), p.clone())),
                );
                lines.push(Line::Link(link.clone()));
                let subject = format!("{what} {code}: {}", self.money(*transfer, currency));
                (subject, lines)
            }
            Alert::Waiting {
                amount,
                currency,
                description,
                reason,
                link,
            } => {
                let title = self.t("A transfer waits for you");
                let subject = format!("{title}: {}", self.money(*amount, currency));
                (
                    subject,
                    vec![
                        Line::Title(format!("⏳ {title}")),
                        Line::Field(self.t("Amount"), self.money(*amount, currency)),
                        Line::Field(self.t("Description"), description.clone()),
                        Line::Field(self.t("Reason"), self.t(reason_text(*reason)).to_owned()),
                        Line::Link(link.clone()),
                    ],
                )
            }
            Alert::NotificationFailed { code, error, link } => {
                let title = self.t("A shop notification gave up");
                (
                    format!("{title}: {code}"),
                    vec![
                        Line::Title(format!("⚠️ {title} · {code}")),
                        Line::Field(self.t("Last error"), error.clone()),
                        Line::Link(link.clone()),
                    ],
                )
            }
            Alert::ReconcileFailed { error, link } => {
                let title = self.t("A reconciliation failed");
                (
                    title.to_owned(),
                    vec![
                        Line::Title(format!("⚠️ {title}")),
                        Line::Field(self.t("Error"), error.clone()),
                        Line::Link(link.clone()),
                    ],
                )
            }
            Alert::Daily {
                day,
                accounts,
                waiting,
                link,
            } => {
                let title = format!("{} {}", self.t("Summary of"), self.date(*day));
                let mut lines = vec![Line::Title(format!("📊 {title}"))];
                if accounts.is_empty() {
                    lines.push(Line::Text(self.t("No money came in.").to_owned()));
                }
                for (account, count, total) in accounts {
                    lines.push(Line::Text(format!(
                        "{} {account}: {count} {} · {}",
                        self.t("Account"),
                        self.t("transfers"),
                        self.money(*total, "VND")
                    )));
                }
                lines.push(Line::Field(self.t("Waiting for you"), waiting.to_string()));
                lines.push(Line::Link(link.clone()));
                (title, lines)
            }
            Alert::Test { link } => {
                let title = self.t("Test alert from paymatch");
                (
                    title.to_owned(),
                    vec![
                        Line::Title(format!("🔔 {title}")),
                        Line::Text(
                            self.t("This channel works: alerts will come here.")
                                .to_owned(),
                        ),
                        Line::Link(link.clone()),
                    ],
                )
            }
        }
    }

    /// The alert for both channels.
    pub fn write(&self, alert: &Alert) -> Written {
        let (subject, lines) = self.lines(alert);
        let mut text = Vec::new();
        let mut html = Vec::new();
        for line in lines {
            match line {
                Line::Title(title) => {
                    let title = one_line(&title);
                    html.push(format!("<b>{}</b>", escape(&title)));
                    text.push(title);
                }
                Line::Field(label, value) => {
                    let value = one_line(&value);
                    html.push(format!("{label}: {}", escape(&value)));
                    text.push(format!("{label}: {value}"));
                }
                Line::Text(value) => {
                    html.push(escape(&value));
                    text.push(value);
                }
                Line::Link(url) => {
                    html.push(escape(&url));
                    text.push(url);
                }
            }
        }
        Written {
            subject: format!("paymatch: {}", one_line(&subject)),
            text: text.join("\n"),
            html: html.join("\n"),
        }
    }
}

/// Which alert tells of an order that turned `status` because money came.
pub fn kind_of(status: OrderStatus) -> Option<AlertKind> {
    match status {
        OrderStatus::Paid => Some(AlertKind::Paid),
        OrderStatus::PartiallyPaid => Some(AlertKind::PartiallyPaid),
        OrderStatus::Overpaid => Some(AlertKind::Overpaid),
        _ => None,
    }
}

fn reason_text(reason: TransactionStatus) -> &'static str {
    match reason {
        TransactionStatus::Unmatched => "No order code in the description",
        TransactionStatus::UnknownOrder => "The order code is not an order",
        TransactionStatus::Ambiguous => "Several orders fit",
        TransactionStatus::OrderClosed => "The order was already closed",
        _ => "Needs a decision",
    }
}

const VIETNAMESE: &[(&str, &str)] = &[
    ("Paid", "Đã thanh toán"),
    ("Overpaid", "Thanh toán thừa"),
    ("Partly paid", "Thanh toán một phần"),
    ("Transfer", "Chuyển khoản"),
    ("Received", "Đã nhận"),
    ("Still due", "Còn thiếu"),
    ("Excess", "Thừa"),
    ("Customer", "Khách hàng"),
    ("Payer", "Người chuyển"),
    ("A transfer waits for you", "Có giao dịch chờ bạn xử lý"),
    ("Amount", "Số tiền"),
    ("Description", "Nội dung"),
    ("Reason", "Lý do"),
    (
        "No order code in the description",
        "Nội dung không có mã đơn hàng",
    ),
    (
        "The order code is not an order",
        "Mã đơn hàng không tồn tại",
    ),
    ("Several orders fit", "Khớp với nhiều đơn hàng"),
    ("The order was already closed", "Đơn hàng đã đóng"),
    ("Needs a decision", "Cần bạn quyết định"),
    (
        "A shop notification gave up",
        "Thông báo cho cửa hàng đã dừng gửi",
    ),
    ("Last error", "Lỗi cuối"),
    ("A reconciliation failed", "Đối soát thất bại"),
    ("Error", "Lỗi"),
    ("Summary of", "Tổng kết ngày"),
    ("No money came in.", "Không có tiền vào."),
    ("Account", "Tài khoản"),
    ("transfers", "giao dịch"),
    ("Waiting for you", "Chờ bạn xử lý"),
    ("Test alert from paymatch", "Cảnh báo thử từ paymatch"),
    (
        "This channel works: alerts will come here.",
        "Kênh này hoạt động: cảnh báo sẽ được gửi tới đây.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn paid(description_like: &str) -> Alert {
        Alert::Payment {
            status: OrderStatus::PartiallyPaid,
            code: "DH12".into(),
            currency: "VND".into(),
            transfer: Money::parse("50000").unwrap(),
            received: Money::parse("50000").unwrap(),
            amount: Money::parse("150000").unwrap(),
            customer: Some(description_like.into()),
            payer: None,
            link: "https://pay.shop.vn/admin/orders/DH12".into(),
        }
    }

    #[test]
    fn a_partial_payment_reads_on_a_lock_screen() {
        let w = Writer::new(Language::Vi).write(&paid("Mai"));
        assert_eq!(
            w.text,
            "🟡 Thanh toán một phần · DH12\nChuyển khoản: 50.000 ₫\nĐã nhận: 50.000 ₫ / 150.000 ₫\n\
             Còn thiếu: 100.000 ₫\nKhách hàng: Mai\nhttps://pay.shop.vn/admin/orders/DH12"
        );
        assert_eq!(w.subject, "paymatch: Thanh toán một phần DH12: 50.000 ₫");
        let en = Writer::new(Language::En).write(&paid("Mai"));
        assert!(en.text.contains("Still due: 100,000 ₫"), "{}", en.text);
    }

    #[test]
    fn hostile_text_never_forms_markup_or_lines() {
        let w = Writer::new(Language::Vi).write(&paid("<b>x</b> & <a href=\"y\">\nFake: line"));
        assert!(
            w.html
                .contains("&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href=&quot;y&quot;&gt; Fake: line"),
            "{}",
            w.html
        );
        assert_eq!(w.html.matches("<b>").count(), 1, "only the title is bold");
        assert!(!w.text.contains("\nFake"));
    }

    #[test]
    fn every_text_has_vietnamese() {
        for (en, vi) in VIETNAMESE {
            assert_ne!(en, vi);
        }
        let w = Writer::new(Language::Vi);
        for reason in [
            TransactionStatus::Unmatched,
            TransactionStatus::UnknownOrder,
            TransactionStatus::Ambiguous,
            TransactionStatus::OrderClosed,
        ] {
            assert_ne!(w.t(reason_text(reason)), reason_text(reason));
        }
    }
}
