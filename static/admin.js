// Copy buttons of the admin (the pay link, the chat message): shown only where the script
// runs; without it the text stays selectable in its box.
(function () {
  "use strict";
  function copied(button) {
    var label = button.textContent;
    button.textContent = button.getAttribute("data-done") || "✓";
    setTimeout(function () { button.textContent = label; }, 2000);
  }
  var buttons = document.querySelectorAll("button[data-copy-from]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function (event) {
      var button = event.currentTarget;
      var source = document.getElementById(button.getAttribute("data-copy-from"));
      if (!source) return;
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(source.value).then(function () { copied(button); }, function () {});
        return;
      }
      // Pages served over plain HTTP have no clipboard API: the old way.
      source.select();
      try { if (document.execCommand("copy")) copied(button); } catch (e) { /* nothing copied */ }
    });
  }
})();

// The split form's running total: what the shares add up to against the transfer, kept current
// as the admin types. It reads amounts by the rules of core/src/domain/amount_input.rs (100.000,
// 100k, 1,5tr); the server reads them again, so a share this cannot read only leaves it out.
(function () {
  "use strict";
  var sum = document.getElementById("split-sum");
  if (!sum) return;
  var transfer = Number(sum.getAttribute("data-transfer"));
  var format = new Intl.NumberFormat(document.documentElement.lang === "vi" ? "vi-VN" : "en-US");
  function read(text) {
    var t = text.replace(/\s/g, "").toLowerCase().replace(/(vnd|₫|đ|d)$/, "");
    var factor = 1;
    var unit = t.match(/^(.*?)(k|tr|m)$/);
    if (unit) { t = unit[1]; factor = unit[2] === "k" ? 1000 : 1000000; }
    if (!/^[0-9][0-9.,]*$/.test(t)) return null;
    var at = Math.max(t.lastIndexOf("."), t.lastIndexOf(","));
    var both = t.indexOf(".") >= 0 && t.indexOf(",") >= 0;
    var single = at >= 0 && t.indexOf(t.charAt(at)) === at;
    var decimal = at >= 0 && (both || (single && t.length - at - 1 !== 3));
    var whole = (decimal ? t.slice(0, at) : t).replace(/[.,]/g, "");
    var fraction = decimal ? t.slice(at + 1) : "0";
    if (!/^[0-9]+$/.test(whole) || !/^[0-9]*$/.test(fraction)) return null;
    return Math.round(Number(whole + "." + (fraction || "0")) * factor);
  }
  function update() {
    var total = 0;
    var inputs = document.querySelectorAll(".split-row input[name=amount]");
    for (var i = 0; i < inputs.length; i++) {
      var amount = read(inputs[i].value);
      if (amount !== null) total += amount;
    }
    var state = total === transfer ? "even" : total < transfer ? "short" : "over";
    var words = sum.getAttribute("data-" + state);
    document.getElementById("split-sum-value").textContent = format.format(total) + " ₫";
    document.getElementById("split-sum-diff").textContent =
      state === "even" ? words : words + " " + format.format(Math.abs(transfer - total)) + " ₫";
    sum.className = "split-sum " + state;
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches(".split-row input[name=amount]")) update();
  });
})();

// A list's whole row leads to its transfer, as its time and description do (a click on another
// link in the row, such as an order, goes there instead; selecting text goes nowhere).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("tr[data-href]");
    if (!row || event.target.closest("a, button, input, label")) return;
    if (window.getSelection && String(window.getSelection())) return;
    window.location.href = row.getAttribute("data-href");
  });
})();
