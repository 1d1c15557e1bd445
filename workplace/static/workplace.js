// Live countdowns: every [data-deadline] shows the time left to take the lead, each second.
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function left(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h > 0 ? h + ":" + pad(m) : String(m)) + ":" + pad(sec);
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-deadline"));
      if (isNaN(due)) { return; }
      var ms = due - now;
      el.textContent = ms >= 0 ? "осталось " + left(ms) : "просрочено на " + left(ms);
      el.classList.toggle("overdue", ms < 0);
      el.classList.toggle("soon", ms >= 0 && ms < 5 * 60 * 1000);
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 1000);
})();
