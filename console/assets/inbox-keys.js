// The inbox's keyboard shortcuts, on the inbox (main[data-live="inbox"])
// and a conversation's page (main[data-live^="chat:"]): j and k the next
// and previous conversation of the list, r the reply box, n the note, a
// the assignee, c closing (or reopening) the conversation, / search (from
// the view shown), ? the list of shortcuts. A shortcut never fires while a
// field has the focus (Escape leaves a text field); every one does what a
// link, a field or a button of the page does too.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var main = document.querySelector("main[data-live]");
  if (!main) {
    return;
  }
  var onChat = main.dataset.live.indexOf("chat:") === 0;
  var dialog = document.getElementById("shortcuts");
  var openButton = document.getElementById("shortcuts-open");
  var closeButton = document.getElementById("shortcuts-close");
  var canShow = dialog && typeof dialog.showModal === "function";

  function showShortcuts() {
    if (canShow && !dialog.open) {
      dialog.showModal();
    }
  }
  if (canShow) {
    if (openButton) {
      openButton.hidden = false;
      openButton.addEventListener("click", showShortcuts);
    }
    if (closeButton) {
      closeButton.addEventListener("click", function () { dialog.close(); });
    }
  }

  function inField(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function focus(id) {
    var el = document.getElementById(id);
    if (!el) {
      return false;
    }
    el.focus();
    return true;
  }

  // The list is read when a key is pressed: it may have been redrawn.
  function move(step) {
    var links = Array.prototype.slice.call(document.querySelectorAll("#chat-list a[data-chat-link]"));
    if (links.length === 0) {
      return;
    }
    var current = links.indexOf(document.activeElement);
    if (current < 0 && onChat) {
      current = links.findIndex(function (a) { return a.getAttribute("aria-current") === "page"; });
    }
    var next = current < 0 ? (step > 0 ? 0 : links.length - 1) : current + step;
    if (next < 0 || next >= links.length) {
      return;
    }
    if (onChat) {
      window.location.assign(links[next].href);
    } else {
      links[next].focus();
    }
  }

  function closeOrReopen() {
    var details = document.getElementById("close-details");
    if (details) {
      details.open = true;
      focus("close-reason");
      return;
    }
    focus("reopen-button");
  }

  // The key of the shortcut last taken: the character it would type is
  // not typed into the field it focused (a browser that types on keypress
  // despite the keydown's refusal).
  var taken = null;
  document.addEventListener("keypress", function (e) {
    if (taken !== null && e.key === taken) {
      e.preventDefault();
    }
    taken = null;
  });
  document.addEventListener("keyup", function () {
    taken = null;
  });

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || (dialog && dialog.open)) {
      return;
    }
    var target = e.target;
    if (inField(target)) {
      if (e.key === "Escape" && target.tagName !== "SELECT") {
        target.blur();
      }
      return;
    }
    switch (e.key) {
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "r":
        if (!focus("composer-text")) {
          return;
        }
        break;
      case "n":
        if (!focus("note-text")) {
          return;
        }
        break;
      case "a":
        if (!focus("assign-user")) {
          return;
        }
        break;
      case "c":
        if (!onChat) {
          return;
        }
        closeOrReopen();
        break;
      case "/":
        // The search page from the view shown, as the page's search form
        // leads to it: what it finds opens beside the view.
        var form = document.querySelector("form.inbox-search");
        window.location.assign((form && form.dataset.searchPage) || "/search");
        break;
      case "?":
        showShortcuts();
        break;
      default:
        return;
    }
    taken = e.key;
    e.preventDefault();
  });
});
