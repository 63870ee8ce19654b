// Answers and dose confirmations made without network wait here (localStorage, so they
// survive closing the app) with the id that makes their sending idempotent: the report's
// `client_id`, the dose's id and the instant of the tap. They go in order when the network
// returns; the server answers a repeat as the first time, so a retry never counts twice.

import { api, HttpError, Offline } from "./api.js";

const KEY = "relais.queue";
let flushing = null;

export function pending() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "[]");
  } catch {
    return [];
  }
}

function save(items) {
  localStorage.setItem(KEY, JSON.stringify(items));
  window.dispatchEvent(new CustomEvent("queue-changed", { detail: items.length }));
}

/// Queues a request (a POST unless `method` says otherwise); `id` is unique per action (a
/// report's client_id, `dose:ID`, `locale`): a newer one with the same id replaces it.
export function enqueue(item) {
  const items = pending().filter((i) => i.id !== item.id);
  items.push(item);
  save(items);
}

/// Sends what waits, oldest first; stops at the first network failure. Resolves to the
/// answers of what went out. `background`: not sent from the screen the patient is acting on
/// (network back, timer), so the app tells the patient what went.
export function flush({ background = false } = {}) {
  // One sender at a time; a flush asked meanwhile runs after it (it may have new items).
  const run = (flushing || Promise.resolve()).then(() => doFlush(background));
  const tail = run.catch(() => {});
  flushing = tail;
  tail.then(() => {
    if (flushing === tail) flushing = null;
  });
  return run;
}

async function doFlush(background) {
  const sent = [];
  for (const item of pending()) {
    try {
      const answer = await api(item.method || "POST", item.path, item.body);
      sent.push({ item, answer });
    } catch (e) {
      if (e instanceof Offline) break;
      // 5xx: the server may be restarting; keep it for the next try.
      if (!(e instanceof HttpError) || e.status >= 500 || e.status === 429 || e.status === 401) break;
      // Any other refusal (a dose confirmed meanwhile from another phone) cannot succeed later.
      sent.push({ item, answer: null, refused: e.status });
    }
    save(pending().filter((i) => i.id !== item.id));
  }
  if (sent.length) window.dispatchEvent(new CustomEvent("queue-sent", { detail: { sent, background } }));
  return sent;
}
