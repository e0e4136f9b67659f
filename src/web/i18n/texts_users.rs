//! The texts of users and roles.

pub(super) const VIETNAMESE: &[(&str, &str)] = &[
    ("Users", "Người dùng"),
    ("Who may do what", "Ai được làm gì"),
    (
        "everything, settings and users included",
        "mọi việc, kể cả cài đặt và người dùng",
    ),
    (
        "the queue and orders: link, split, undo, set aside, create, import, cancel, export",
        "giao dịch chờ và đơn hàng: gán, chia, hoàn tác, để riêng, tạo, nhập, hủy, xuất",
    ),
    ("reads and exports only", "chỉ xem và xuất dữ liệu"),
    ("User", "Người dùng"),
    ("Role", "Vai trò"),
    ("Since", "Từ ngày"),
    ("Change", "Thay đổi"),
    ("you", "bạn"),
    ("New password", "Mật khẩu mới"),
    ("Reset password", "Đặt lại mật khẩu"),
    ("Yes, remove this user", "Có, xóa người dùng này"),
    ("Remove", "Xóa"),
    ("New user", "Người dùng mới"),
    ("Create the user", "Tạo người dùng"),
    ("Change my password", "Đổi mật khẩu của tôi"),
    ("Current password", "Mật khẩu hiện tại"),
    ("Not allowed", "Không được phép"),
    (
        "Your role does not allow this; nothing was changed. Ask the shop's owner.",
        "Vai trò của bạn không được làm việc này; không có gì thay đổi. Hãy hỏi chủ cửa hàng.",
    ),
    (
        "The shop's last owner can be neither removed nor given another role.",
        "Không thể xóa hay đổi vai trò của chủ cửa hàng cuối cùng.",
    ),
    ("There is no such user.", "Không có người dùng này."),
    (
        "The current password is not right.",
        "Mật khẩu hiện tại không đúng.",
    ),
    (
        "A user name is 1 to 64 letters, digits, dots, hyphens or underscores.",
        "Tên đăng nhập gồm 1 đến 64 chữ cái, chữ số, dấu chấm, gạch ngang hoặc gạch dưới.",
    ),
    (
        "A password has at least 10 characters, not only spaces.",
        "Mật khẩu có ít nhất 10 ký tự, không chỉ là khoảng trắng.",
    ),
    (
        "A user of this name exists already.",
        "Đã có người dùng tên này.",
    ),
    ("The user was created.", "Đã tạo người dùng."),
    (
        "The role was changed; the user logs in again to use it.",
        "Đã đổi vai trò; người dùng đăng nhập lại để dùng vai trò mới.",
    ),
    (
        "The password was changed; the user's sessions ended.",
        "Đã đổi mật khẩu; các phiên của người dùng đã kết thúc.",
    ),
    (
        "The user was removed and logged out.",
        "Đã xóa người dùng và đăng xuất họ.",
    ),
    (
        "Your password was changed: log in with the new one.",
        "Đã đổi mật khẩu: hãy đăng nhập bằng mật khẩu mới.",
    ),
    ("Download Excel", "Tải Excel"),
    ("ID", "Mã giao dịch"),
    ("Currency", "Tiền tệ"),
    ("of a transfer of", "trong khoản chuyển"),
    ("Several orders fit as well", "Nhiều đơn hàng khớp như nhau"),
    (
        "Several orders fit as well: check the customer and the amount before choosing.",
        "Nhiều đơn hàng khớp như nhau: hãy kiểm tra khách hàng và số tiền trước khi chọn.",
    ),
    ("This order has received", "Đơn hàng này đã nhận"),
    ("Cancelling does not return it: the money stays with the shop until you refund the customer yourself.", "Hủy đơn không hoàn tiền: tiền vẫn ở cửa hàng cho tới khi bạn tự hoàn cho khách."),
    ("they add up to", "tổng các phần là"),
    ("the transfer is", "khoản chuyển là"),
    ("the storefront (API)", "cửa hàng (API)"),
    ("automatic (reconciliation)", "tự động (đối soát)"),
    ("automatic (deadline passed)", "tự động (quá hạn)"),
];
