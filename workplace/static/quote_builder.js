// The quote builder: Enter in a field must not save the quote half-typed (the page's
// amounts come from the server; this script does no arithmetic).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !(target instanceof HTMLInputElement)) { return; }
    if (target.form && target.form.id === "quote-form") { event.preventDefault(); }
  });
})();
