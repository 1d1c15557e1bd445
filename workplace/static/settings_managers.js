// Настройки → Менеджеры: «Копировать» puts a secret shown once on the clipboard.
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-copy]") : null;
  if (!button || !navigator.clipboard) { return; }
  navigator.clipboard.writeText(button.getAttribute("data-copy")).then(
    () => { button.textContent = "Скопировано"; },
    () => { button.textContent = "Выделите и скопируйте"; },
  );
});
