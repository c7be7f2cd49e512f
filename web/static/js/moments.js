// Moments on the rep's pages, hooked into live.js's connection (window.SalesQuest.socket) and
// board redraws ("sq:board"): faces on the rows drawn live, the gap to the next rank,
// confetti for a mission done, a badge, a level up and a win, the winner screen of a
// challenge that ended (shown once per browser, on the next visit if the rep was away), and
// a cheer when a deal is won on the board on screen. Everything here reacts to frames the
// server sends after its commit, so nothing celebrates points that were rolled back.
"use strict";
(function () {
  const shared = (window.SalesQuest = window.SalesQuest || {});
  const script = document.currentScript;
  const finalesUrl = script ? script.dataset.finales : null;
  const CONFETTI_FOR = new Set(["mission_completed", "badge_earned", "level_reached"]);
  const SEEN = "sq-finale-seen:";
  // The page's language: the server writes these words on this script tag (data-words).
  const WORDS = Object.assign({
    pts: "{points} pts", toPass: " to pass {name}", leadBy: "You lead by ",
  }, script && script.dataset.words ? JSON.parse(script.dataset.words) : {});

  // --- Faces ------------------------------------------------------------------------------
  // The same initials and hue as web/avatars.py; pictures the server drew are reused by name.
  const pictures = new Map();
  document.querySelectorAll(".avatar img").forEach((img) => {
    const name = nameBeside(img.parentElement);
    if (name) pictures.set(name, img.getAttribute("src"));
  });

  function nameBeside(avatar) {
    const holder = avatar.parentElement;
    if (!holder) return null;
    const named = holder.querySelector(".name");
    const words = (named ? named.textContent : holder.textContent).replace(/\s*\(you\)$/, "");
    return words.trim() || null;
  }

  function initials(name) {
    const words = name.replace(/-/g, " ").split(/\s+/).filter((w) => /^[\p{L}\p{N}]/u.test(w));
    if (!words.length) return "?";
    const first = [...words[0]][0];
    const last = words.length > 1 ? [...words[words.length - 1]][0] : "";
    return (first + last).toUpperCase();
  }

  function hue(name) {
    let h = 0;
    for (const ch of name) h = (h * 31 + ch.codePointAt(0)) % 360;
    return h;
  }

  function avatar(name, size) {
    const span = document.createElement("span");
    span.className = "avatar";
    span.setAttribute("aria-hidden", "true");
    span.dataset.initials = initials(name);
    span.style.setProperty("--avatar-size", size + "px");
    span.style.setProperty("--avatar-hue", String(hue(name)));
    const src = pictures.get(name);
    if (src) {
      const img = document.createElement("img");
      img.src = src;
      img.alt = "";
      img.width = img.height = size;
      span.append(img);
    } // else: moments.css draws data-initials, so the row's text stays the name alone
    return span;
  }
  shared.avatar = avatar;

  function decorate(board) {
    board.querySelectorAll("[data-rows] tr").forEach((tr) => {
      const cell = tr.children[1];
      if (!cell || cell.colSpan > 1 || cell.querySelector(".avatar")) return;
      const name = cell.textContent.replace(/\s*\(you\)$/, "").trim();
      cell.prepend(avatar(name, 24));
    });
    board.querySelectorAll("[data-podium] li").forEach((li) => {
      const name = li.querySelector(".name");
      if (!name || li.querySelector(".avatar")) return;
      li.insertBefore(avatar(name.textContent.trim(), 40), name);
    });
  }

  // --- The gap to the next rank -----------------------------------------------------------
  function gapWords(rows, me) {
    const mine = rows.find((row) => row.id === me);
    if (!mine) return null;
    const ahead = rows.filter((row) => row.points > mine.points);
    const behind = rows.filter((row) => row.points < mine.points);
    if (ahead.length) {
      const next = ahead.reduce((a, b) => (b.points < a.points ? b : a));
      const pts = WORDS.pts.replace("{points}", String(next.points - mine.points + 1));
      return [pts, WORDS.toPass.replace("{name}", next.name)];
    }
    if (behind.length && mine.points > 0) {
      const second = behind.reduce((a, b) => (b.points > a.points ? b : a));
      return [WORDS.leadBy, WORDS.pts.replace("{points}", String(mine.points - second.points))];
    }
    return null;
  }

  function showGap(board, rows, me, frozen) {
    const gap = board.querySelector("[data-gap]");
    if (!gap) return;
    const words = frozen ? null : gapWords(rows, me);
    gap.hidden = !words;
    if (!words) return gap.replaceChildren();
    const strong = document.createElement("strong");
    if (words[0].endsWith(" pts")) {
      strong.textContent = words[0];
      gap.replaceChildren(strong, words[1]);
    } else {
      strong.textContent = words[1];
      gap.replaceChildren(words[0], strong);
    }
  }

  document.addEventListener("sq:board", (event) => {
    const board = event.target;
    decorate(board);
    showGap(board, event.detail.rows, event.detail.me, event.detail.frozen);
  });

  // --- Confetti ---------------------------------------------------------------------------
  let burst = null;
  let lastBurst = 0;

  function confetti(big) {
    const now = Date.now();
    if (now - lastBurst < 1200) return; // a burst of news is one celebration
    lastBurst = now;
    let canvas = document.querySelector("canvas[data-confetti]");
    if (!canvas) {
      canvas = document.createElement("canvas");
      canvas.className = "confetti-canvas";
      canvas.dataset.confetti = "";
      canvas.dataset.bursts = "0";
      canvas.setAttribute("aria-hidden", "true");
      document.body.append(canvas);
    }
    canvas.dataset.bursts = String(Number(canvas.dataset.bursts) + 1);
    if (typeof window.confetti !== "function") return;
    if (!burst) burst = window.confetti.create(canvas, { resize: true, useWorker: false, disableForReducedMotion: true });
    const colors = ["#f59e0b", "#10b981", "#3b82f6", "#ef4444", "#a855f7"];
    burst({ particleCount: big ? 160 : 90, spread: big ? 100 : 70, origin: { y: 0.7 }, colors });
    if (big) setTimeout(() => burst({ particleCount: 80, angle: 60, spread: 60, origin: { x: 0, y: 0.8 }, colors }), 250);
    if (big) setTimeout(() => burst({ particleCount: 80, angle: 120, spread: 60, origin: { x: 1, y: 0.8 }, colors }), 400);
  }
  shared.confetti = confetti;

  // --- The winner screen ------------------------------------------------------------------
  function seen(id) {
    try {
      return localStorage.getItem(SEEN + id) === "1";
    } catch (e) {
      return false;
    }
  }

  function remember(id) {
    try {
      localStorage.setItem(SEEN + id, "1");
    } catch (e) {
      /* private mode: shown again next time, which is harmless */
    }
  }

  function showNextFinale() {
    if (document.querySelector("[data-finale]:not([hidden])")) return;
    const next = [...document.querySelectorAll("[data-finale]")].find((el) => !seen(el.dataset.finale));
    if (!next) return;
    next.hidden = false;
    document.body.classList.add("finale-open");
    const close = next.querySelector("[data-finale-close]");
    if (close) {
      close.addEventListener("click", () => closeFinale(next), { once: true });
      close.focus();
    }
    next.addEventListener("keydown", (event) => event.key === "Escape" && closeFinale(next));
    // Following "See the final board" counts as seen too: the board page must not show it again.
    next.querySelectorAll("a").forEach((a) => a.addEventListener("click", () => remember(next.dataset.finale)));
    confetti(next.dataset.won === "true");
  }

  function closeFinale(el) {
    remember(el.dataset.finale);
    el.hidden = true;
    document.body.classList.remove("finale-open");
    setTimeout(showNextFinale, 300);
  }

  function refreshFinales() {
    // One already open stays as it is (its note and its moment may both arrive).
    if (!finalesUrl || document.querySelector("[data-finale]:not([hidden])")) return;
    fetch(finalesUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then((answer) => (answer.ok ? answer.text() : null))
      .then((html) => {
        if (!html) return;
        const fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-finales]");
        const old = document.querySelector("[data-finales]");
        if (fresh && old) old.replaceWith(document.adoptNode(fresh));
        showNextFinale();
      })
      .catch(() => {});
  }

  // --- Live news --------------------------------------------------------------------------
  function onNotification(note) {
    if (CONFETTI_FOR.has(note.kind)) confetti(false);
    if (note.kind === "challenge_ending") refreshFinales();
  }

  function onBoardMoment(moment) {
    if (moment.kind === "finale") return refreshFinales(); // the challenge on screen ended
    const board = document.querySelector("[data-board]");
    if (!board || Number(board.dataset.challenge) !== moment.challenge_id) return;
    if (shared.toast) shared.toast({ kind: moment.kind, message: moment.title + " · " + moment.line, challenge_id: moment.challenge_id, who: moment.title.replace(/ won a deal$/, "") });
    confetti(false);
    board.classList.add("cheer");
    setTimeout(() => board.classList.remove("cheer"), 2000);
  }

  if (shared.socket) {
    shared.socket.on("notification", onNotification);
    shared.socket.on("board_moment", onBoardMoment);
    // A final standings frame (the board frozen no more, the challenge over) may come before
    // the winner's note: the winner screen is fetched when the challenge's end notes arrive.
  }
  const first = document.querySelector("[data-board]");
  if (first) decorate(first);
  showNextFinale();
})();
