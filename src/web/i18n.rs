//! Vietnamese and English for pages. The English text is the key; a text without a Vietnamese
//! entry shows in English (a test checks that every text the templates use has one).

use actix_web::HttpRequest;

pub const LANG_COOKIE: &str = "paymatch_lang";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The switch cookie first, then the browser's `Accept-Language` order; Vietnamese when
    /// neither says (the shop and its customers are in Vietnam).
    pub fn of(req: &HttpRequest) -> Lang {
        if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
            return lang;
        }
        let accepted = req
            .headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        accepted
            .split(',')
            .filter_map(|part| part.split(';').next())
            .map(|tag| tag.trim().to_ascii_lowercase())
            .find_map(|tag| Lang::parse(tag.split('-').next().unwrap_or("")))
            .unwrap_or(Lang::Vi)
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    pub fn t(self, english: &'static str) -> &'static str {
        match self {
            Lang::En => ENGLISH
                .iter()
                .find(|(key, _)| *key == english)
                .map_or(english, |(_, text)| text),
            Lang::Vi => VIETNAMESE
                .iter()
                .find(|(en, _)| *en == english)
                .map_or(english, |(_, vi)| vi),
        }
    }
}

/// Keys that are not English text (the statuses as stored) and their English names.
const ENGLISH: &[(&str, &str)] = &[
    ("pending", "Pending"),
    ("partially_paid", "Partly paid"),
    ("paid", "Paid"),
    ("overpaid", "Overpaid"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
    ("matched", "Matched"),
    ("unmatched", "No order code"),
    ("unknown_order", "Unknown order code"),
    ("ambiguous", "Several orders"),
    ("order_closed", "Order closed"),
    ("outgoing", "Outgoing"),
    ("test", "Test"),
    ("ignored", "Set aside"),
    ("linked", "Linked by an admin"),
    ("refunded", "Refunded"),
    ("queued", "Queued"),
    ("running", "Running"),
    ("done", "Sent"),
    ("skipped", "Skipped"),
    ("failed", "Failed"),
];

pub const VIETNAMESE: &[(&str, &str)] = &[
    ("Dashboard", "Tổng quan"),
    ("Queue", "Chờ xử lý"),
    ("Rejected", "Bị từ chối"),
    ("Orders", "Đơn hàng"),
    ("Audit log", "Nhật ký"),
    ("Notifications", "Thông báo"),
    ("Reconciliation", "Đối soát"),
    ("Failed notifications", "Thông báo gửi lỗi"),
    ("Event", "Sự kiện"),
    ("Attempts", "Số lần gửi"),
    ("Next attempt", "Lần gửi tiếp"),
    ("Last error", "Lỗi gần nhất"),
    ("Send again", "Gửi lại"),
    ("Runs of the reconciliation", "Các lần đối soát"),
    (
        "Reconciliation is off: set PAYMATCH_CASSO_API_KEY or PAYMATCH_SEPAY_API_TOKEN.",
        "Chưa bật đối soát: hãy đặt PAYMATCH_CASSO_API_KEY hoặc PAYMATCH_SEPAY_API_TOKEN.",
    ),
    ("Started", "Bắt đầu"),
    ("Trigger", "Nguồn"),
    ("Webhook URL to give SePay", "Địa chỉ webhook khai báo với SePay"),
    (
        "In SePay: Integrations → Webhooks → Add webhook, with the URL above and the event type Money in (or Both).",
        "Trong SePay: Tích hợp → Webhooks → Thêm webhook, với địa chỉ ở trên và loại sự kiện Tiền vào (hoặc Cả hai).",
    ),
    (
        "Security: choose API Key and enter the value of PAYMATCH_SEPAY_WEBHOOK_KEY; SePay sends it as Authorization: Apikey <key>.",
        "Bảo mật: chọn API Key và nhập giá trị của PAYMATCH_SEPAY_WEBHOOK_KEY; SePay gửi nó trong header Authorization: Apikey <key>.",
    ),
    (
        "For reconciliation, create an API token in SePay (Company settings → API Access) and set PAYMATCH_SEPAY_API_TOKEN.",
        "Để đối soát, tạo API token trong SePay (Cấu hình công ty → API Access) rồi đặt PAYMATCH_SEPAY_API_TOKEN.",
    ),
    ("SePay webhooks are accepted.", "Đang nhận webhook từ SePay."),
    (
        "PAYMATCH_SEPAY_WEBHOOK_KEY is not set: every SePay delivery is refused.",
        "Chưa đặt PAYMATCH_SEPAY_WEBHOOK_KEY: mọi webhook từ SePay đều bị từ chối.",
    ),
    ("Provider", "Nhà cung cấp"),
    ("Window", "Khoảng ngày"),
    ("Pages", "Trang"),
    ("Records", "Bản ghi"),
    ("New", "Mới"),
    ("Already known", "Đã có"),
    ("Matched", "Đã khớp"),
    ("Error", "Lỗi"),
    ("running", "đang chạy"),
    ("Settings", "Cài đặt"),
    ("Log out", "Đăng xuất"),
    ("Log in", "Đăng nhập"),
    ("User name", "Tên đăng nhập"),
    ("Password", "Mật khẩu"),
    (
        "Wrong user name or password.",
        "Sai tên đăng nhập hoặc mật khẩu.",
    ),
    (
        "Too many failed attempts. Try again in 15 minutes.",
        "Quá nhiều lần thử sai. Vui lòng thử lại sau 15 phút.",
    ),
    (
        "The form has expired. Reload the page and try again.",
        "Biểu mẫu đã hết hạn. Hãy tải lại trang và thử lại.",
    ),
    ("Orders by status", "Đơn hàng theo trạng thái"),
    ("Transactions by status", "Giao dịch theo trạng thái"),
    ("Automatic match rate", "Tỉ lệ khớp tự động"),
    (
        "Money received per day (last 30 days)",
        "Tiền nhận theo ngày (30 ngày qua)",
    ),
    (
        "Transfers waiting for a decision",
        "Giao dịch chờ quyết định",
    ),
    ("Reason", "Lý do"),
    ("All", "Tất cả"),
    ("From", "Từ"),
    ("To", "Đến"),
    ("Min amount", "Số tiền tối thiểu"),
    ("Max amount", "Số tiền tối đa"),
    ("Search", "Tìm kiếm"),
    ("Filter", "Lọc"),
    ("Received", "Nhận lúc"),
    ("Amount", "Số tiền"),
    ("Description", "Nội dung"),
    ("Status", "Trạng thái"),
    ("Next page", "Trang sau"),
    ("Nothing here.", "Không có gì ở đây."),
    ("Transaction", "Giao dịch"),
    ("Order", "Đơn hàng"),
    ("Codes read", "Mã đọc được"),
    ("Waited because", "Lý do chờ"),
    ("Resolution", "Cách xử lý"),
    ("Bank reference", "Mã tham chiếu"),
    ("Account", "Tài khoản"),
    ("Money received per account", "Tiền nhận theo tài khoản"),
    ("Today", "Hôm nay"),
    ("Last 7 days", "7 ngày qua"),
    ("Last 30 days", "30 ngày qua"),
    ("Other accounts", "Tài khoản khác"),
    ("Account not given", "Không rõ tài khoản"),
    ("Arrived in account", "Tiền vào tài khoản"),
    ("the order asked for", "đơn hàng yêu cầu tài khoản"),
    ("It still pays the order: the money is the shop's.", "Đơn hàng vẫn được tính là đã nhận tiền, vì tiền đã vào tài khoản của cửa hàng."),
    ("which is not one of the shop's receiving accounts.", "không phải tài khoản nhận tiền của cửa hàng."),
    ("Arrived in", "Tài khoản nhận"),
    ("Every account", "Mọi tài khoản"),
    ("Link to an order", "Gán vào đơn hàng"),
    ("Order code", "Mã đơn hàng"),
    ("Preview", "Xem trước"),
    ("Suggestions", "Gợi ý"),
    ("Codes one edit away", "Mã gần giống"),
    (
        "Same amount, around that time",
        "Cùng số tiền, cùng thời điểm",
    ),
    ("Set aside", "Gác lại"),
    (
        "Not a payment for an order",
        "Không phải thanh toán đơn hàng",
    ),
    ("Refunded to the customer", "Đã hoàn tiền cho khách"),
    ("Note", "Ghi chú"),
    ("Save", "Lưu"),
    ("Undo", "Hoàn tác"),
    ("Confirm link", "Xác nhận gán"),
    ("Split across orders", "Chia cho nhiều đơn"),
    ("Split across several orders", "Chia khoản này cho nhiều đơn hàng"),
    ("Each order and its share. The shares must add up to exactly the transfer's amount.", "Mỗi dòng một đơn hàng và phần tiền của đơn đó. Tổng các phần phải bằng đúng số tiền của giao dịch."),
    ("Share", "Phần tiền"),
    ("Confirm split", "Xác nhận chia"),
    ("Paid to", "Đã trả cho"),
    ("Yes, undo: every order loses its share and the transfer waits again.", "Có, hoàn tác: mọi đơn hàng mất phần tiền của mình và giao dịch chờ xử lý lại."),
    ("Split across at least two orders.", "Cần chia cho ít nhất hai đơn hàng."),
    ("The same order appears twice:", "Một đơn hàng xuất hiện hai lần:"),
    ("Each share must be more than zero:", "Mỗi phần tiền phải lớn hơn 0:"),
    ("There is no order with this code:", "Không có đơn hàng với mã này:"),
    ("This order is closed (expired or cancelled):", "Đơn hàng này đã đóng (hết hạn hoặc đã hủy):"),
    ("The shares must add up to exactly the transfer's amount:", "Tổng các phần phải bằng đúng số tiền của giao dịch:"),
    ("Not an amount: write it as 100000, 100.000 or 100k.", "Không phải số tiền: hãy viết 100000, 100.000 hoặc 100k."),
    ("The transfer was split across the orders.", "Đã chia giao dịch cho các đơn hàng."),
    ("Nothing was changed: a split needs different open orders whose shares add up to the transfer's amount.", "Không có gì thay đổi: cần các đơn hàng khác nhau còn mở, với tổng các phần bằng đúng số tiền của giao dịch."),
    ("Before", "Trước"),
    ("After", "Sau"),
    ("Received so far", "Đã nhận"),
    ("Still due", "Còn thiếu"),
    ("Cancel order", "Hủy đơn"),
    ("Reference", "Tham chiếu"),
    ("Created", "Tạo lúc"),
    ("Paid at", "Thanh toán lúc"),
    ("Expires", "Hết hạn"),
    ("Transfers", "Các khoản chuyển"),
    ("History", "Lịch sử"),
    ("When", "Thời điểm"),
    ("Who", "Người thực hiện"),
    ("Action", "Thao tác"),
    ("Subject", "Đối tượng"),
    (
        "Webhook URL to give Casso",
        "URL webhook khai báo với Casso",
    ),
    ("Secure token", "Secure token"),
    ("Reveal", "Hiện"),
    ("Page not found", "Không tìm thấy trang"),
    ("Go back", "Quay lại"),
    ("Bad request", "Yêu cầu không hợp lệ"),
    (
        "The address or the form could not be read.",
        "Không đọc được địa chỉ hoặc biểu mẫu.",
    ),
    ("Request refused", "Yêu cầu bị từ chối"),
    ("Something went wrong", "Đã có lỗi"),
    (
        "The page could not be shown. Try again later.",
        "Không hiển thị được trang. Hãy thử lại sau.",
    ),
    ("Try again soon", "Hãy thử lại sau ít phút"),
    (
        "The database is unavailable; nothing was changed. Try again in a moment.",
        "Cơ sở dữ liệu đang không truy cập được; chưa có gì thay đổi. Hãy thử lại sau giây lát.",
    ),
    (
        "There is no page at this address.",
        "Không có trang nào ở địa chỉ này.",
    ),
    (
        "There is no order with this code. Check the link the shop gave you.",
        "Không có đơn hàng nào với mã này. Hãy kiểm tra lại đường dẫn cửa hàng đã gửi cho bạn.",
    ),
    ("Metrics token", "Token số liệu (metrics)"),
    (
        "An order code is 1 to 32 letters and digits.",
        "Mã đơn hàng gồm 1 đến 32 chữ cái và chữ số.",
    ),
    (
        "There is no order with this code.",
        "Không có đơn hàng nào với mã này.",
    ),
    ("There is no such transaction.", "Không có giao dịch này."),
    (
        "Only waiting transactions can be resolved.",
        "Chỉ xử lý được giao dịch đang chờ.",
    ),
    (
        "This transaction is not linked to an order.",
        "Giao dịch này chưa được gán vào đơn hàng.",
    ),
    (
        "This transaction was not set aside by an admin.",
        "Giao dịch này không do quản trị viên gác lại.",
    ),
    (
        "The order's total would exceed the largest amount that can be stored.",
        "Tổng tiền của đơn sẽ vượt quá số tiền lớn nhất có thể lưu.",
    ),
    (
        "A paid order cannot be cancelled.",
        "Không thể hủy đơn hàng đã thanh toán.",
    ),
    (
        "Choose: not a payment for an order, or refunded.",
        "Hãy chọn: không phải thanh toán đơn hàng, hoặc đã hoàn tiền.",
    ),
    ("Sessions", "Phiên đăng nhập"),
    (
        "End every session of your account, in every browser, this one included.",
        "Kết thúc mọi phiên đăng nhập của tài khoản bạn, trên mọi trình duyệt, kể cả phiên này.",
    ),
    ("Log out everywhere", "Đăng xuất khỏi mọi nơi"),
    ("Pattern tester", "Thử mẫu mã đơn"),
    ("Paste a bank description", "Dán nội dung chuyển khoản"),
    ("Test", "Thử"),
    ("Normalised", "Đã chuẩn hóa"),
    ("Codes found", "Mã tìm thấy"),
    ("Configured patterns", "Các mẫu đang dùng"),
    ("Element", "Phần tử"),
    ("Dismiss", "Bỏ qua"),
    ("Pay by bank transfer", "Thanh toán bằng chuyển khoản"),
    ("Amount to transfer", "Số tiền cần chuyển"),
    ("Bank", "Ngân hàng"),
    ("Account number", "Số tài khoản"),
    ("Account name", "Chủ tài khoản"),
    ("Transfer content", "Nội dung chuyển khoản"),
    (
        "Type this content exactly, so that your payment is found.",
        "Hãy nhập đúng nội dung này để hệ thống nhận ra khoản thanh toán.",
    ),
    ("Scan with your banking app", "Quét bằng ứng dụng ngân hàng"),
    (
        "Waiting for your transfer…",
        "Đang chờ khoản chuyển của bạn…",
    ),
    ("Paid. Thank you!", "Đã thanh toán. Cảm ơn bạn!"),
    (
        "Partly paid: please transfer the rest.",
        "Đã nhận một phần: vui lòng chuyển số còn lại.",
    ),
    ("This order was cancelled.", "Đơn hàng này đã bị hủy."),
    ("This order has expired.", "Đơn hàng này đã hết hạn."),
    (
        "The shop has not set up its bank account yet.",
        "Cửa hàng chưa cài đặt tài khoản ngân hàng.",
    ),
    ("How to pay", "Cách thanh toán"),
    (
        "VietQR code for the amount to transfer",
        "Mã VietQR cho số tiền cần chuyển",
    ),
    ("Or open your banking app:", "Hoặc mở ứng dụng ngân hàng:"),
    ("Copy", "Chép"),
    ("Copied", "Đã chép"),
    ("Copy the amount", "Chép số tiền"),
    ("Copy the transfer content", "Chép nội dung chuyển khoản"),
    ("Copy the account number", "Chép số tài khoản"),
    ("Pay before", "Hạn thanh toán"),
    ("time left", "còn"),
    ("Order amount", "Giá trị đơn hàng"),
    ("Paid in excess", "Chuyển dư"),
    (
        "Please do not transfer money for this order. If you already have, contact the shop.",
        "Vui lòng không chuyển tiền cho đơn hàng này. Nếu bạn đã chuyển, hãy liên hệ cửa hàng.",
    ),
    (
        "You transferred more than the order's amount: the shop will contact you about the difference.",
        "Bạn đã chuyển nhiều hơn giá trị đơn hàng: cửa hàng sẽ liên hệ với bạn về khoản chênh lệch.",
    ),
    ("Page not found.", "Không tìm thấy trang."),
    ("Something went wrong.", "Đã có lỗi xảy ra."),
    ("pending", "chờ thanh toán"),
    ("partially_paid", "thanh toán một phần"),
    ("paid", "đã thanh toán"),
    ("overpaid", "thanh toán dư"),
    ("expired", "hết hạn"),
    ("cancelled", "đã hủy"),
    ("matched", "đã khớp"),
    ("unmatched", "không có mã"),
    ("unknown_order", "mã không tồn tại"),
    ("ambiguous", "nhiều đơn"),
    ("order_closed", "đơn đã đóng"),
    ("outgoing", "tiền ra"),
    ("test", "thử nghiệm"),
    ("ignored", "đã gác lại"),
    ("linked", "gán thủ công"),
    ("refunded", "đã hoàn tiền"),
    ("queued", "đang chờ gửi"),
    ("done", "đã gửi"),
    ("skipped", "bỏ qua"),
    ("failed", "gửi lỗi"),
    // Notices after an action
    (
        "Nothing was changed: a later transfer credited this order after this one. Undo that transfer first.",
        "Chưa có gì thay đổi: một giao dịch sau đã cộng tiền vào đơn hàng này. Hãy hoàn tác giao dịch đó trước.",
    ),
    (
        "Nothing was changed: tick the box to confirm first.",
        "Chưa có gì thay đổi: hãy đánh dấu ô xác nhận trước.",
    ),
    (
        "The transfer was linked to the order.",
        "Đã gán giao dịch vào đơn hàng.",
    ),
    ("The transfer was set aside.", "Đã gác lại giao dịch."),
    (
        "Undone: the transfer waits for a decision again.",
        "Đã hoàn tác: giao dịch lại chờ xử lý.",
    ),
    ("The order was cancelled.", "Đã hủy đơn hàng."),
    ("The element was dismissed.", "Đã bỏ qua phần tử."),
    (
        "The notification will be sent again.",
        "Thông báo sẽ được gửi lại.",
    ),
    ("You are logged out.", "Bạn đã đăng xuất."),
    (
        "You are logged out on every device.",
        "Bạn đã đăng xuất trên mọi thiết bị.",
    ),
    ("Best match", "Khớp nhất"),
    (
        "Yes, undo: the order loses this payment and the transfer waits again.",
        "Đồng ý hoàn tác: đơn hàng mất khoản này và giao dịch lại chờ xử lý.",
    ),
    (
        "Yes, cancel this order: this cannot be undone.",
        "Đồng ý hủy đơn này: không thể hoàn tác.",
    ),
    (
        "This order is closed: linking reopens it.",
        "Đơn này đã đóng: gán giao dịch sẽ mở lại đơn.",
    ),
    (
        "The transfer is more than the amount due:",
        "Số tiền chuyển nhiều hơn số còn thiếu:",
    ),
    ("excess", "thừa"),
    // Delivery errors and rejected elements
    ("The shop answered", "Cửa hàng trả lời"),
    ("No answer from the shop", "Cửa hàng không trả lời"),
    (
        "The shop's host name could not be resolved",
        "Không phân giải được tên miền của cửa hàng",
    ),
    (
        "The notification URL is not a public address",
        "URL nhận thông báo không phải địa chỉ công khai",
    ),
    (
        "The notification URL is not valid",
        "URL nhận thông báo không hợp lệ",
    ),
    ("Delivery failed", "Gửi không thành công"),
    (
        "The element is not a JSON object",
        "Phần tử không phải đối tượng JSON",
    ),
    (
        "Bad or missing transaction id",
        "Mã giao dịch sai hoặc bị thiếu",
    ),
    ("The amount is zero", "Số tiền bằng 0"),
    ("Bad or missing amount", "Số tiền sai hoặc bị thiếu"),
    ("The description is not text", "Nội dung không phải văn bản"),
    ("Unreadable date", "Không đọc được ngày"),
    ("Unreadable element", "Không đọc được phần tử"),
    // Audit log
    ("Transfer linked to an order", "Gán giao dịch"),
    ("Transfer split across orders", "Chia giao dịch cho nhiều đơn"),
    ("Link undone", "Hủy gán giao dịch"),
    ("Set aside: not a payment", "Gác lại: không phải thanh toán"),
    ("Set aside: refunded", "Gác lại: đã hoàn tiền"),
    ("Transfer waits again", "Giao dịch chờ xử lý lại"),
    ("Order credited", "Ghi có đơn hàng"),
    ("Order debited", "Ghi nợ đơn hàng"),
    ("Order cancelled", "Hủy đơn hàng"),
    ("Order created", "Tạo đơn hàng"),
    ("Transfer credited", "Cộng tiền từ giao dịch"),
    ("Order expired", "Đơn hàng hết hạn"),
    ("Credit undone", "Hoàn tác khoản cộng tiền"),
    ("State when history began", "Trạng thái khi bắt đầu ghi lịch sử"),
    ("By", "Bởi"),
    ("Transfer", "Giao dịch"),
    ("Rejected element dismissed", "Bỏ qua phần tử bị từ chối"),
    ("Notification sent again", "Gửi lại thông báo"),
    ("Logged out everywhere", "Đăng xuất khỏi mọi nơi"),
    ("Secret revealed", "Xem khóa bí mật"),
    ("Other change", "Thay đổi khác"),
    ("Other", "Khác"),
    // Suggestions
    (
        "Named in the description, exact amount due",
        "Có mã trong nội dung, đúng số tiền còn thiếu",
    ),
    ("Named in the description", "Có mã trong nội dung"),
    ("Exact amount due", "Đúng số tiền còn thiếu"),
    ("Code one edit away", "Mã gần giống"),
    // Filters, tabs, totals and exports of the admin's lists.
    (
        "Write a day as YYYY-MM-DD",
        "Nhập ngày theo dạng YYYY-MM-DD",
    ),
    (
        "Not an amount: write 100000, 100.000 or 100k",
        "Không đọc được số tiền: hãy nhập 100000, 100.000 hoặc 100k",
    ),
    (
        "An amount has at most 4 decimal places",
        "Số tiền có tối đa 4 chữ số thập phân",
    ),
    ("The amount is too large", "Số tiền quá lớn"),
    ("Transactions", "Giao dịch"),
    ("bank's day", "ngày theo ngân hàng"),
    ("Bank time", "Giờ ngân hàng"),
    ("received", "nhận lúc"),
    ("Money in", "Tiền vào"),
    ("Money out", "Tiền ra"),
    ("Download CSV", "Tải CSV"),
    ("Reconcile now", "Đối soát ngay"),
    (
        "Show skipped (no notification URL)",
        "Hiện thông báo bỏ qua (không có URL nhận)",
    ),
    (
        "Hide skipped (no notification URL)",
        "Ẩn thông báo bỏ qua (không có URL nhận)",
    ),
    (
        "Fetches the last 3 days of transfers from each configured provider (Casso, SePay) and records every one that is missing.",
        "Lấy giao dịch 3 ngày gần nhất từ từng nhà cung cấp đã cấu hình (Casso, SePay) và ghi lại mọi giao dịch còn thiếu.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_in_the_templates_has_a_vietnamese_entry() {
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates"
        ))];
        let mut files = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path)
                } else {
                    files.push(path)
                }
            }
        }
        assert!(files.len() > 5);
        let marker = "t(\"";
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split(marker).skip(1) {
                let key = piece.split('"').next().unwrap();
                assert!(
                    VIETNAMESE.iter().any(|(en, _)| *en == key),
                    "{}: no Vietnamese for {key:?}",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn looks_up_and_falls_back() {
        assert_eq!(Lang::Vi.t("Log in"), "Đăng nhập");
        assert_eq!(Lang::En.t("Log in"), "Log in");
        assert_eq!(Lang::Vi.t("untranslated"), "untranslated");
        assert_eq!(Lang::En.t("partially_paid"), "Partly paid");
        assert_eq!(Lang::Vi.t("partially_paid"), "thanh toán một phần");
    }
}
