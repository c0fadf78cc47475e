// The composer of a conversation's page. A template's preview follows its
// values as they are typed (without JavaScript, Preview shows it), and a
// form is sent once: a second click while the page loads does nothing (the
// server sends a form once anyway, by the key it carries; this spares a
// file's second upload).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[data-slot]").forEach(function (input) {
    input.addEventListener("input", function () {
      var filled = input.value.trim() !== "";
      input.form.querySelectorAll('mark[data-slot="' + input.dataset.slot + '"]').forEach(function (mark) {
        mark.textContent = filled ? input.value : mark.dataset.placeholder;
        mark.classList.toggle("missing", !filled);
      });
    });
  });
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sending) {
        event.preventDefault();
        return;
      }
      form.dataset.sending = "yes";
    });
  });
  // A page shown again from the history may be sent again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("form[data-sending]").forEach(function (form) {
        delete form.dataset.sending;
      });
    }
  });
});
