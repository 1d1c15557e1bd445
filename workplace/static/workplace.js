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

// Plain forms that destroy or join something ask first: <form data-confirm="…"> (the page's
// CSP allows no inline handlers; htmx forms use hx-confirm instead).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) { return; }
    if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
  });
})();

// Live: one EventSource per signed-in page (the session cookie signs it in; the browser
// reconnects by itself and sends Last-Event-ID, so missed events come first).
// Входящие re-reads its list when a lead arrives or leaves; any page shows the
// "Звонит клиент" card while a client calls, and a small toast for a new lead elsewhere.
(function () {
  "use strict";
  var LIST_KINDS = ["lead_assigned", "lead_handed_over", "repeat_request", "lead_updated"];
  var NEW_LEAD_KINDS = ["lead_assigned", "lead_handed_over", "repeat_request"];
  var CALL_SHOWN_MS = 2 * 60 * 1000;
  var TOAST_SHOWN_MS = 10 * 1000;
  var DEBOUNCE_MS = 250;
  var refreshTimer = null;

  function parse(event) {
    try { return JSON.parse(event.data) || {}; } catch (e) { return {}; }
  }

  function liveList() { return document.querySelector("[data-live-list]"); }

  function scheduleRefresh() {
    if (!liveList()) { return; }
    if (refreshTimer) { clearTimeout(refreshTimer); }
    refreshTimer = setTimeout(function () { refreshTimer = null; refreshList(); }, DEBOUNCE_MS);
  }

  function refreshList() {
    var box = liveList();
    if (!box) { return; }
    fetch(box.getAttribute("data-live-list"), {
      credentials: "same-origin",
      headers: { "HX-Request": "true" }
    }).then(function (response) {
      var away = response.headers.get("HX-Redirect");
      if (away) { window.location.href = away; return null; }
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html) { merge(box, html); }
    }).catch(function () { /* the next event or reconnect tries again */ });
  }

  // A row the viewer has just acted on keeps its message until they leave the page.
  function kept(row) {
    return row.classList.contains("gone") || row.querySelector(".notice") !== null;
  }

  function activate(node) {
    if (window.htmx) { window.htmx.process(node); }
  }

  // New rows go in at their place, gone rows leave, rows that changed hands are replaced;
  // the rest stay as they are (an open form, a countdown), so nothing jumps needlessly.
  function merge(box, html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var fresh = holder.content.querySelector("[data-live-list]");
    if (!fresh) { return; }
    var count = document.getElementById("triage-count");
    if (count) {
      var n = fresh.getAttribute("data-count") || "0";
      count.textContent = n;
      count.hidden = n === "0";
    }
    var list = box.querySelector(".lead-list");
    var freshList = fresh.querySelector(".lead-list");
    var freshRows = freshList ? Array.prototype.slice.call(freshList.querySelectorAll(".lead-row")) : [];
    if (!list) {
      if (freshList) { box.replaceWith(fresh); activate(fresh); }
      return;
    }
    var wanted = {};
    freshRows.forEach(function (row) { wanted[row.id] = row; });
    list.querySelectorAll(".lead-row").forEach(function (row) {
      var other = wanted[row.id];
      if (!other) {
        if (!kept(row)) { row.remove(); }
      } else if (!kept(row) && !row.querySelector("details[open]") &&
                 other.getAttribute("data-assignee") !== row.getAttribute("data-assignee")) {
        var replaced = document.importNode(other, true);
        row.replaceWith(replaced);
        activate(replaced);
      }
    });
    freshRows.forEach(function (row, i) {
      if (document.getElementById(row.id)) { return; }
      var next = null;
      for (var j = i + 1; j < freshRows.length && !next; j++) {
        next = list.querySelector("#" + freshRows[j].id);
      }
      var node = document.importNode(row, true);
      node.classList.add("live-new");
      list.insertBefore(node, next);
      activate(node);
    });
    if (!list.querySelector(".lead-row")) { box.replaceWith(fresh); activate(fresh); }
    document.dispatchEvent(new CustomEvent("leads-changed"));
  }

  function stack() { return document.getElementById("live-stack"); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function closeButton(card) {
    var button = el("button", "live-close", "×");
    button.type = "button";
    button.setAttribute("aria-label", "Закрыть");
    button.addEventListener("click", function () { card.remove(); });
    return button;
  }

  // The page of the record an event is about (relative: the same site, whatever the host).
  function recordLink(data) {
    if (typeof data.deal_id === "number") {
      return { href: "/deals/" + data.deal_id, label: "Открыть сделку №" + data.deal_id };
    }
    if (typeof data.lead_id === "number") {
      return { href: "/leads/" + data.lead_id, label: "Открыть заявку №" + data.lead_id };
    }
    if (typeof data.contact_id === "number") {
      return { href: "/clients/contacts/" + data.contact_id, label: "Открыть клиента" };
    }
    return null;
  }

  function callKey(data) {
    if (typeof data.deal_id === "number") { return "deal-" + data.deal_id; }
    if (typeof data.lead_id === "number") { return "lead-" + data.lead_id; }
    return "call";
  }

  // "79161234567" → "+7 916 123-45-67"; other numbers as they came.
  function phone(value) {
    var digits = value.replace(/\D/g, "");
    if (digits.length === 11 && (digits[0] === "7" || digits[0] === "8")) {
      return "+7 " + digits.slice(1, 4) + " " + digits.slice(4, 7) + "-" +
        digits.slice(7, 9) + "-" + digits.slice(9);
    }
    return value;
  }

  // The rendered text's lines after its title: the caller's number and the line called.
  function details(data) {
    var lines = String(data.text || "").split("\n").slice(1);
    var shown = [];
    lines.forEach(function (line) {
      var parts = line.split(": ");
      if (parts.length < 2) { return; }
      var label = parts[0], value = parts.slice(1).join(": ");
      if (label === "Канал") { return; }
      if (label === "Телефон") { shown.push("Телефон: " + phone(value)); }
      else if (label === "Источник") { shown.push("Линия: " + phone(value)); }
      else { shown.push(line); }
    });
    return shown;
  }

  function recordName(data) {
    if (typeof data.deal_id === "number") { return "Сделка №" + data.deal_id; }
    if (typeof data.lead_id === "number") { return "Заявка №" + data.lead_id; }
    return "";
  }

  function showCall(data) {
    var box = stack();
    if (!box) { return; }
    var key = callKey(data);
    var old = box.querySelector('.call-card[data-call="' + key + '"]');
    if (old) { old.remove(); }
    var card = el("aside", "live-card call-card");
    card.setAttribute("role", "alert");
    card.setAttribute("data-call", key);
    card.appendChild(closeButton(card));
    card.appendChild(el("strong", "live-title", "Звонит клиент"));
    var what = recordName(data);
    if (what) { card.appendChild(el("div", "live-what", what)); }
    details(data).forEach(function (line) { card.appendChild(el("div", "live-line", line)); });
    var link = recordLink(data);
    if (link) {
      var a = el("a", "live-link", link.label);
      a.href = link.href;
      card.appendChild(a);
    }
    box.insertBefore(card, box.firstChild);
    setTimeout(function () { card.remove(); }, CALL_SHOWN_MS);
  }

  function endCall(data) {
    var box = stack();
    var card = box && box.querySelector('.call-card[data-call="' + callKey(data) + '"]');
    if (card) { card.remove(); }
  }

  function showToast(data) {
    var box = stack();
    if (!box) { return; }
    var toast = el("div", "live-card live-toast");
    toast.setAttribute("role", "status");
    toast.appendChild(closeButton(toast));
    toast.appendChild(el("strong", "live-title", "Новая заявка"));
    if (data.title) { toast.appendChild(el("div", "live-what", String(data.title))); }
    var link = recordLink(data);
    if (link) {
      var a = el("a", "live-link", link.label);
      a.href = link.href;
      toast.appendChild(a);
    }
    box.appendChild(toast);
    setTimeout(function () { toast.remove(); }, TOAST_SHOWN_MS);
  }

  function start() {
    var meta = document.querySelector('meta[name="live-events"]');
    if (!meta || !window.EventSource) { return; }
    var source = new EventSource(meta.getAttribute("content"));
    var opened = false;
    source.addEventListener("open", function () {
      // After a reconnect the list may have missed more than the replay carries.
      if (opened) { scheduleRefresh(); }
      opened = true;
    });
    LIST_KINDS.forEach(function (kind) {
      source.addEventListener(kind, function (event) {
        var data = parse(event);
        if (liveList()) {
          scheduleRefresh();
        } else if (NEW_LEAD_KINDS.indexOf(kind) >= 0) {
          showToast(data);
        }
      });
    });
    source.addEventListener("incoming_call", function (event) { showCall(parse(event)); });
    // The call's record in the timeline: the phone has stopped ringing.
    source.addEventListener("client_called", function (event) { endCall(parse(event)); });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// Copy buttons: <button data-copy="#id"> copies the text of the element it names,
// <button data-copy="text"> the text itself (the clipboard API needs a secure context;
// elsewhere the named element's text is selected for Ctrl+C).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var wanted = button.getAttribute("data-copy") || "";
    var source = null;
    if (wanted.charAt(0) === "#") {
      try { source = document.querySelector(wanted); } catch (e) { source = null; }
    }
    var text = source ? source.textContent : wanted;
    if (!text) { return; }
    var label = button.textContent;
    function done(message) {
      button.textContent = message;
      setTimeout(function () { button.textContent = label; }, 2000);
    }
    function select() {
      if (!source) { done("Не удалось скопировать"); return; }
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      done("Выделено: нажмите Ctrl+C");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done("Скопировано"); }, select);
    } else {
      select();
    }
  });
})();
