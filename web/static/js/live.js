// Live updates for SalesQuest pages. The server renders everything first (readable without
// JavaScript); this script keeps the leaderboard moving from Socket.IO frames and shows
// notifications as toasts. Frames carry the challenge's version: older ones are dropped.
"use strict";
(function () {
  const TOP = 10; // on a big board: the top rows, then the rows around me
  const AROUND = 5;
  const BIG = 15;
  const TOAST_MS = 6000;

  const board = document.querySelector("[data-board]");
  const toasts = document.getElementById("toasts");
  const state = document.querySelector("[data-live-state]");
  if (typeof io !== "function" || (!board && !toasts)) return;

  const challengeId = board ? Number(board.dataset.challenge) : null;
  const me = board && board.dataset.participant ? Number(board.dataset.participant) : null;
  const wallToken = board ? board.dataset.wall : null;
  let version = board ? Number(board.dataset.version || 0) : 0;
  let rows = new Map(); // participant id -> row
  let order = []; // participant ids in the order last shown, to break ties stably

  const socket = wallToken ? io({ auth: { wall: wallToken } }) : io();
  // js/moments.js and js/toasts.js hook into this connection and the board's redraws.
  const shared = (window.SalesQuest = Object.assign(window.SalesQuest || {}, { socket }));

  function say(text) {
    if (state) state.textContent = text;
  }

  socket.on("connect", subscribe);
  socket.on("disconnect", () => say("reconnecting…"));
  socket.on("connect_error", (err) => {
    say(err && err.message ? err.message : "offline");
    // A refusal the server says is passing (its database is down) is retried when it says;
    // Socket.IO itself only retries connections that dropped.
    const wait = err && err.data && err.data.retry_after;
    if (wait) setTimeout(() => socket.connect(), wait * 1000);
  });

  function subscribe() {
    say("live");
    if (challengeId === null || wallToken) return;
    socket.emit("subscribe", { challenge_id: challengeId }, (answer) => {
      if (answer && answer.ok) return;
      say(answer ? answer.reason : "not live");
      if (answer && answer.retry_after) setTimeout(subscribe, answer.retry_after * 1000);
    });
  }
  socket.on("leaderboard", onFrame);
  socket.on("notification", onNotification);

  function onFrame(frame) {
    if (!board || frame.challenge_id !== challengeId) return;
    const fresh = frame.snapshot ? frame.version >= version : frame.version > version;
    if (!fresh) return;
    version = frame.version;
    board.dataset.version = String(version);
    const before = new Map([...rows].map(([id, row]) => [id, row.rank]));
    if (frame.snapshot) rows = new Map();
    frame.rows.forEach((row) => rows.set(row.id, row));
    render(frame, frame.snapshot ? new Map() : before);
    say("live · updated " + new Date().toLocaleTimeString());
  }

  function sorted() {
    const position = new Map(order.map((id, i) => [id, i]));
    return [...rows.values()].sort(
      (a, b) => a.rank - b.rank || (position.get(a.id) ?? 1e9) - (position.get(b.id) ?? 1e9)
    );
  }

  function render(frame, before) {
    const frozen = board.querySelector("[data-frozen]");
    if (frozen) frozen.hidden = !frame.frozen;
    const list = sorted();
    order = list.map((row) => row.id);
    renderPodium(list.slice(0, 3));
    const body = board.querySelector("[data-rows]");
    body.replaceChildren(...visible(list).map((row) => (row ? tableRow(row, before) : gapRow())));
    // The live table already holds the rows around me; the server's extra section goes.
    const around = board.querySelector("[data-around]");
    if (around) around.hidden = true;
    board.dispatchEvent(new CustomEvent("sq:board", { bubbles: true, detail: { rows: list, me, frozen: !!frame.frozen } }));
  }

  function visible(list) {
    if (list.length <= BIG) return list;
    const mine = list.findIndex((row) => row.id === me);
    const shown = list.map((row, i) => i < TOP || (mine >= 0 && Math.abs(i - mine) <= AROUND));
    const out = [];
    list.forEach((row, i) => {
      if (shown[i]) out.push(row);
      else if (out.length && out[out.length - 1] !== null) out.push(null);
    });
    return out[out.length - 1] === null ? out.slice(0, -1) : out;
  }

  function cell(tag, text, className) {
    const el = document.createElement(tag);
    el.textContent = text;
    if (className) el.className = className;
    return el;
  }

  function tableRow(row, before) {
    const tr = document.createElement("tr");
    const old = before.get(row.id);
    const move = old === undefined ? "" : row.rank < old ? "up" : row.rank > old ? "down" : "";
    const arrow = cell("span", move === "up" ? "▲" : move === "down" ? "▼" : "", "move " + move);
    if (move) arrow.setAttribute("aria-label", move === "up" ? "moved up" : "moved down");
    const rank = cell("td", String(row.rank));
    rank.append(" ", arrow);
    tr.append(rank, cell("td", row.id === me ? row.name + " (you)" : row.name), cell("td", String(row.points), "num"));
    if (row.id === me) {
      tr.className = "me";
      tr.setAttribute("aria-current", "true");
    }
    if (move) tr.classList.add("moved");
    return tr;
  }

  function gapRow() {
    const tr = document.createElement("tr");
    const td = cell("td", "…", "gap");
    td.colSpan = 3;
    tr.append(td);
    return tr;
  }

  function renderPodium(top) {
    const podium = board.querySelector("[data-podium]");
    if (!podium) return;
    podium.replaceChildren(
      ...top.map((row, i) => {
        const li = document.createElement("li");
        li.className = "place-" + (i + 1) + (row.id === me ? " me" : "");
        li.append(cell("span", String(row.rank), "medal"), cell("span", row.name, "name"), cell("span", String(row.points), "pts"));
        return li;
      })
    );
  }

  function onNotification(note) {
    if (shared.toast) return shared.toast(note); // coalesced, one on screen at a time
    if (!toasts) return;
    const toast = cell("p", note.message, "toast kind-" + note.kind);
    toasts.append(toast);
    setTimeout(() => toast.remove(), TOAST_MS);
    if (note.data && note.data.badge === "challenge_winner") celebrate();
  }

  function celebrate() {
    document.body.classList.add("celebrate");
    setTimeout(() => document.body.classList.remove("celebrate"), 3000);
  }
})();
