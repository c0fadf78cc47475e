// Refreshing a page until what it waits for has come: a page that shows
// something still to come (a webhook event not attempted yet) marks it
// with data-refresh and loads this script, which fetches the page again
// every second, 30 times at most. Once the page fetched no longer has a
// data-refresh element, each element of this page marked
// data-refresh-part takes the content of the fetched page's element of
// the same id, and the script stops. Without JavaScript, or after those
// 30 seconds, the page's own link reloads it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var waiting = document.querySelector("[data-refresh]");
  if (!waiting || !window.fetch || !window.DOMParser) {
    return;
  }
  var every = 1000;
  var left = 30;
  function poll() {
    if (left-- <= 0) {
      return;
    }
    // A redirect (a session that ended) or an error stops the refresh.
    fetch(window.location.href, {credentials: "same-origin", cache: "no-store", redirect: "error"}).then(function (answer) {
      if (!answer.ok) {
        throw new Error("status " + answer.status);
      }
      return answer.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      if (fresh.querySelector("[data-refresh]")) {
        window.setTimeout(poll, every);
        return;
      }
      document.querySelectorAll("[data-refresh-part]").forEach(function (part) {
        var next = fresh.getElementById(part.id);
        if (next) {
          part.replaceChildren.apply(part, Array.from(next.childNodes));
        }
      });
    }).catch(function () {});
  }
  window.setTimeout(poll, every);
});
