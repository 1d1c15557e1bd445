// Сделки: drag a card to another column to move the deal. The server runs the pipeline's
// rules; a refused move snaps the card back with the rule's message and, where something
// can be filled in (a field, the lost reason, a next task), a small form to retry with it.
(function () {
  "use strict";
  var board, notice, form, pending = null;

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function say(text, ok) {
    notice.textContent = text;
    notice.className = "notice board-notice " + (ok ? "ok" : "error");
    notice.hidden = false;
  }

  function bind() {
    board.querySelectorAll(".deal-list").forEach(function (list) {
      window.Sortable.create(list, {
        group: "deals",
        animation: 120,
        forceFallback: true, // mouse and touch events, the same on every browser
        fallbackTolerance: 4,
        delay: 150,
        delayOnTouchOnly: true,
        filter: "button, select, input",
        preventOnFilter: false,
        onEnd: dropped
      });
    });
  }

  function dropped(evt) {
    if (evt.from === evt.to) { return; }
    var column = evt.to.closest(".board-col");
    pending = {
      item: evt.item, from: evt.from, index: evt.oldIndex, id: evt.item.getAttribute("data-id"),
      stage: evt.to.getAttribute("data-stage"), stageName: column ? column.getAttribute("data-name") : ""
    };
    hideForm();
    send({});
  }

  function snapBack() {
    if (!pending) { return; }
    var item = pending.item;
    item.classList.remove("moving");
    pending.from.insertBefore(item, pending.from.children[pending.index] || null);
  }

  function send(extra) {
    var body = new URLSearchParams({ stage: pending.stage });
    Object.keys(extra).forEach(function (k) { body.append(k, extra[k]); });
    pending.item.classList.add("moving");
    fetch("/deals/" + encodeURIComponent(pending.id) + "/move", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf(), "Accept": "application/json" },
      body: body
    }).then(function (r) {
      if (r.status === 403) { // a refused CSRF token: the server says why, in Russian
        return r.text().then(function (text) {
          var p = new DOMParser().parseFromString(text, "text/html").querySelector("p");
          return { ok: false, message: p ? p.textContent : text, fill: [] };
        });
      }
      return r.json();
    }).then(answer).catch(function () {
      snapBack();
      say("Сделка не перемещена: нет связи с сервером или вход истёк. Обновите страницу.", false);
    });
  }

  function answer(a) {
    if (a.ok) {
      board.innerHTML = a.board;
      bind();
      hideForm();
      pending = null;
      say(a.message, true);
      return;
    }
    snapBack();
    if (a.board) { board.innerHTML = a.board; bind(); } // it was stale: now as it is
    say(a.message, false);
    if (a.fill && a.fill.length) { showForm(a.fill); }
  }

  function showForm(fill) {
    form.querySelector(".move-form-title").textContent =
      "Перевод на этап «" + pending.stageName + "»: заполните и повторите";
    form.querySelectorAll("label[data-for]").forEach(function (label) {
      label.hidden = fill.indexOf(label.getAttribute("data-for")) < 0;
    });
    var extra = form.querySelector(".extra-fields");
    extra.textContent = "";
    fill.forEach(function (name) {
      if (["reason", "amount", "task"].indexOf(name) >= 0) { return; }
      var label = document.createElement("label");
      label.textContent = name + " ";
      var input = document.createElement("input");
      input.name = "field_" + name;
      label.appendChild(input);
      extra.appendChild(label);
    });
    var due = form.querySelector('input[name="task_due"]');
    if (!due.value) {
      var d = new Date();
      due.value = d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" +
        String(d.getDate()).padStart(2, "0");
    }
    form.hidden = false;
    var first = form.querySelector("label:not([hidden]) input, label:not([hidden]) select");
    if (first) { first.focus(); }
  }

  function hideForm() { form.hidden = true; }

  function retry(e) {
    e.preventDefault();
    if (!pending) { hideForm(); return; }
    var extra = {};
    form.querySelectorAll("label:not([hidden]) input, label:not([hidden]) select").forEach(
      function (input) { if (input.value) { extra[input.name] = input.value; } }
    );
    var target = board.querySelector('.deal-list[data-stage="' + pending.stage + '"]');
    if (target) { target.appendChild(pending.item); }
    send(extra);
  }

  function init() {
    board = document.getElementById("board");
    if (!board || !window.Sortable) { return; }
    notice = document.getElementById("board-notice");
    form = document.getElementById("move-form");
    form.addEventListener("submit", retry);
    form.querySelector(".cancel").addEventListener("click", function () {
      hideForm();
      pending = null;
    });
    bind();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
