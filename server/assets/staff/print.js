// Relais hand-over sheet: shows the "Imprimer" button and prints the page with it. A file of its
// own because the CSP allows no inline script; without it the browser's own print still works.
(function () {
  "use strict";
  var button = document.querySelector("button[data-print]");
  if (!button) { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
