//! The texts of owner alerts in the admin, and of the menu entry that is not them.

pub(super) const VIETNAMESE: &[(&str, &str)] = &[
    ("Shop webhooks", "Webhook cửa hàng"),
    ("Owner alerts (Telegram, e-mail)", "Cảnh báo cho chủ shop (Telegram, email)"),
    ("Messages to you when money comes, when a transfer waits, when something fails, and each morning. Not the notifications sent to the shop's website.", "Tin nhắn gửi bạn khi có tiền vào, khi có giao dịch chờ xử lý, khi có lỗi, và mỗi sáng. Khác với thông báo gửi tới website của cửa hàng."),
    ("configured", "đã cấu hình"),
    ("not configured: set PAYMATCH_TELEGRAM_BOT_TOKEN and PAYMATCH_TELEGRAM_CHAT_IDS", "chưa cấu hình: đặt PAYMATCH_TELEGRAM_BOT_TOKEN và PAYMATCH_TELEGRAM_CHAT_IDS"),
    ("not configured: set PAYMATCH_SMTP_URL, PAYMATCH_ALERT_EMAIL_TO and PAYMATCH_ALERT_EMAIL_FROM", "chưa cấu hình: đặt PAYMATCH_SMTP_URL, PAYMATCH_ALERT_EMAIL_TO và PAYMATCH_ALERT_EMAIL_FROM"),
    ("Channel", "Kênh"),
    ("To", "Gửi tới"),
    ("Last sent", "Gửi thành công lần cuối"),
    ("Last failure", "Lỗi lần cuối"),
    ("stopped", "đã dừng"),
    ("trying again", "đang thử lại"),
    ("Send a test alert", "Gửi cảnh báo thử"),
    ("A test alert is on its way to every chat and address: its result shows below in a few seconds.", "Cảnh báo thử đang được gửi tới mọi cuộc trò chuyện và địa chỉ: kết quả hiện bên dưới sau vài giây."),
];
