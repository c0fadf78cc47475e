// The live inbox. A page that opts in (an element, its <main>, with
// data-live="inbox" or data-live="chat:<conversation uuid>") follows the
// stream of changes of the chats its user may see (GET /inbox/events).
// On a change it shows (any, for the inbox; its conversation's, for a
// chat), and on a reset, it reads the page again and replaces the
// contents of each of its regions (an element with data-live-region and
// an id) by the same region of the page read; a region holding the focus
// is left alone until the focus leaves it. #live-status says when the
// stream is reconnecting. On a chat, it tells the server that its user
// views the conversation, or types in it, and shows who else does in the
// element with data-presence. Without JavaScript, the page is the one the
// server rendered, current when it was read.
"use strict";
(function () {
  var status = document.getElementById("live-status");
  var host = document.querySelector("[data-live]:not([data-live=''])");
  if (!status || !host || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var scope = host.getAttribute("data-live");
  var conversation = scope.indexOf("chat:") === 0 ? scope.slice(5) : "";
  var last = status.getAttribute("data-live-from") || "";
  var csrf = status.getAttribute("data-csrf") || "";

  // The stream, and its state shown in #live-status.
  var source = null;
  var backoff = 1000;
  var down = false;
  var upTimer = 0;

  function showDown() {
    if (down) {
      return;
    }
    down = true;
    clearTimeout(upTimer);
    status.className = "live-status down";
    status.textContent = "Reconnecting… what you see may be out of date.";
  }

  function showUp() {
    backoff = 1000;
    if (!down) {
      return;
    }
    down = false;
    status.className = "live-status up";
    status.textContent = "Connected again: up to date.";
    upTimer = setTimeout(function () {
      status.className = "live-status";
      status.textContent = "";
    }, 3000);
  }

  function connect() {
    if (source) {
      source.close();
    }
    source = new EventSource("/inbox/events" + (last ? "?after=" + encodeURIComponent(last) : ""));
    source.addEventListener("open", function () {
      if (down) {
        // What happened while the stream was down was replayed, or
        // a reset follows; either way the regions are read again.
        refresh();
      }
      showUp();
    });
    source.addEventListener("error", function () {
      showDown();
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (the server answered something else
        // than a stream): try again, later and later, unless the
        // session ended.
        source = null;
        setTimeout(reconnect, backoff);
        backoff = Math.min(backoff * 2, 30000);
      }
    });
    source.addEventListener("change", function (e) {
      last = e.lastEventId || last;
      var d = parse(e.data);
      if (d && (!conversation || d.conversation === conversation)) {
        refresh();
      }
    });
    source.addEventListener("reset", function (e) {
      last = e.lastEventId || last;
      refresh();
    });
    source.addEventListener("presence", function (e) {
      last = e.lastEventId || last;
      var d = parse(e.data);
      if (d && conversation && d.conversation === conversation) {
        showPresence(d.people || []);
      }
    });
  }

  function reconnect() {
    fetch(location.href, { credentials: "same-origin" }).then(function (r) {
      if (r.redirected && new URL(r.url).pathname === "/sign-in") {
        location.reload(); // the session ended: the server asks to sign in again
        return;
      }
      connect();
    }, function () {
      setTimeout(reconnect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    });
  }

  function parse(s) {
    try {
      return JSON.parse(s);
    } catch (err) {
      return null;
    }
  }

  // Refreshing the regions: one read of the page at a time, and one more
  // when changes came during it.
  var reading = false;
  var again = false;
  var skipped = false;

  function refresh() {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    again = false;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (r) {
      if (!r.ok || (r.redirected && new URL(r.url).pathname !== location.pathname)) {
        // The chat is no longer the user's, or the session ended: the
        // page as the server answers it now says so.
        location.reload();
        return null;
      }
      return r.text();
    }).then(function (html) {
      if (html !== null) {
        replaceRegions(new DOMParser().parseFromString(html, "text/html"));
      }
    }, function () {
      // The server is unreachable: the stream shows it.
    }).then(function () {
      reading = false;
      if (again) {
        refresh();
      }
    });
  }

  function replaceRegions(doc) {
    skipped = false;
    document.querySelectorAll("[data-live-region][id]").forEach(function (region) {
      var fresh = doc.getElementById(region.id);
      if (!fresh || !fresh.hasAttribute("data-live-region")) {
        return;
      }
      if (region.contains(document.activeElement)) {
        skipped = true; // read again once the focus leaves it
        return;
      }
      var nodes = [];
      fresh.childNodes.forEach(function (n) {
        nodes.push(document.importNode(n, true));
      });
      region.replaceChildren.apply(region, nodes);
    });
    if (doc.title && doc.title !== document.title) {
      document.title = doc.title;
    }
  }

  document.addEventListener("focusout", function () {
    if (skipped) {
      setTimeout(function () {
        if (skipped) {
          refresh();
        }
      }, 0);
    }
  });

  // Presence: who else views or types in this conversation.
  var presenceBox = document.querySelector("[data-presence]");
  var people = [];
  var presenceTimer = 0;

  function showPresence(list) {
    var now = Date.now();
    people = list.map(function (p) {
      return { name: p.name, viewingUntil: now + (p.viewing || 0), typingUntil: now + (p.typing || 0) };
    });
    renderPresence();
  }

  function renderPresence() {
    if (!presenceBox) {
      return;
    }
    clearTimeout(presenceTimer);
    var now = Date.now();
    var parts = [];
    var next = Infinity;
    people.forEach(function (p) {
      if (p.typingUntil > now) {
        parts.push(p.name + " is typing…");
        next = Math.min(next, p.typingUntil);
      } else if (p.viewingUntil > now) {
        parts.push(p.name + " is viewing this conversation");
        next = Math.min(next, p.viewingUntil);
      }
    });
    var text = parts.join(" · ");
    if (presenceBox.textContent !== text) {
      presenceBox.textContent = text;
    }
    if (next !== Infinity) {
      presenceTimer = setTimeout(renderPresence, next - now + 50);
    }
  }

  function tell(state) {
    var body = new URLSearchParams({ csrf: csrf, conversation: conversation, state: state });
    if (state === "left") {
      if (navigator.sendBeacon) {
        navigator.sendBeacon("/inbox/presence", body);
      }
      return;
    }
    fetch("/inbox/presence", { method: "POST", credentials: "same-origin", body: body }).catch(function () {});
  }

  function viewing() {
    if (conversation && document.visibilityState === "visible") {
      tell("viewing");
    }
  }

  if (conversation) {
    var lastTyped = 0;
    viewing();
    setInterval(viewing, 15000);
    document.addEventListener("visibilitychange", viewing);
    document.addEventListener("input", function (e) {
      // A message is typed in a textarea (or a field marked
      // data-typing), not in a search box.
      var t = e.target;
      if (!t || !(t.tagName === "TEXTAREA" || t.hasAttribute("data-typing")) || Date.now() - lastTyped < 3000) {
        return;
      }
      lastTyped = Date.now();
      tell("typing");
    });
    window.addEventListener("pagehide", function () {
      tell("left");
    });
  }

  window.addEventListener("pageshow", function (e) {
    if (e.persisted) {
      // Back from the browser's page cache: the stream was closed.
      connect();
      refresh();
      viewing();
    }
  });
  connect();
})();
