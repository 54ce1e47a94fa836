// The ops page: polls the runtime's JSON (GET /ops/api/state every second, the registry
// every ten) and renders it. All text goes in through textContent, never innerHTML:
// handler errors and message bodies are data from outside.
"use strict";

const TOKEN = document.querySelector('meta[name="wippy-ops-token"]').content;
const STATE_EVERY = 1000;    // ms between state polls (after the previous one answered)
const ENTRIES_EVERY = 10000;
let entries = [];

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleTimeString() : "";
}

function fill(tableId, rows, render) {
  const body = document.querySelector(`#${tableId} tbody`);
  const fresh = rows.map(render);
  body.replaceChildren(...fresh);
  if (!rows.length) {
    const cols = document.querySelectorAll(`#${tableId} thead th`).length;
    const td = el("td", "none", "muted");
    td.colSpan = cols;
    body.replaceChildren(el("tr"));
    body.firstChild.append(td);
  }
}

function row(attrs, cells) {
  const tr = el("tr");
  for (const [key, value] of Object.entries(attrs)) tr.dataset[key] = value;
  for (const cell of cells) tr.append(cell);
  return tr;
}

function num(value, name) {
  return el("td", value === null || value === undefined ? "–" : value, `num ${name}`);
}

function renderService(s) {
  return row({service: s.id}, [
    el("td", s.id, "mono id"), el("td", s.kind, "mono"),
    el("td", s.state, `state state-${s.state}`), el("td", s.required ? "yes" : "no"),
    num(s.starts, "starts"), el("td", s.last_error || "", "error"),
  ]);
}

function renderQueue(q) {
  const action = el("td");
  if (q.replayable && q.ready) {
    const b = el("button", "replay all", "replay-all");
    b.title = `move every message in ${q.id} back to the queue it came from`;
    b.addEventListener("click", () => replay(q.id, null));
    action.append(b);
  }
  return row({queue: q.id}, [
    el("td", q.id, "mono id"), el("td", q.driver + (q.durable ? " (durable)" : ""), "mono"),
    num(q.ready, "ready"), num(q.delayed, "delayed"), num(q.in_flight, "in-flight"),
    num(q.dead, "dead"), num(q.dead_lettered, "dead-lettered"), num(q.retried, "retried"),
    num(q.acked, "acked"), num(q.nacked, "nacked"), action,
  ]);
}

function renderDeadLetter(d) {
  const action = el("td");
  const b = el("button", "replay", "replay");
  b.title = `move this message back to ${d.original_queue}`;
  b.addEventListener("click", () => replay(d.dead_queue, d.message_id));
  action.append(b);
  return row({message: d.message_id, deadQueue: d.dead_queue}, [
    el("td", when(d.dead_lettered_at)), el("td", d.dead_queue, "mono"),
    el("td", d.original_queue, "mono"), el("td", d.message_id, "mono message-id"),
    num(d.attempts, "attempts"), el("td", d.last_error, "error last-error"),
    el("td", d.body, "mono body"), action,
  ]);
}

function renderError(e) {
  return row({seq: e.seq}, [
    el("td", when(e.time)), el("td", e.level),
    el("td", e.endpoint || e.consumer || e.func || "", "mono"),
    el("td", e.request_id || "", "mono request-id"), el("td", e.message_id || "", "mono"),
    el("td", e.error || e.message, "error"),
  ]);
}

function renderEntry(e) {
  return row({entry: e.id}, [
    el("td", e.id, "mono id"), el("td", e.kind, "mono kind"),
    el("td", e.line ? `${e.file}:${e.line}` : e.file, "mono muted"),
  ]);
}

function showEntries() {
  const needle = document.getElementById("entry-filter").value.trim().toLowerCase();
  const shown = needle ? entries.filter(
    (e) => e.id.toLowerCase().includes(needle) || e.kind.toLowerCase().includes(needle)) : entries;
  document.getElementById("entry-count").textContent = `(${shown.length} of ${entries.length})`;
  fill("entries", shown, renderEntry);
}

async function getJson(path) {
  const answer = await fetch(path, {cache: "no-store", credentials: "same-origin"});
  if (!answer.ok) throw new Error(`${path}: ${answer.status}`);
  return answer.json();
}

async function pollState() {
  try {
    const s = await getJson("/ops/api/state");
    const badge = document.getElementById("readiness");
    badge.textContent = s.ready ? "ready" : "not ready";
    badge.className = `badge ${s.ready ? "ready" : "not-ready"}`;
    document.getElementById("updated").textContent = `updated ${when(s.time)}`;
    fill("services", s.services, renderService);
    fill("queues", s.queues, renderQueue);
    fill("dead-letters", s.dead_letters, renderDeadLetter);
    fill("errors", s.errors, renderError);
    document.getElementById("offline").hidden = true;
  } catch (err) {
    document.getElementById("offline").hidden = false;
  }
  setTimeout(pollState, STATE_EVERY);
}

async function pollEntries() {
  try {
    entries = (await getJson("/ops/api/entries")).entries;
    showEntries();
  } catch (err) {
    document.getElementById("offline").hidden = false;
  }
  setTimeout(pollEntries, ENTRIES_EVERY);
}

async function replay(deadQueue, messageId) {
  const status = document.getElementById("replay-status");
  status.textContent = "replaying…";
  try {
    const answer = await fetch("/ops/api/replay", {
      method: "POST", credentials: "same-origin",
      headers: {"content-type": "application/json", "x-wippy-ops-token": TOKEN},
      body: JSON.stringify({dead_queue: deadQueue, message_id: messageId}),
    });
    const result = await answer.json();
    status.textContent = answer.ok
      ? `replayed ${result.replayed} message(s) from ${deadQueue}`
      : `replay refused: ${result.error}`;
  } catch (err) {
    status.textContent = `replay failed: ${err}`;
  }
}

document.getElementById("entry-filter").addEventListener("input", showEntries);
pollState();
pollEntries();
