//! The texts of decisions: an owner's on an order's money, and working the queue.

pub(super) const VIETNAMESE: &[(&str, &str)] = &[
    ("Decisions on the money", "Quyết định về tiền"),
    ("Accept as paid", "Chấp nhận là đã thanh toán"),
    ("Accepted as paid", "Đã chấp nhận là đã thanh toán"),
    ("Excess refunded", "Đã hoàn phần thừa"),
    ("Decision undone", "Đã hoàn tác quyết định"),
    ("Accepted short by", "Chấp nhận thiếu"),
    (
        "Accept as paid with what it received",
        "Chấp nhận là đã thanh toán với số đã nhận",
    ),
    (
        "for a discount or a bank fee. What was received does not change.",
        "khi giảm giá hoặc phí ngân hàng. Số tiền đã nhận không đổi.",
    ),
    ("e.g. bank fee, agreed discount", "ví dụ: phí ngân hàng, giảm giá đã thỏa thuận"),
    ("Yes, accept this order as paid", "Có, chấp nhận đơn này là đã thanh toán"),
    ("The customer paid too much by", "Khách đã chuyển thừa"),
    (
        "Once you have sent it back, record it here: the order keeps what it received, and its page says the excess went back.",
        "Khi đã chuyển trả khách, hãy ghi lại ở đây: đơn vẫn giữ số đã nhận, và trang đơn ghi rằng phần thừa đã được hoàn.",
    ),
    ("Note (optional)", "Ghi chú (không bắt buộc)"),
    ("e.g. sent back by transfer", "ví dụ: đã chuyển khoản trả lại"),
    ("Yes, the excess was refunded", "Có, phần thừa đã được hoàn"),
    ("Record the refund", "Ghi nhận đã hoàn tiền"),
    ("Undo this decision", "Hoàn tác quyết định này"),
    (
        "Yes, undo this decision: the order goes back exactly as it was before it.",
        "Có, hoàn tác quyết định này: đơn trở lại đúng như trước đó.",
    ),
    ("The order was accepted as paid.", "Đơn hàng đã được chấp nhận là đã thanh toán."),
    ("The excess is recorded as refunded.", "Đã ghi nhận hoàn phần tiền thừa."),
    (
        "Undone: the order is back as it was before that decision.",
        "Đã hoàn tác: đơn hàng trở lại như trước quyết định đó.",
    ),
    (
        "Nothing was changed: the order was accepted as paid or its excess recorded as refunded after this transfer. Undo that decision on the order's page first.",
        "Chưa thay đổi gì: sau khoản chuyển này, đơn đã được chấp nhận là đã thanh toán hoặc đã ghi nhận hoàn phần thừa. Hãy hoàn tác quyết định đó trên trang đơn hàng trước.",
    ),
    (
        "Nothing was changed: only an order that received part of its amount can be accepted as paid.",
        "Chưa thay đổi gì: chỉ đơn đã nhận một phần tiền mới có thể được chấp nhận là đã thanh toán.",
    ),
    (
        "Nothing was changed: only an overpaid order has an excess to refund.",
        "Chưa thay đổi gì: chỉ đơn chuyển thừa mới có phần thừa để hoàn.",
    ),
    (
        "Nothing was changed: the excess is already recorded as refunded.",
        "Chưa thay đổi gì: phần thừa đã được ghi nhận là đã hoàn.",
    ),
    (
        "Nothing was changed: write why the order is accepted (a discount, a bank fee).",
        "Chưa thay đổi gì: hãy ghi lý do chấp nhận đơn (giảm giá, phí ngân hàng).",
    ),
    (
        "There is no decision to undo on this order.",
        "Đơn hàng này không có quyết định nào để hoàn tác.",
    ),
    (
        "Nothing was changed: the order changed after that decision. Undo what came after it first.",
        "Chưa thay đổi gì: đơn đã thay đổi sau quyết định đó. Hãy hoàn tác những gì đến sau trước.",
    ),

    ("This is the next transfer waiting.", "Đây là giao dịch kế tiếp đang chờ."),
    ("See the one you just decided", "Xem giao dịch bạn vừa xử lý"),
    ("Money added to the order", "Đơn hàng nhận thêm tiền"),
    ("Money taken back from the order", "Rút lại tiền khỏi đơn hàng"),
    ("automatic (upgrade)", "tự động (nâng cấp)"),
    ("The shares add up to", "Các phần cộng lại"),
    ("exactly the transfer", "đúng bằng khoản chuyển"),
    ("still to place", "còn thiếu"),
    ("more than the transfer by", "vượt khoản chuyển"),
    ("waiting for a decision", "đang chờ xử lý"),
    ("The figures, day by day", "Số liệu từng ngày"),
    ("Day", "Ngày"),
    ("Money received", "Tiền nhận"),
    (
        "The payer is its customer, exact amount due",
        "Người chuyển là khách của đơn, đúng số tiền còn thiếu",
    ),
    ("The payer is its customer", "Người chuyển là khách của đơn"),
    ("Payer", "Người chuyển"),
    ("Matched by", "Khớp theo"),
    ("the order code in the description", "mã đơn trong nội dung"),
    (
        "the payer: the one open order's customer, due exactly this amount",
        "người chuyển: là khách của đơn mở duy nhất còn thiếu đúng số tiền này",
    ),
    ("an admin", "quản trị viên"),
    (
        "This account paid its customer before, exact amount due",
        "Tài khoản này từng trả cho khách của đơn, đúng số tiền còn thiếu",
    ),
    ("Split by an admin", "Chia thủ công cho nhiều đơn"),
];
