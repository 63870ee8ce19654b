// "Today": the doses of the day with one big button per outcome, the next dose, the cycle
// day, the questionnaire waiting, "I have a symptom now" and the team's number.

import { Offline, api, cachedGet } from "./api.js";
import { lang, t } from "./i18n.js";
import { enqueue, flush, pending } from "./queue.js";
import { offerPush } from "./push.js";
import { h, phoneText, show, telHref } from "./ui.js";

export function patient() {
  try {
    return JSON.parse(localStorage.getItem("relais.patient") || "{}");
  } catch {
    return {};
  }
}

function cycleText(c) {
  c = { ...c, drug: c.drug_name || c.drug };
  if (c.blocks && c.blocks.length) return blocksText(c);
  if (c.on) return t("cycle_on", { drug: c.drug, day: c.day, on: c.on_days, off: c.off_days });
  return t("cycle_off", { drug: c.drug, day: c.day - c.on_days, off: c.off_days, left: c.length - c.day + 1 });
}

/// A cycle of several blocks of on-days (e.g. days 1-5 and 8-12 of 28), in words: which
/// period of intake the day is in and until when, or when the next one starts.
function blocksText(c) {
  const n = c.blocks.length;
  const i = c.blocks.findIndex(([from, to]) => c.day >= from && c.day <= to);
  if (i >= 0) return t("cycle_block_on", { drug: c.drug, day: c.day, length: c.length, n: i + 1, count: n, to: c.blocks[i][1] });
  const next = c.blocks.find(([from]) => from > c.day);
  const left = next ? next[0] - c.day : c.length - c.day + c.blocks[0][0];
  return t("cycle_block_off", { drug: c.drug, day: c.day, length: c.length, left }, left);
}

/// An instant as the patient's local time ("19:00"), in the patient's time zone.
function clock(iso) {
  const opts = { hour: "2-digit", minute: "2-digit" };
  const zone = patient().time_zone;
  try {
    return new Date(iso).toLocaleTimeString(lang(), zone ? { ...opts, timeZone: zone } : opts);
  } catch {
    return new Date(iso).toLocaleTimeString(lang(), opts);
  }
}

function doseCard(d, queued) {
  const waiting = queued.find((q) => q.dose_id === d.id);
  const status = waiting ? waiting.status : d.status;
  const open = !waiting && (d.status === "pending" || d.status === "missed");
  const now = serverNow().getTime();
  // A dose is confirmed from a set time before it (the server refuses earlier taps).
  const early = open && d.confirm_from && Date.parse(d.confirm_from) > now;
  const buttons =
    open && !early
      ? h(
          "div",
          { class: "dose-actions" },
          ["taken", "skipped", "vomited"].map((s) =>
            h("button", { class: `big dose-${s}`, "data-dose": d.id, "data-status": s, onclick: () => confirm(d, s) }, t(`dose_${s}`)),
          ),
        )
      : null;
  // A wrong button can be undone for a few minutes.
  const undoable = !waiting && d.undo_until && Date.parse(d.undo_until) > now;
  return h(
    "li",
    { class: `dose status-${status}`, "data-dose-card": d.id },
    h("p", { class: "dose-what" }, h("strong", {}, d.time), ` — ${d.drug_name || d.drug} ${d.dose}`),
    h(
      "p",
      { class: "dose-status" },
      t(`status_${status}`),
      waiting ? h("span", { class: "waiting" }, ` · ${t("waiting_to_send")}`) : null,
    ),
    early ? h("p", { class: "dose-from" }, t("dose_from", { time: clock(d.confirm_from) })) : null,
    status === "vomited" ? h("p", { class: "advice dose-vomited-advice", role: "note" }, t("vomited_advice")) : null,
    buttons,
    undoable
      ? h("button", { class: "dose-undo", "data-undo": d.id, onclick: () => undo(d) }, t("dose_undo", { time: clock(d.undo_until) }))
      : null,
  );
}

/// The last red or amber report, shown on top until someone of the team has acknowledged it:
/// what to do stays in front of the patient (and survives closing the result screen).
function lastResultCard(last) {
  const r = last.result;
  const red = r.colour === "red";
  const advice = r.advice || [];
  const n = (r.hold || []).length;
  // The held drugs' texts: after the call-now text on red, first on amber.
  const held = red ? advice.slice(1, 1 + n) : advice.slice(0, n);
  const phone = r.contact && r.contact.phone;
  return h(
    "section",
    { class: `card last-result result-${r.colour}`, id: "last-result", role: red ? "alert" : "status", "data-colour": r.colour },
    h("h2", {}, t(red ? "last_result_red" : "last_result_amber", { time: clock(last.submitted_at) })),
    h("p", {}, red ? (advice[0] ? advice[0].text : "") : r.contact.text),
    held.length ? h("div", { class: "hold-box" }, held.map((a) => h("p", {}, h("strong", {}, a.text)))) : null,
    phone ? h("a", { class: "big button call", href: telHref(phone) }, `${t("call_team")} · ${phoneText(phone)}`) : null,
    red ? h("a", { class: "big button call-15", href: "tel:15" }, t("call_15")) : null,
  );
}

async function undo(dose) {
  try {
    await api("POST", `/patient/doses/${dose.id}/undo`, {});
  } catch (e) {
    alert(e instanceof Offline ? t("offline_needed") : t("undo_too_late"));
  }
  await renderToday();
}

/// Now on the server's clock: the phone's own clock may be wrong, and the server refuses a
/// confirmation dated in its future.
function serverNow() {
  const skew = Number(localStorage.getItem("relais.clock_skew") || "0");
  return new Date(Date.now() + skew);
}

async function confirm(dose, status) {
  // The instant of the tap identifies this confirmation if it has to be sent again.
  enqueue({
    id: `dose:${dose.id}`,
    kind: "dose",
    dose_id: dose.id,
    status,
    path: `/patient/doses/${dose.id}`,
    body: { status, at: serverNow().toISOString() },
  });
  await flush();
  await renderToday({ afterDose: true });
}

export async function renderToday({ afterDose = false } = {}) {
  let day;
  try {
    day = await cachedGet("/patient/today");
  } catch {
    show(h("h1", {}, t("today_title")), h("p", { class: "notice" }, t("error")));
    return;
  }
  localStorage.setItem("relais.team_phone", day.team_phone || "");
  if (!day.cached && day.now) localStorage.setItem("relais.clock_skew", String(Date.parse(day.now) - Date.now()));
  const queued = pending().filter((q) => q.kind === "dose");
  const me = patient();
  const next = day.next_dose;
  const nodes = [
    h("h1", {}, me.given_name ? t("hello", { name: me.given_name }) : t("today_title")),
    day.last_result ? lastResultCard(day.last_result) : null,
    day.cycles.map((c) => h("p", { class: "cycle" }, cycleText(c))),
    next ? h("p", { class: "next-dose" }, t("next_dose", { time: next.time, drug: next.drug_name || next.drug, dose: next.dose })) : null,
    day.doses.length
      ? h("ul", { class: "doses" }, day.doses.map((d) => doseCard(d, queued)))
      : h("p", {}, t("no_dose_today")),
  ];
  if (afterDose) {
    const offer = offerPush();
    if (offer) nodes.splice(1, 0, offer);
  }
  for (const q of day.pending_questionnaires) {
    nodes.push(
      h(
        "section",
        { class: "card questionnaire-due" },
        h("p", {}, t("questionnaire_due")),
        h("a", { class: "big button primary", href: `#/questionnaire/${q.id}` }, t("answer_now")),
      ),
    );
  }
  nodes.push(h("a", { class: "big button symptom", href: "#/symptom", id: "symptom-now" }, t("symptom_now")));
  if (day.team_phone) nodes.push(h("a", { class: "big button call", href: telHref(day.team_phone) }, `${t("call_team")} · ${phoneText(day.team_phone)}`));
  show(...nodes);
  // Keep what the phone needs offline: the waiting questionnaires and "I have a symptom now".
  if (navigator.onLine) {
    for (const q of day.pending_questionnaires) cachedGet(`/patient/questionnaires/${q.id}`).catch(() => {});
    cachedGet("/patient/questionnaires/spontaneous").catch(() => {});
  }
}
