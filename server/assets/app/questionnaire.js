// Questionnaires, one question per screen: PRO-CTCAE scales and yes/no as large choices,
// numbers with a numeric keypad, the branching the server describes (`show_if`), progress and
// back, in the server's order (red-flag questions first, each measure after its symptom).
// "I have a symptom now" first asks which symptoms (fever and "other" among them), then the
// red-flag questions, those picked, and the questions always asked. An answer that the
// server's red-flag rules (`red_rules`, delivered with the questionnaire and kept on the phone)
// make red ends the questionnaire at once: the call screen shows, online or offline, and the
// answers given so far go through the queue with their client_id, sent exactly once.

import { cachedGet } from "./api.js";
import { t } from "./i18n.js";
import { enqueue, flush } from "./queue.js";
import { h, phoneText, show, telHref } from "./ui.js";

/// Longest "other" text the server accepts (app::reports::OTHER_MAX_CHARS).
const OTHER_MAX = 1000;

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/// The questionnaire being answered (its answers, position and the symptoms picked), so that
/// the language switch can show it again in the other language without losing anything.
let live = null;
/// The result on screen (the server's answer and why), shown again on a language switch.
let shownResult = null;

export async function renderQuestionnaire(id, restore) {
  shownResult = null;
  show(h("p", {}, t("loading")));
  let q;
  try {
    q = await cachedGet(id ? `/patient/questionnaires/${id}` : "/patient/questionnaires/spontaneous");
  } catch {
    show(h("h1", {}, t("error")), h("a", { class: "big button", href: "#/today" }, t("back_today")));
    return;
  }
  // The flags that put 15 first, for a red answer that arrives later from the queue.
  const emergency = (q.red_rules || []).filter((r) => r.call_15_first).map((r) => r.flag);
  localStorage.setItem("relais.emergency_flags", JSON.stringify(emergency));
  if (q.team_phone) localStorage.setItem("relais.team_phone", q.team_phone);
  if (id) start(q.modules, id, q, undefined, restore);
  else if (restore && restore.chosen) startPicked(q, new Set(restore.chosen), restore);
  else pick(q);
}

/// The language switch: the screen shown again in the new language, with what the patient
/// already answered (a questionnaire in progress) or the result they were reading. Returns
/// false when the screen is not one of those (the caller routes as usual).
export function relabel() {
  if (document.getElementById("result") || document.getElementById("red-screen")) {
    if (!shownResult) return false;
    if (shownResult.local) showLocalRed(shownResult.rule, shownResult.why);
    else showResult(shownResult.r, shownResult.why);
    return true;
  }
  if (live && document.querySelector(".question, .choices")) {
    renderQuestionnaire(live.id, { answers: live.answers, history: live.history, pos: live.pos(), chosen: live.chosen });
    return true;
  }
  return false;
}

/// The questions once the symptoms are picked: the red-flag questions first, the picks (each
/// with its measure), "other" if picked, the rest always asked.
function startPicked(q, chosen, restore) {
  const picked = q.modules.filter((m) => chosen.has(m.key));
  const always = (q.always || []).filter((m) => !chosen.has(m.key));
  const flags = always.filter((m) => m.kind === "red_flag");
  const rest = always.filter((m) => m.kind !== "red_flag");
  const other = chosen.has("other")
    ? [{ key: "other", kind: "other", title: t("other_choice"), items: [{ key: "other", kind: "text", text: t("other_question"), help: t("other_help") }] }]
    : [];
  start([...flags, ...picked, ...other, ...rest], null, q, () => pick(q), restore, [...chosen]);
}

/// "I have a symptom now": which symptoms (toggle buttons, "other" last), then the questions:
/// the red-flag questions first, the picks (each with its measure), the rest always asked.
function pick(q) {
  live = null;
  const chosen = new Set();
  const error = h("p", { class: "notice", role: "alert" });
  const toggle = (key) => (ev) => {
    const on = !chosen.has(key);
    if (on) chosen.add(key);
    else chosen.delete(key);
    ev.currentTarget.setAttribute("aria-pressed", String(on));
  };
  const buttons = q.modules.map((m) =>
    h("button", { class: "choice toggle", "aria-pressed": "false", "data-module": m.key, onclick: toggle(m.key) }, m.title),
  );
  buttons.push(h("button", { class: "choice toggle", "aria-pressed": "false", "data-module": "other", onclick: toggle("other") }, t("other_choice")));
  const next = () => {
    if (!chosen.size) {
      error.textContent = t("pick_none");
      return;
    }
    startPicked(q, chosen);
  };
  show(
    h("h1", {}, t("pick_title")),
    h("p", {}, t("pick_intro")),
    h("div", { class: "choices" }, buttons),
    error,
    h("div", { class: "nav" }, h("a", { class: "big button secondary", href: "#/today" }, t("back")), h("button", { class: "big primary", id: "next", onclick: next }, t("next"))),
  );
}

/// The server's red-flag rule this answer meets, if any.
function redRule(q, key, value) {
  return (q.red_rules || []).find((r) => r.key === key && (r.at_least === undefined ? value === true : typeof value === "number" && value >= r.at_least));
}

function start(modules, questionnaireId, q, onBackFromFirst, restore, chosen) {
  const items = modules.flatMap((m) => m.items.map((it) => ({ ...it, module: m.title, moduleKind: m.kind })));
  const keys = new Set(items.map((i) => i.key));
  // Answers given before a language switch are kept (only those this questionnaire asks).
  const answers = {};
  for (const [k, v] of Object.entries(restore?.answers || {})) if (keys.has(k)) answers[k] = v;
  // An item whose condition names a question of this questionnaire shows only when that
  // answer is above the threshold; a condition on a question not asked here does not apply.
  const visible = (it) => !it.show_if || !keys.has(it.show_if.key) || (answers[it.show_if.key] ?? 0) > it.show_if.above;
  const history = (restore?.history || []).filter((i) => i < items.length);
  let pos = restore && restore.pos < items.length ? restore.pos : items.findIndex(visible);
  live = { id: questionnaireId, chosen: chosen || null, answers, history, pos: () => pos };

  const go = () => {
    const it = items[pos];
    const red = redRule(q, it.key, answers[it.key]);
    history.push(pos);
    // A red answer: the call screen now, the remaining questions not asked.
    if (red) return submit(questionnaireId, items.slice(0, pos + 1).filter(visible), answers, red, it.module);
    const nextPos = items.findIndex((x, i) => i > pos && visible(x));
    if (nextPos < 0) submit(questionnaireId, items.filter(visible), answers, null, null);
    else {
      pos = nextPos;
      render();
    }
  };
  const back = () => {
    if (!history.length) {
      if (onBackFromFirst) onBackFromFirst();
      else location.hash = "#/today";
      return;
    }
    pos = history.pop();
    render();
  };
  const render = () => {
    const it = items[pos];
    const shown = items.filter(visible);
    const i = shown.indexOf(it) + 1;
    const input = it.kind === "number" ? numberInput(it, answers, go) : it.kind === "text" ? textInput(it, answers, go) : choiceList(it, answers, go);
    show(
      h(
        "div",
        { class: `question kind-${it.moduleKind}`, "data-key": it.key },
        h("p", { class: "progress-text" }, t("progress", { i, n: shown.length })),
        h("progress", { max: String(shown.length), value: String(i) }),
        h("p", { class: "module" }, it.module),
        h("h1", {}, it.text),
        it.help ? h("p", { class: "help" }, it.help) : null,
        input,
        h("div", { class: "nav" }, h("button", { class: "big secondary", id: "back", onclick: back }, t("back"))),
      ),
    );
  };
  render();
}

function choiceList(it, answers, go) {
  return h(
    "div",
    { class: "choices" },
    it.choices.map((c) =>
      h(
        "button",
        {
          class: "choice",
          "data-value": String(c.value),
          "aria-pressed": String(answers[it.key] === c.value),
          onclick: () => {
            answers[it.key] = c.value;
            go();
          },
        },
        c.label,
      ),
    ),
  );
}

function numberInput(it, answers, go) {
  const input = h("input", {
    id: "number",
    type: "text",
    inputmode: it.integer ? "numeric" : "decimal",
    autocomplete: "off",
    "aria-describedby": "number-error",
    value: answers[it.key] ?? "",
  });
  const error = h("p", { class: "notice", id: "number-error", role: "alert" });
  const submit = (ev) => {
    ev.preventDefault();
    const v = Number(input.value.trim().replace(",", "."));
    const ok = input.value.trim() !== "" && Number.isFinite(v) && v >= it.min && v <= it.max && (!it.integer || Number.isInteger(v));
    if (!ok) {
      error.textContent = t("number_invalid", { min: it.min, max: it.max });
      return;
    }
    answers[it.key] = v;
    go();
  };
  return h(
    "form",
    { class: "number", onsubmit: submit },
    h("label", { for: "number" }, input, it.unit ? h("span", { class: "unit" }, ` ${it.unit}`) : null),
    error,
    h("button", { class: "big primary", id: "next", type: "submit" }, t("next")),
  );
}

/// "Other": a few sentences in the patient's words (sent as the report's `other`).
function textInput(it, answers, go) {
  const area = h("textarea", { id: "other-text", rows: "5", maxlength: String(OTHER_MAX), "aria-describedby": "other-error" });
  area.value = answers[it.key] ?? "";
  const error = h("p", { class: "notice", id: "other-error", role: "alert" });
  const submit = (ev) => {
    ev.preventDefault();
    const v = area.value.trim();
    if (!v || v.length > OTHER_MAX) {
      error.textContent = t("other_invalid", { max: OTHER_MAX });
      return;
    }
    answers[it.key] = v;
    go();
  };
  return h(
    "form",
    { class: "other", onsubmit: submit },
    h("label", { for: "other-text", class: "visually-hidden" }, it.text),
    area,
    error,
    h("button", { class: "big primary", id: "next", type: "submit" }, t("next")),
  );
}

async function submit(questionnaireId, shown, answers, red, redModule) {
  live = null;
  const kept = {};
  let other;
  for (const it of shown) {
    if (!(it.key in answers)) continue;
    if (it.kind === "text") other = answers[it.key];
    else kept[it.key] = answers[it.key];
  }
  const clientId = uuid();
  const body = { client_id: clientId, questionnaire_id: questionnaireId, answers: kept };
  if (other !== undefined) body.other = other;
  // Why the call screen shows, kept with the report for the server's answer (also when it
  // arrives later, from the queue).
  const why = red ? t("red_why", { what: redModule }) : undefined;
  enqueue({ id: clientId, kind: "report", path: "/patient/reports", body, why });
  // A red answer: the call screen at once, before (and whatever) the network says.
  if (red) showLocalRed(red, why);
  else show(h("p", {}, t("loading")));
  const sent = await flush();
  const mine = sent.find((s) => s.item.id === clientId);
  if (mine && mine.answer) showResult(mine.answer, why);
  else if (red) return; // Still offline: the call screen stays; the report waits in the queue.
  else if (mine) show(h("h1", {}, t("error")), h("a", { class: "big button", href: "#/today" }, t("back_today")));
  else showQueued();
}

/// The call screen from the phone's copy of the rules (offline, or until the server answers).
function showLocalRed(rule, why) {
  shownResult = { local: true, rule, why };
  const phone = localStorage.getItem("relais.team_phone") || "";
  redScreen({ why, text: rule.text, phone, call15First: rule.call_15_first, advice: [], local: true });
}

/// The full-screen call-now message: why, what to do (with the held drugs), the two numbers
/// (15 first for a life-threatening flag), the team's number written once, formatted.
function redScreen({ why, text, phone, call15First, advice, local }) {
  // The number is written once: on the button, unless the call text already says it.
  const digits = (s) => (s || "").replace(/\D/g, "");
  const said = phone && digits(text).includes(digits(phone).replace(/^33/, "0"));
  const label = said ? t("call_team") : `${t("call_team")} · ${phoneText(phone)}`;
  const team = phone ? h("a", { class: "big button call-team", id: "call-team", href: telHref(phone), "aria-label": `${t("call_team")} ${phone}` }, label) : null;
  const samu = h("a", { class: "big button call-15", id: "call-15", href: "tel:15" }, t("call_15"));
  show(
    h(
      "section",
      { class: "red-alert", id: "red-screen", role: "alert", "data-source": local ? "phone" : "server", "data-first": call15First ? "15" : "team" },
      h("h1", {}, t(call15First ? "result_red_15" : "result_red")),
      why ? h("p", { class: "why" }, why) : h("p", {}, t("red_intro")),
      h("p", { class: "call-text" }, text),
      call15First ? [samu, team] : [team, samu],
      advice.length ? h("ul", { class: "advice" }, advice.map((a) => h("li", { class: a.hold ? "hold" : "" }, a.text))) : null,
      local ? h("p", { class: "waiting", id: "red-waiting" }, t("red_waiting")) : null,
      h("a", { class: "button quiet", href: "#/today" }, t("back_today")),
    ),
  );
  document.body.classList.add("red-screen");
}

export function showQueued() {
  const phone = localStorage.getItem("relais.team_phone");
  show(
    h("h1", { id: "queued" }, t("queued_title")),
    h("p", { class: "waiting" }, t("queued_text")),
    phone ? h("p", {}, t("queued_safety", { phone: phoneText(phone) })) : null,
    phone ? h("a", { class: "big button call", href: telHref(phone) }, `${t("call_team")} · ${phoneText(phone)}`) : null,
    h("a", { class: "big button secondary", href: "#/today" }, t("back_today")),
  );
}

/// The server's answer: colour and advice (the held drugs first, prominent); for red, the
/// full-screen call-now message, 15 first when a life-threatening flag raised it, with `why`
/// when the phone knows which answer made it red.
export function showResult(r, why) {
  shownResult = { r, why };
  const advice = r.advice || [];
  if (r.colour === "red") {
    let emergency = [];
    try {
      emergency = JSON.parse(localStorage.getItem("relais.emergency_flags") || "[]");
    } catch {}
    const call15First = (r.red_flags || []).some((f) => emergency.includes(f.flag));
    // advice[0] is the call-now text; then one entry per held drug, then the rest.
    const rest = advice.slice(1).map((a, i) => ({ text: a.text, hold: i < (r.hold || []).length }));
    redScreen({ why: why || null, text: advice[0] ? advice[0].text : "", phone: r.contact.phone, call15First, advice: rest, local: false });
    return;
  }
  const held = advice.filter((a) => isHold(a, r));
  const others = advice.filter((a) => !isHold(a, r));
  show(
    h(
      "section",
      { class: `result result-${r.colour}`, id: "result", "data-colour": r.colour },
      h("h1", {}, t(`result_${r.colour}`)),
      held.length ? h("div", { class: "hold-box", id: "hold", role: "alert" }, held.map((a) => h("p", {}, h("strong", {}, a.text)))) : null,
      others.length ? h("ul", { class: "advice" }, others.map((a) => h("li", {}, a.text))) : null,
      h("p", {}, r.contact.text),
      h("a", { class: "big button call", href: telHref(r.contact.phone) }, `${t("call_team")} · ${phoneText(r.contact.phone)}`),
      h("a", { class: "big button secondary", href: "#/today" }, t("back_today")),
    ),
  );
}

/// On an amber report the hold entries come first, one per drug of `hold` (docs/triage.md §5).
function isHold(a, r) {
  const n = (r.hold || []).length;
  const advice = r.advice || [];
  return r.colour === "amber" && a.symptom === null && advice.indexOf(a) < n;
}
