// The patient API with the device token kept on the phone. A network failure is an
// `Offline` error (the caller queues); an HTTP error carries its status and body.

const BASE = "/api/v1";

export class Offline extends Error {}

export class HttpError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export function token() {
  return localStorage.getItem("relais.token");
}

export function forget() {
  for (const k of Object.keys(localStorage)) {
    if (k.startsWith("relais.") && k !== "relais.lang") localStorage.removeItem(k);
  }
  // The service worker's copies of the day and questionnaires belong to the old token.
  if ("caches" in window) caches.delete("relais-data-v1");
}

export async function api(method, path, body) {
  if (!navigator.onLine) throw new Offline("offline");
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let resp;
  try {
    resp = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new Offline(String(e));
  }
  const text = await resp.text();
  const data = text ? JSON.parse(text) : null;
  if (resp.status === 401 && t) {
    forget();
    location.hash = "#/activate";
  }
  if (!resp.ok) throw new HttpError(resp.status, data);
  return data;
}

/// A GET whose last answer is kept on the phone, so the screen still shows offline.
export async function cachedGet(path) {
  const key = "relais.cache." + path;
  try {
    const data = await api("GET", path);
    localStorage.setItem(key, JSON.stringify(data));
    return data;
  } catch (e) {
    const kept = localStorage.getItem(key);
    if (e instanceof Offline && kept) {
      const v = JSON.parse(kept);
      if (v && typeof v === "object" && !Array.isArray(v)) v.cached = true;
      return v;
    }
    throw e;
  }
}
