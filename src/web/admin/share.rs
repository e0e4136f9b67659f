//! What the admin sends a customer for an order: its pay link, its QR code as a picture, and a
//! message ready to paste into Zalo or Messenger, in Vietnamese (the customer's language,
//! whatever the admin reads).

use crate::config::Settings;
use crate::domain::{Order, OrderStatus};
use crate::web::admin::views::{local_time, money};
use crate::web::i18n::Lang;
use crate::web::pay::banks::bank_name;

pub struct ShareView {
    /// The payment page: absolute when `PAYMATCH_PUBLIC_URL` is set, else a path.
    pub pay_link: String,
    pub absolute: bool,
    /// The QR picture's address, while the order takes payments into a known account.
    pub qr_png: Option<String>,
    /// What to paste into a chat, while the order takes payments.
    pub message: Option<String>,
}

impl ShareView {
    pub fn new(order: &Order, settings: &Settings) -> ShareView {
        let code = &order.code;
        let pay_link = settings.public_url.link(&format!("/pay/{code}"));
        let account = settings.accounts.for_order(order.account.as_deref());
        let open = order.status.is_open();
        ShareView {
            qr_png: account
                .filter(|_| open)
                .map(|_| format!("/pay/{code}/qr.png")),
            message: open.then(|| chat_message(order, settings, &pay_link)),
            absolute: settings.public_url.is_set(),
            pay_link,
        }
    }
}

/// The message, line by line: who it is for, what to pay (what is still due once partly
/// paid), where to, with which content, the link and the deadline.
fn chat_message(order: &Order, settings: &Settings, pay_link: &str) -> String {
    let vnd = |m| money(m, &order.currency, Lang::Vi);
    let due = vnd(order.amount_due());
    let mut lines = vec![match &order.customer.name {
        Some(name) => format!("Chào {name},"),
        None => "Chào anh/chị,".to_owned(),
    }];
    let shop = settings
        .shop()
        .map(|s| format!(" của {s}"))
        .unwrap_or_default();
    if order.status == OrderStatus::PartiallyPaid {
        lines.push(format!(
            "Đơn hàng {}{shop}: đã nhận {} trên {}, còn thiếu {due}.",
            order.code,
            vnd(order.amount_received),
            vnd(order.amount),
        ));
        lines.push(format!("Vui lòng chuyển thêm {due}:"));
    } else {
        lines.push(format!("Đơn hàng {}{shop}: {due}.", order.code));
        lines.push(format!("Vui lòng chuyển khoản {due}:"));
    }
    if let Some(account) = settings.accounts.for_order(order.account.as_deref()) {
        lines.push(format!("- Ngân hàng: {}", bank_name(&account.bin)));
        lines.push(format!("- Số tài khoản: {}", account.number));
        if !account.name.is_empty() {
            lines.push(format!("- Chủ tài khoản: {}", account.name));
        }
    }
    lines.push(format!(
        "- Nội dung chuyển khoản: {} (ghi đúng để đơn được xác nhận tự động)",
        order.code
    ));
    lines.push(format!("Quét mã QR hoặc xem hướng dẫn tại: {pay_link}"));
    if let Some(deadline) = order.expires_at {
        lines.push(format!("Hạn thanh toán: {}.", local_time(deadline)));
    }
    lines.push("Cảm ơn anh/chị!".to_owned());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::domain::{Money, OrderCode};

    fn settings() -> Settings {
        let vars = [("PAYMATCH_PUBLIC_URL", "https://pay.shop.vn")];
        Settings::load(None, vars.map(|(k, v)| (k.to_owned(), v.to_owned()))).unwrap()
    }

    fn order(amount: &str, received: &str) -> Order {
        let now = chrono::Utc::now();
        let mut order = Order::pending(
            OrderCode::parse("DH77").unwrap(),
            Money::parse(amount).unwrap(),
            "VND",
            now,
        );
        order.amount_received = Money::parse(received).unwrap();
        order.status = if order.amount_received.is_positive() {
            OrderStatus::PartiallyPaid
        } else {
            OrderStatus::Pending
        };
        order
    }

    #[test]
    fn asks_for_the_amount_with_the_content_and_the_link() {
        let share = ShareView::new(&order("150000", "0"), &settings());
        let message = share.message.unwrap();
        assert!(message.contains("Đơn hàng DH77"), "{message}");
        assert!(
            message.contains("Vui lòng chuyển khoản 150.000 ₫"),
            "{message}"
        );
        assert!(message.contains("Nội dung chuyển khoản: DH77"), "{message}");
        assert!(
            message.contains("https://pay.shop.vn/pay/DH77"),
            "{message}"
        );
        assert_eq!(share.pay_link, "https://pay.shop.vn/pay/DH77");
    }

    #[test]
    fn a_partly_paid_order_asks_for_what_is_still_due() {
        let message = ShareView::new(&order("150000", "50000"), &settings())
            .message
            .unwrap();
        assert!(message.contains("còn thiếu 100.000 ₫"), "{message}");
        assert!(
            message.contains("Vui lòng chuyển thêm 100.000 ₫"),
            "{message}"
        );
        assert!(!message.contains("chuyển khoản 150.000"), "{message}");
    }

    #[test]
    fn a_closed_order_has_nothing_to_send() {
        let mut paid = order("150000", "150000");
        paid.status = OrderStatus::Paid;
        let share = ShareView::new(&paid, &settings());
        assert!(share.message.is_none() && share.qr_png.is_none());
    }
}
