// Activation: the code typed, or read from the QR code the nurse shows (it encodes
// `{public_url}/app/#activate=CODE`, so opening it also works), with the camera where the
// browser can decode QR codes (BarcodeDetector). The device token stays on the phone.

import { api, HttpError, Offline } from "./api.js";
import { setLang, t } from "./i18n.js";
import { h, show } from "./ui.js";

async function activate(code, error) {
  try {
    const r = await api("POST", "/patient/activate", { code: code.trim() });
    localStorage.setItem("relais.token", r.token);
    localStorage.setItem("relais.patient", JSON.stringify(r.patient));
    if (!localStorage.getItem("relais.lang")) setLang(r.patient.locale);
    location.hash = "#/today";
  } catch (e) {
    if (e instanceof Offline) error.textContent = t("offline_needed");
    else if (e instanceof HttpError && e.status === 429) error.textContent = t("activate_busy");
    else error.textContent = t("activate_wrong");
  }
}

function codeFromScan(text) {
  const m = /#activate=([^&]+)/.exec(text);
  return decodeURIComponent(m ? m[1] : text);
}

function scanner(onCode) {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return null;
  const video = h("video", { class: "scan", playsinline: true, muted: true, hidden: true });
  let stream = null;
  const stop = () => {
    stream?.getTracks().forEach((tr) => tr.stop());
    stream = null;
    video.hidden = true;
  };
  const button = h(
    "button",
    {
      class: "big secondary",
      id: "scan",
      type: "button",
      onclick: async () => {
        if (stream) return stop();
        const detector = new BarcodeDetector({ formats: ["qr_code"] });
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        video.srcObject = stream;
        video.hidden = false;
        await video.play();
        const look = async () => {
          if (!stream) return;
          const found = await detector.detect(video).catch(() => []);
          if (found.length) {
            stop();
            onCode(codeFromScan(found[0].rawValue));
          } else requestAnimationFrame(look);
        };
        look();
      },
    },
    t("activate_scan"),
  );
  return h("div", { class: "scanner" }, button, video);
}

export function renderActivate(code = "") {
  const input = h("input", {
    id: "code",
    name: "code",
    autocomplete: "one-time-code",
    autocapitalize: "characters",
    spellcheck: "false",
    value: code,
  });
  const error = h("p", { class: "notice", id: "code-error", role: "alert" });
  const form = h(
    "form",
    {
      class: "activate",
      onsubmit: (ev) => {
        ev.preventDefault();
        activate(input.value, error);
      },
    },
    h("label", { for: "code" }, t("activate_code")),
    input,
    error,
    h("button", { class: "big primary", id: "activate", type: "submit" }, t("activate_submit")),
  );
  show(
    h("h1", {}, t("activate_title")),
    h("p", {}, t("activate_intro")),
    form,
    scanner((c) => {
      input.value = c;
      activate(c, error);
    }),
  );
  if (code) activate(code, error);
}
