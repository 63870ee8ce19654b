// Enrolment form: choosing a drug fills its usual regimen (dose, times, cycle) from the
// option's data attributes, unless the professional already typed something on that line.
// Without this file the server applies the same usual regimen to an empty line.
(function () {
  "use strict";
  function fill(select) {
    var opt = select.options[select.selectedIndex];
    var prefix = select.name.replace(/\.drug$/, "");
    var fields = { dose: "data-dose", dose_per_m2_mg: "data-per-m2", times: "data-times", "cycle.on_days": "data-on",
      "cycle.off_days": "data-off", "cycle.length_days": "data-length", "cycle.on": "data-blocks" };
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
  // Live preview of a dose per m² (Mosteller, as the server computes it); the server rounds it
  // to whole tablets when the form is saved and refuses it beyond 10 %.
  function number(form, name) {
    var el = form.elements.namedItem(name);
    var v = el ? parseFloat(String(el.value).replace(",", ".")) : NaN;
    return isFinite(v) && v > 0 ? v : null;
  }
  function fr(x, decimals) {
    return x.toFixed(decimals).replace(".", ",").replace(/\B(?=(\d{3})+(?!\d))/g, " ");
  }
  function preview(form) {
    var h = number(form, "height_cm");
    var w = number(form, "episode.baseline_weight_kg");
    Array.prototype.forEach.call(form.querySelectorAll(".regimen-line"), function (line) {
      var i = line.getAttribute("data-line");
      var out = document.getElementById("bsa-preview-" + i);
      var perM2 = number(form, "episode.regimen[" + i + "].dose_per_m2_mg");
      if (!out) { return; }
      if (perM2 === null) { out.textContent = ""; return; }
      if (h === null || w === null) { out.textContent = "Taille et poids nécessaires pour calculer la dose."; return; }
      var bsa = Math.sqrt(h * w / 3600);
      out.textContent = "Surface corporelle " + fr(bsa, 2) + " m² (Mosteller) : " + fr(perM2 * bsa, 1) +
        " mg calculés, arrondis aux comprimés à l'enregistrement.";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("select.drug-picker") && document.querySelector("select.drug-picker").form;
    Array.prototype.forEach.call(document.querySelectorAll("select.drug-picker"), function (s) {
      s.addEventListener("change", function () { fill(s); preview(s.form); });
    });
    if (form) {
      form.addEventListener("input", function () { preview(form); });
      preview(form);
    }
  });
})();
