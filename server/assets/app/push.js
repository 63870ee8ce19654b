// Push reminders. Permission is asked only after the patient has confirmed a first dose, on a
// tap of theirs (browsers refuse a prompt nobody asked for, and a prompt at first load is
// mostly refused); then the phone subscribes with the server's VAPID key and registers.

import { api, token } from "./api.js";
import { t } from "./i18n.js";
import { h } from "./ui.js";

function supported() {
  return "Notification" in window && "serviceWorker" in navigator && "PushManager" in window;
}

/// On an iPhone or iPad, Safari offers Web Push only to an app added to the home screen (iOS
/// 16.4 and later): opened in the browser, the app has no PushManager and would offer nothing.
function iosInBrowser() {
  const ios = /iPhone|iPad|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  const standalone = navigator.standalone === true || window.matchMedia("(display-mode: standalone)").matches;
  return ios && !standalone;
}

/// The offer card, or null when there is nothing to ask. On an iPhone in Safari, how to add the
/// app to the home screen instead (the app opened from its icon then offers reminders: it keeps
/// its own storage, so this card's "Compris" does not silence that offer).
export function offerPush() {
  if (localStorage.getItem("relais.push_asked")) return null;
  if (iosInBrowser()) {
    const hint = h(
      "section",
      { class: "card push-offer", id: "push-ios" },
      h("p", {}, t("push_ios_home")),
      h("button", { class: "big secondary", id: "push-ios-ok", onclick: () => later(hint) }, t("push_ios_ok")),
    );
    return hint;
  }
  if (!supported() || Notification.permission !== "default") return null;
  const card = h(
    "section",
    { class: "card push-offer" },
    h("p", {}, t("push_ask")),
    h("button", { class: "big primary", id: "push-yes", onclick: () => ask(card) }, t("push_yes")),
    h("button", { class: "big secondary", id: "push-later", onclick: () => later(card) }, t("push_later")),
  );
  return card;
}

function later(card) {
  localStorage.setItem("relais.push_asked", "later");
  card.remove();
}

function b64urlToBytes(s) {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function ask(card) {
  localStorage.setItem("relais.push_asked", "yes");
  card.remove();
  if ((await Notification.requestPermission()) !== "granted") return;
  await subscribe();
}

/// Subscribes this phone and registers the subscription with the server.
export async function subscribe() {
  const reg = await navigator.serviceWorker.ready;
  const { vapid_public_key } = await api("GET", "/patient/push-key");
  let sub = await reg.pushManager.getSubscription();
  if (!sub) {
    sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64urlToBytes(vapid_public_key) });
  }
  const json = sub.toJSON();
  await api("POST", "/patient/devices", { kind: "webpush", endpoint: json.endpoint, keys: json.keys });
  localStorage.setItem("relais.push_endpoint", json.endpoint);
}

/// At start: a push service may have renewed the subscription since it was registered (and the
/// worker cannot tell the server, it has no token); register the new one, once.
export async function refreshPush() {
  if (!supported() || Notification.permission !== "granted" || !token()) return;
  const reg = await navigator.serviceWorker.ready;
  const sub = await reg.pushManager.getSubscription();
  if (sub && sub.endpoint === localStorage.getItem("relais.push_endpoint")) return;
  await subscribe();
}
