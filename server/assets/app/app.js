// Entry point: the service worker, the header (language switch), the "waiting to send"
// banner and the screens by URL hash: #/today, #/questionnaire/ID, #/symptom,
// #activate=CODE (the QR code's link), #/activate.

import { Offline, api, token } from "./api.js";
import { renderActivate } from "./activate.js";
import { lang, setLang, t } from "./i18n.js";
import { refreshPush } from "./push.js";
import { enqueue, flush, pending } from "./queue.js";
import { relabel, renderQuestionnaire, showResult } from "./questionnaire.js";
import { renderToday } from "./today.js";
import { h } from "./ui.js";

function header() {
  const button = h(
    "button",
    {
      class: "lang",
      id: "lang",
      lang: lang() === "fr" ? "en" : "fr",
      onclick: () => switchLang(lang() === "fr" ? "en" : "fr"),
    },
    t("switch_lang"),
  );
  document.getElementById("top").replaceChildren(h("p", { class: "brand" }, t("app_name")), button);
}

/// The language switch: the phone's texts at once; the server's (questions, advice,
/// reminders) once it knows, which it is told now or, offline, when the network returns. The
/// screen is shown again in the new language with what the patient already answered.
async function switchLang(next) {
  setLang(next);
  document.documentElement.lang = next;
  header();
  banner();
  if (token()) {
    const item = { id: "locale", kind: "locale", method: "PUT", path: "/patient/locale", body: { locale: next } };
    try {
      await api("PUT", item.path, item.body);
    } catch (e) {
      if (e instanceof Offline) enqueue(item);
    }
  }
  if (!relabel()) route();
}

function banner() {
  const n = pending().length;
  const el = document.getElementById("queue-banner");
  el.hidden = n === 0;
  el.textContent = n ? t("queue_banner", { n }, n) : "";
}

function route() {
  const hash = location.hash;
  const activation = /^#activate=(.+)$/.exec(hash);
  if (activation) return renderActivate(decodeURIComponent(activation[1]));
  if (!token()) return renderActivate();
  const q = /^#\/questionnaire\/([\w-]+)$/.exec(hash);
  if (q) return renderQuestionnaire(q[1]);
  if (hash === "#/symptom") return renderQuestionnaire(null);
  if (hash === "#/activate") return renderActivate();
  return renderToday();
}

window.addEventListener("hashchange", route);
window.addEventListener("queue-changed", banner);
window.addEventListener("online", () => flush({ background: true }));
window.addEventListener("queue-sent", (ev) => {
  // A report that left the phone late still gets its answer; a red one takes the screen.
  if (!ev.detail.background) return;
  const red = ev.detail.sent.find((s) => s.item.kind === "report" && s.answer?.colour === "red");
  if (red) showResult(red.answer, red.item.why);
  else if (location.hash === "" || location.hash === "#/today") renderToday();
});
// Phones without the online event (or a flaky network) still retry now and then.
setInterval(() => {
  if (navigator.onLine && pending().length) flush({ background: true });
}, 30000);

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
  navigator.serviceWorker.addEventListener("message", (ev) => {
    if (ev.data?.type === "navigate" && typeof ev.data.url === "string") location.href = ev.data.url;
  });
}

document.documentElement.lang = lang();
header();
banner();
route();
if (navigator.onLine && pending().length) flush({ background: true });
refreshPush().catch(() => {});
