// DOM helpers: elements are built with text nodes only (no innerHTML), so nothing the server
// or the patient typed can become markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/// Replaces the screen; the first heading gets the focus so screen readers announce it.
export function show(...nodes) {
  const main = document.getElementById("main");
  main.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
  document.body.classList.remove("red-screen");
  const heading = main.querySelector("h1, h2");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
}

/// A `tel:` link for a phone number as the team wrote it.
/// A French number as a patient reads and dials it ("+33299000000" → "02 99 00 00 00"); any
/// other number as it was entered (the same rule as the server's, docs/design.md).
export function phoneText(phone) {
  const compact = String(phone || "").trim().replace(/[ .\-\u00a0]/g, "");
  const national = compact.startsWith("+33") ? "0" + compact.slice(3) : compact;
  if (!/^0[1-9]\d{8}$/.test(national)) return String(phone || "").trim();
  return national.match(/\d\d/g).join(" ");
}

export function telHref(phone) {
  return "tel:" + String(phone).replace(/[^+\d]/g, "");
}
