// The quote builder: Enter in a field must not save the quote half-typed, and a second click
// on «Сохранить КП» must not make a second quote. (The amounts come from the server; this
// script does no arithmetic.)
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !(target instanceof HTMLInputElement)) { return; }
    if (target.form && target.form.id === "quote-form") { event.preventDefault(); }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.id !== "quote-form") { return; }
    var button = event.submitter;
    // Disabled after the browser has taken the form's values, so the post still goes.
    if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
  });
})();
