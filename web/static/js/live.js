// Live updates for SalesQuest pages. The server renders everything first (readable without
// JavaScript); this script keeps the leaderboard moving from Socket.IO frames and shows
// notifications as toasts. Frames carry the board's version and the version they follow
// (`since`): a frame already seen is dropped, and a gap (a frame lost on the way) or a
// heartbeat newer than the board makes the page ask for a snapshot, on its own. The status
// line says "live" only while the server was heard lately, else "as of" the last news.
"use strict";
(function () {
  const TOP = 10; // on a big board: the top rows, then the rows around me
  const AROUND = 5;
  const BIG = 15;
  const TOAST_MS = 6000;
  // The page's language: the server writes these words on this script tag (data-words).
  const script = document.currentScript;
  const WORDS = Object.assign({
    live: "live", asOf: "as of {time}", staleTitle: "Not live: this board shows the standings as of {time}",
    reconnecting: "reconnecting…", offline: "offline", notLive: "not live", you: "{name} (you)",
    movedUp: "moved up", movedDown: "moved down",
  }, script && script.dataset.words ? JSON.parse(script.dataset.words) : {});
  const LANG = document.documentElement.lang || undefined;

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
  let every = board ? Number(board.dataset.heartbeat || 5) : 5; // the server's heartbeat, s
  let heard = 0; // when the server last confirmed the board is current (ms)
  let asOf = new Date(); // what the board shows is the standings at this time
  let problem = ""; // why the board is not live, when the server said
  let resyncing = false;

  const socket = wallToken ? io({ auth: { wall: wallToken } }) : io();
  // js/moments.js and js/toasts.js hook into this connection and the board's redraws.
  const shared = (window.SalesQuest = Object.assign(window.SalesQuest || {}, { socket }));

  function say(text) {
    if (state) state.textContent = text;
  }

  function fresh() {
    heard = Date.now();
    asOf = new Date();
    problem = "";
    showState();
  }

  // "live" only while connected and heard from within two heartbeats (and a little).
  function showState() {
    if (!state || !board) return;
    const live = socket.connected && heard && Date.now() - heard < (2 * every + 2) * 1000;
    const time = asOf.toLocaleTimeString(LANG, { hour: "2-digit", minute: "2-digit" });
    const asOfTime = WORDS.asOf.replace("{time}", time);
    state.textContent = live ? WORDS.live : asOfTime + (problem ? " · " + problem : "");
    state.classList.toggle("stale", !live);
    state.title = live ? "" : WORDS.staleTitle.replace("{time}", time);
  }
  setInterval(showState, 1000);

  socket.on("connect", subscribe);
  socket.on("disconnect", () => { problem = WORDS.reconnecting; showState(); });
  socket.on("connect_error", (err) => {
    problem = err && err.message ? err.message : WORDS.offline;
    showState();
    // A refusal the server says is passing (its database is down) is retried when it says;
    // Socket.IO itself only retries connections that dropped.
    const wait = err && err.data && err.data.retry_after;
    if (wait) setTimeout(() => socket.connect(), wait * 1000);
  });

  function subscribe() {
    if (!board) return say(WORDS.live);
    if (challengeId === null || wallToken) return;
    socket.emit("subscribe", { challenge_id: challengeId }, (answer) => {
      if (answer && answer.ok) return;
      problem = answer ? answer.reason : WORDS.notLive;
      showState();
      if (answer && answer.retry_after) setTimeout(subscribe, answer.retry_after * 1000);
    });
  }

  // Ask for the board as it is now (one request at a time); subscribing again if need be.
  function resync() {
    if (resyncing || challengeId === null) return;
    resyncing = true;
    setTimeout(() => { resyncing = false; }, 5000);
    socket.emit("snapshot", { challenge_id: challengeId }, (answer) => {
      resyncing = false;
      if (!(answer && answer.ok)) subscribe();
    });
  }

  socket.on("leaderboard", onFrame);
  socket.on("heartbeat", onHeartbeat);
  socket.on("notification", onNotification);

  function onHeartbeat(beat) {
    if (!board) return;
    if (beat.every) every = beat.every;
    const mine = (beat.boards || []).find((b) => b.challenge_id === challengeId);
    if (!mine) return;
    if (mine.version > version) resync();
    else fresh();
  }

  function onFrame(frame) {
    if (!board || frame.challenge_id !== challengeId) return;
    if (frame.snapshot) resyncing = false;
    const newer = frame.snapshot ? frame.version >= version : frame.version > version;
    if (!newer) return fresh(); // already shown: the board is current
    const since = frame.since === undefined ? frame.version - 1 : frame.since;
    if (!frame.snapshot && since > version) return resync(); // a frame went missing
    version = frame.version;
    board.dataset.version = String(version);
    const before = new Map([...rows].map(([id, row]) => [id, row.rank]));
    if (frame.snapshot) rows = new Map();
    frame.rows.forEach((row) => rows.set(row.id, row));
    render(frame, frame.snapshot ? new Map() : before);
    fresh();
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
    if (move) arrow.setAttribute("aria-label", move === "up" ? WORDS.movedUp : WORDS.movedDown);
    const rank = cell("td", String(row.rank));
    rank.append(" ", arrow);
    tr.append(rank, cell("td", row.id === me ? WORDS.you.replace("{name}", row.name) : row.name), cell("td", Number(row.points).toLocaleString(LANG), "num"));
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
