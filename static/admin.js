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
