// Service worker (scope /app/): keeps the app's shell for offline use, keeps the last answer
// of the patient's day and questionnaires (network first), shows push notifications and opens
// their `url` on tap, also when no page of the app is open.

const VERSION = "relais-app-v4";
const SHELL = [
  "/app/",
  "/app/style.css",
  "/app/app.js",
  "/app/api.js",
  "/app/i18n.js",
  "/app/queue.js",
  "/app/today.js",
  "/app/questionnaire.js",
  "/app/activate.js",
  "/app/push.js",
  "/app/ui.js",
  "/app/manifest.webmanifest",
  "/app/icon.svg",
  "/app/icon-192.png",
];
const DATA = "relais-data-v1";

self.addEventListener("install", (ev) => {
  ev.waitUntil(caches.open(VERSION).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== VERSION && k !== DATA).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function isData(url) {
  return url.pathname === "/api/v1/patient/today" || url.pathname.startsWith("/api/v1/patient/questionnaires/");
}

self.addEventListener("fetch", (ev) => {
  const req = ev.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (isData(url)) {
    // Network first; the last answer when offline (these answers are this phone's own).
    ev.respondWith(
      fetch(req)
        .then((resp) => {
          if (resp.ok) {
            const copy = resp.clone();
            caches.open(DATA).then((c) => c.put(req, copy));
          }
          return resp;
        })
        .catch(() => caches.open(DATA).then((c) => c.match(req)).then((r) => r || Response.error())),
    );
    return;
  }
  if (!url.pathname.startsWith("/app/")) return;
  // The shell: from the cache at once, refreshed behind for the next start.
  const key = req.mode === "navigate" ? "/app/" : req;
  ev.respondWith(
    caches.open(VERSION).then(async (cache) => {
      const cached = await cache.match(key);
      const fresh = fetch(req)
        .then((resp) => {
          if (resp.ok) cache.put(key, resp.clone());
          return resp;
        })
        .catch(() => cached || Response.error());
      if (cached) {
        ev.waitUntil(fresh.catch(() => {}));
        return cached;
      }
      return fresh;
    }),
  );
});

self.addEventListener("push", (ev) => {
  let data = {};
  try {
    data = ev.data ? ev.data.json() : {};
  } catch {
    data = { title: "Relais", body: ev.data ? ev.data.text() : "" };
  }
  ev.waitUntil(
    self.registration.showNotification(data.title || "Relais", {
      body: data.body || "",
      icon: "/app/icon-192.png",
      badge: "/app/icon-192.png",
      tag: data.id || data.type,
      data: { url: data.url || "/app/#/today", type: data.type },
    }),
  );
});

self.addEventListener("notificationclick", (ev) => {
  ev.notification.close();
  const target = new URL(ev.notification.data?.url || "/app/", self.location.origin);
  // Only the app's own pages are opened from a notification.
  const url = target.origin === self.location.origin ? target.href : new URL("/app/", self.location.origin).href;
  ev.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((wins) => {
      const win = wins.find((w) => new URL(w.url).pathname.startsWith("/app/"));
      if (win) {
        win.postMessage({ type: "navigate", url });
        return win.focus();
      }
      return self.clients.openWindow(url);
    }),
  );
});
