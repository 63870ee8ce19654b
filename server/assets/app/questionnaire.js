// Questionnaires, one question per screen: PRO-CTCAE scales and yes/no as large choices,
// numbers with a numeric keypad, the branching the server describes (`show_if`), progress and
// back. "I have a symptom now" first asks which symptoms, then those plus the questions always
// asked (temperature, red flags). Answers go through the queue with their client_id.

import { cachedGet } from "./api.js";
import { t } from "./i18n.js";
import { enqueue, flush } from "./queue.js";
import { h, show, telHref } from "./ui.js";

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export async function renderQuestionnaire(id) {
  show(h("p", {}, t("loading")));
  let q;
  try {
    q = await cachedGet(id ? `/patient/questionnaires/${id}` : "/patient/questionnaires/spontaneous");
  } catch {
    show(h("h1", {}, t("error")), h("a", { class: "big button", href: "#/today" }, t("back_today")));
    return;
  }
  if (id) start(q.modules, id);
  else pick(q);
}

/// "I have a symptom now": which symptoms (toggle buttons), then the questions.
function pick(q) {
  const chosen = new Set();
  const error = h("p", { class: "notice", role: "alert" });
  const buttons = q.modules.map((m) =>
    h(
      "button",
      {
        class: "choice toggle",
        "aria-pressed": "false",
        "data-module": m.key,
        onclick: (ev) => {
          const on = !chosen.has(m.key);
          if (on) chosen.add(m.key);
          else chosen.delete(m.key);
          ev.currentTarget.setAttribute("aria-pressed", String(on));
        },
      },
      m.title,
    ),
  );
  const next = () => {
    if (!chosen.size) {
      error.textContent = t("pick_none");
      return;
    }
    const picked = q.modules.filter((m) => chosen.has(m.key));
    const always = (q.always || []).filter((m) => !chosen.has(m.key));
    start([...picked, ...always], null, () => pick(q));
  };
  show(
    h("h1", {}, t("pick_title")),
    h("p", {}, t("pick_intro")),
    h("div", { class: "choices" }, buttons),
    error,
    h("div", { class: "nav" }, h("a", { class: "big button secondary", href: "#/today" }, t("back")), h("button", { class: "big primary", id: "next", onclick: next }, t("next"))),
  );
}

function start(modules, questionnaireId, onBackFromFirst) {
  const items = modules.flatMap((m) => m.items.map((it) => ({ ...it, module: m.title, moduleKind: m.kind })));
  const keys = new Set(items.map((i) => i.key));
  const answers = {};
  // An item whose condition names a question of this questionnaire shows only when that
  // answer is above the threshold; a condition on a question not asked here does not apply.
  const visible = (it) => !it.show_if || !keys.has(it.show_if.key) || (answers[it.show_if.key] ?? 0) > it.show_if.above;
  const history = [];
  let pos = items.findIndex(visible);

  const go = () => {
    const nextPos = items.findIndex((it, i) => i > pos && visible(it));
    history.push(pos);
    if (nextPos < 0) submit(questionnaireId, items.filter(visible), answers);
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
    show(
      h(
        "div",
        { class: `question kind-${it.moduleKind}`, "data-key": it.key },
        h("p", { class: "progress-text" }, t("progress", { i, n: shown.length })),
        h("progress", { max: String(shown.length), value: String(i) }),
        h("p", { class: "module" }, it.module),
        h("h1", {}, it.text),
        it.help ? h("p", { class: "help" }, it.help) : null,
        it.kind === "number" ? numberInput(it, answers, go) : choiceList(it, answers, go),
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

async function submit(questionnaireId, shown, answers) {
  const kept = {};
  for (const it of shown) if (it.key in answers) kept[it.key] = answers[it.key];
  const clientId = uuid();
  enqueue({ id: clientId, kind: "report", path: "/patient/reports", body: { client_id: clientId, questionnaire_id: questionnaireId, answers: kept } });
  show(h("p", {}, t("loading")));
  const sent = await flush();
  const mine = sent.find((s) => s.item.id === clientId);
  if (mine && mine.answer) showResult(mine.answer);
  else if (mine) show(h("h1", {}, t("error")), h("a", { class: "big button", href: "#/today" }, t("back_today")));
  else showQueued();
}

export function showQueued() {
  const phone = localStorage.getItem("relais.team_phone");
  show(
    h("h1", { id: "queued" }, t("queued_title")),
    h("p", { class: "waiting" }, t("queued_text")),
    phone ? h("p", {}, t("queued_safety", { phone })) : null,
    phone ? h("a", { class: "big button call", href: telHref(phone) }, `${t("call_team")} · ${phone}`) : null,
    h("a", { class: "big button secondary", href: "#/today" }, t("back_today")),
  );
}

/// The server's answer: colour and advice; for red, the full-screen call-now message.
export function showResult(r) {
  const advice = (r.advice || []).map((a) => h("li", {}, a.text));
  if (r.colour === "red") {
    show(
      h(
        "section",
        { class: "red-alert", id: "red-screen", role: "alert" },
        h("h1", {}, t("result_red")),
        h("p", {}, t("red_intro")),
        h("a", { class: "big button call-team", id: "call-team", href: telHref(r.contact.phone) }, `${t("call_team")} · ${r.contact.phone}`),
        h("a", { class: "big button call-15", id: "call-15", href: "tel:15" }, t("call_15")),
        advice.length ? h("ul", { class: "advice" }, advice) : null,
        h("p", {}, r.contact.text),
        h("a", { class: "button quiet", href: "#/today" }, t("back_today")),
      ),
    );
    document.body.classList.add("red-screen");
    return;
  }
  show(
    h(
      "section",
      { class: `result result-${r.colour}`, id: "result", "data-colour": r.colour },
      h("h1", {}, t(`result_${r.colour}`)),
      advice.length ? h("ul", { class: "advice" }, advice) : null,
      h("p", {}, r.contact.text),
      h("a", { class: "big button call", href: telHref(r.contact.phone) }, `${t("call_team")} · ${r.contact.phone}`),
      h("a", { class: "big button secondary", href: "#/today" }, t("back_today")),
    ),
  );
}
