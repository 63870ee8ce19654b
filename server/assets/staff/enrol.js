// Enrolment form: choosing a drug fills its usual regimen (dose, times, cycle) from the
// option's data attributes, unless the professional already typed something on that line.
// Without this file the server applies the same usual regimen to an empty line.
(function () {
  "use strict";
  function fill(select) {
    var opt = select.options[select.selectedIndex];
    var prefix = select.name.replace(/\.drug$/, "");
    var fields = { dose: "data-dose", times: "data-times", "cycle.on_days": "data-on", "cycle.off_days": "data-off" };
    var inputs = {};
    var typed = false;
    Object.keys(fields).forEach(function (k) {
      inputs[k] = select.form.elements.namedItem(prefix + "." + k);
      if (inputs[k] && inputs[k].value !== "" && inputs[k].getAttribute("data-filled") !== "1") { typed = true; }
    });
    if (typed) { return; }
    Object.keys(fields).forEach(function (k) {
      if (!inputs[k]) { return; }
      inputs[k].value = opt ? (opt.getAttribute(fields[k]) || "") : "";
      inputs[k].setAttribute("data-filled", "1");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select.drug-picker"), function (s) {
      s.addEventListener("change", function () { fill(s); });
    });
  });
})();
