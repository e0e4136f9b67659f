// Keeps the payment page's status current by long-polling /pay/{code}/status.
(function () {
  "use strict";
  var root = document.getElementById("pay");
  if (!root) return;
  var code = root.getAttribute("data-code");
  var done = { paid: true, overpaid: true, cancelled: true, expired: true };

  function message(status) {
    var item = document.querySelector('#messages li[data-status="' + status + '"]');
    return item ? item.textContent : status;
  }

  function show(order) {
    var status = document.getElementById("status");
    status.textContent = message(order.status);
    status.className = "status " + order.status;
    root.setAttribute("data-status", order.status);
    var received = document.getElementById("received");
    if (received) received.textContent = order.display.amount_received;
    var due = document.getElementById("due");
    if (due) due.textContent = order.display.amount_due;
    if (done[order.status]) {
      var qr = document.getElementById("qr");
      if (qr) qr.remove();
    }
  }

  function poll() {
    var status = root.getAttribute("data-status");
    if (done[status]) return;
    fetch("/pay/" + encodeURIComponent(code) + "/status?wait=25", { cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (order) {
        if (order.status !== root.getAttribute("data-status")) show(order);
        poll();
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
