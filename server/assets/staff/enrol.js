// Enrolment form: choosing a drug fills its usual regimen (dose or steps, dose per m² or per kg,
// times, cycle) from the option's data attributes, unless the professional already typed
// something on that line. Without this file the server applies the same usual regimen to an
// empty line, and "Ajouter un médicament" reloads the form with one more line.
(function () {
  "use strict";
  var FIELDS = { dose: "data-dose", steps: "data-steps", dose_per_m2_mg: "data-per-m2", dose_per_kg_mg: "data-per-kg",
    times: "data-times", "cycle.on_days": "data-on", "cycle.off_days": "data-off", "cycle.length_days": "data-length",
    "cycle.on": "data-blocks" };
  function fill(select) {
    var opt = select.options[select.selectedIndex];
    var prefix = select.name.replace(/\.drug$/, "");
    var inputs = {};
    var typed = false;
    Object.keys(FIELDS).forEach(function (k) {
      inputs[k] = select.form.elements.namedItem(prefix + "." + k);
      if (inputs[k] && inputs[k].value !== "" && inputs[k].getAttribute("data-filled") !== "1") { typed = true; }
    });
    if (typed) { return; }
    Object.keys(FIELDS).forEach(function (k) {
      if (!inputs[k]) { return; }
      inputs[k].value = opt ? (opt.getAttribute(FIELDS[k]) || "") : "";
      inputs[k].setAttribute("data-filled", "1");
    });
  }
  // Live preview of a dose per m² (Mosteller, as the server computes it) or per kg; the server
  // rounds it to whole tablets when the form is saved and refuses it beyond 10 %.
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
      var perKg = number(form, "episode.regimen[" + i + "].dose_per_kg_mg");
      if (!out) { return; }
      if (perM2 !== null) {
        if (h === null || w === null) { out.textContent = "Taille et poids nécessaires pour calculer la dose."; return; }
        var bsa = Math.sqrt(h * w / 3600);
        out.textContent = "Surface corporelle " + fr(bsa, 2) + " m² (Mosteller) : " + fr(perM2 * bsa, 1) +
          " mg calculés, arrondis aux comprimés à l'enregistrement.";
      } else if (perKg !== null) {
        out.textContent = w === null ? "Poids nécessaire pour calculer la dose." :
          fr(perKg * w, 1) + " mg calculés pour " + fr(w, 1) + " kg, arrondis aux comprimés à l'enregistrement.";
      } else {
        out.textContent = "";
      }
    });
  }
  // One more drug line, cloned from the last one with the next index and empty values.
  function addLine(form, button) {
    var lines = form.querySelectorAll(".regimen-line");
    var last = lines[lines.length - 1];
    var from = last.getAttribute("data-line");
    var to = String(lines.length);
    var copy = last.cloneNode(true);
    var rename = function (v) { return v.replace("[" + from + "]", "[" + to + "]").replace("bsa-preview-" + from, "bsa-preview-" + to); };
    copy.setAttribute("data-line", to);
    Array.prototype.forEach.call(copy.querySelectorAll("[name],[id],[for],[aria-describedby]"), function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (a) {
        if (el.hasAttribute(a)) { el.setAttribute(a, rename(el.getAttribute(a))); }
      });
      if (el.tagName === "INPUT") { el.value = ""; el.removeAttribute("data-filled"); el.removeAttribute("aria-invalid"); }
      if (el.tagName === "SELECT") { el.selectedIndex = 0; el.removeAttribute("aria-invalid"); }
    });
    Array.prototype.forEach.call(copy.querySelectorAll(".field-error"), function (e) { e.remove(); });
    Array.prototype.forEach.call(copy.querySelectorAll(".invalid"), function (e) { e.classList.remove("invalid"); });
    var out = copy.querySelector(".bsa-preview");
    if (out) { out.textContent = ""; }
    last.parentNode.insertBefore(copy, last.nextSibling);
    var select = copy.querySelector("select.drug-picker");
    select.addEventListener("change", function () { fill(select); preview(form); });
    if (lines.length + 1 >= Number(button.getAttribute("data-max"))) { button.remove(); }
    select.focus();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("select.drug-picker") && document.querySelector("select.drug-picker").form;
    Array.prototype.forEach.call(document.querySelectorAll("select.drug-picker"), function (s) {
      s.addEventListener("change", function () { fill(s); preview(s.form); });
    });
    if (form) {
      form.addEventListener("input", function () { preview(form); });
      preview(form);
      var add = form.querySelector("button.add-line");
      if (add) {
        // A plain button with script, so that Enter in a field still enrols (the first submit
        // button of a form is the one Enter presses).
        add.type = "button";
        add.addEventListener("click", function (e) { e.preventDefault(); addLine(form, add); });
      }
    }
  });
})();
