// The payment page follows its order by long-polling /pay/{code}/status: after every change
// (each transfer, partial or not, and each status) it redraws the amounts, swaps the QR for
// one of the new amount due, and drops the payment instructions once the order closes.
// Also: copy buttons and the expiry countdown. Without JS the page works as served.
(function () {
  "use strict";
  var root = document.getElementById("pay");
  if (!root) return;
  var code = root.getAttribute("data-code");
  var closed = false;

  function byId(id) { return document.getElementById(id); }
  function setText(id, text) { var el = byId(id); if (el) el.textContent = text || ""; }

  function show(order) {
    root.setAttribute("data-status", order.status);
    root.setAttribute("data-version", order.version);
    var box = byId("status-box");
    if (box) box.className = "status " + order.status;
    var status = byId("status");
    if (status) status.className = "status-text " + order.status;
    setText("status", order.display.message);
    setText("note", order.display.note);
    byId("note").hidden = !order.display.note;
    setText("amount", order.display.amount);
    setText("received", order.display.amount_received);
    setText("excess", order.display.excess);
    byId("excess-row").hidden = !order.display.excess;
    if (!order.open) {
      // Closed: the outcome only, nothing that asks for money; once paid, the way back to the
      // shop (followed by itself after 5 s, as the served page's refresh does); the contact.
      closed = true;
      var instructions = byId("instructions");
      if (instructions) instructions.remove();
      var success = byId("success");
      if (success && order.paid) {
        setText("paid-amount", order.display.amount_received);
        success.hidden = false;
      }
      var back = byId("back-to-shop");
      if (back && order.return_url) {
        back.setAttribute("href", order.return_url);
        byId("back").hidden = false;
        setTimeout(function () { window.location.assign(order.return_url); }, 5000);
      }
      var contact = byId("shop-contact");
      if (contact) contact.hidden = false;
      return;
    }
    var progress = byId("progress");
    if (progress) {
      progress.hidden = order.status !== "partially_paid";
      setText("progress-received", order.display.amount_received);
      setText("progress-amount", order.display.amount);
    }
    setText("due", order.display.amount_due);
    var copyDue = byId("copy-due");
    if (copyDue) copyDue.setAttribute("data-copy", order.amount_due);
    var img = document.querySelector("#qr img");
    if (img && order.qr_url && img.getAttribute("src") !== order.qr_url) {
      img.setAttribute("src", order.qr_url);
    }
    var links = document.querySelectorAll("a[data-app]");
    for (var i = 0; i < links.length; i++) {
      var href = order.app_links[links[i].getAttribute("data-app")];
      if (href) links[i].setAttribute("href", href);
    }
  }

  var pending = null;
  function poll(wait) {
    if (closed) return;
    var controller = window.AbortController ? new AbortController() : null;
    pending = controller;
    var url = "/pay/" + encodeURIComponent(code) + "/status?wait=" + wait +
      "&seen=" + encodeURIComponent(root.getAttribute("data-version"));
    fetch(url, { cache: "no-store", signal: controller ? controller.signal : undefined })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (order) {
        if (pending !== controller) return;
        if (order.version !== root.getAttribute("data-version")) show(order);
        poll(25);
      })
      .catch(function (e) {
        if (pending !== controller || (e && e.name === "AbortError")) return;
        setTimeout(function () { poll(25); }, 3000);
      });
  }
  // Asks at once, leaving the long poll in flight behind.
  function refresh() {
    if (pending) pending.abort();
    poll(0);
  }

  // Copy buttons: shown only where the script runs; the text stays selectable without it.
  var live = byId("copied");
  function copied(button) {
    var label = button.textContent;
    var done = live ? live.getAttribute("data-done") : "✓";
    button.textContent = done;
    button.classList.add("done");
    if (live) live.textContent = done;
    setTimeout(function () {
      button.textContent = label;
      button.classList.remove("done");
      if (live) live.textContent = "";
    }, 2000);
  }
  function copy(button) {
    var text = button.getAttribute("data-copy");
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { copied(button); }, function () {});
      return;
    }
    // Pages served over plain HTTP have no clipboard API: the old way.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "sr-only";
    document.body.appendChild(area);
    area.select();
    try { if (document.execCommand("copy")) copied(button); } catch (e) { /* nothing copied */ }
    area.remove();
  }
  var buttons = document.querySelectorAll("button.copy");
  for (var b = 0; b < buttons.length; b++) {
    buttons[b].hidden = false;
    buttons[b].addEventListener("click", function (event) { copy(event.currentTarget); });
  }

  // Countdown to expires_at; at zero the order reads as expired, so ask for it at once.
  var countdown = byId("countdown");
  var deadline = countdown ? Date.parse(countdown.getAttribute("data-expires")) : NaN;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    if (closed || !countdown.isConnected) return;
    var left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    countdown.textContent = "(" + countdown.getAttribute("data-left") + " " +
      (h > 0 ? h + ":" + pad(m) : m) + ":" + pad(s) + ")";
    if (left === 0) { refresh(); return; }
    setTimeout(tick, 1000);
  }
  if (!isNaN(deadline)) tick();

  poll(25);
})();
