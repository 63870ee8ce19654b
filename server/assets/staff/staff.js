// Relais staff pages: small progressive enhancements. Every page works without this file.
//
// Auto-refresh: an element with data-refresh-url is replaced every data-refresh-seconds by the
// HTML fragment at that address; a data-title attribute on the fragment's root becomes the
// page title (the worklist's "(2) Alertes — Relais"). A failed poll leaves the page as it was.
(function () {
  "use strict";
  function poll(el) {
    var url = el.getAttribute("data-refresh-url");
    var seconds = parseInt(el.getAttribute("data-refresh-seconds") || "20", 10);
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          if (r.redirected || r.status === 401) { window.location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (html === null) { return; }
          var tpl = document.createElement("template");
          tpl.innerHTML = html;
          var fresh = tpl.content.firstElementChild;
          if (!fresh) { return; }
          var title = fresh.getAttribute("data-title");
          if (title) { document.title = title; }
          el.replaceChildren.apply(el, Array.prototype.slice.call(fresh.childNodes));
        })
        .catch(function () { /* offline or server restarting: try again next time */ })
        .then(function () { window.setTimeout(tick, seconds * 1000); });
    }
    window.setTimeout(tick, seconds * 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-refresh-url]"), poll);
  });
})();
