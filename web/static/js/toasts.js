// Toasts, coalesced: at most one on screen; the notes that arrive meanwhile wait in a short
// queue where notes of the same kind and challenge merge into one ("+3 more"), and whatever
// does not fit in the queue becomes a single "N more updates" line. A toast never takes more
// than a quarter of a phone's screen (moments.css clamps it). live.js hands notes to
// window.SalesQuest.toast; board moments and other scripts may call it too.
"use strict";
(function () {
  const box = document.getElementById("toasts");
  if (!box) return;
  // The page's language: the server writes these words on this script tag (data-words).
  const script = document.currentScript;
  const WORDS = Object.assign({
    update: "{count} more update", updates: "{count} more updates", more: "+{count} more",
  }, script && script.dataset.words ? JSON.parse(script.dataset.words) : {});
  const SHOW_MS = 4500; // alone
  const BUSY_MS = 2200; // when more are waiting
  const QUEUE = 3; // waiting entries kept apart; the rest merge into a summary

  let queue = []; // entries: {kind, challenge, note, more}
  let shown = null; // the toast element on screen
  let timer = null;

  function key(note) {
    return (note.kind || "note") + ":" + (note.challenge_id || "");
  }

  function toast(note) {
    const same = queue.find((entry) => entry.key === key(note));
    if (same) {
      same.more += 1 + (note.more || 0);
      same.note = note; // the latest says it best ("Cat passed you" after "Bob passed you")
    } else if (queue.length >= QUEUE) {
      const last = queue[queue.length - 1];
      if (last.key !== "summary") queue.push({ key: "summary", note: null, more: 1 });
      else last.more += 1;
    } else {
      queue.push({ key: key(note), note, more: 0 });
    }
    if (!shown) next();
    else if (!timer || queue.length) shorten();
  }

  function shorten() {
    if (!timer) return;
    clearTimeout(timer);
    timer = setTimeout(hide, BUSY_MS);
  }

  function next() {
    const entry = queue.shift();
    if (!entry) return;
    shown = render(entry);
    box.replaceChildren(shown);
    timer = setTimeout(hide, queue.length ? BUSY_MS : SHOW_MS);
  }

  function hide() {
    timer = null;
    if (shown) shown.remove();
    shown = null;
    next();
  }

  function render(entry) {
    const el = document.createElement("div");
    el.className = "toast kind-" + (entry.note ? entry.note.kind : "summary");
    el.setAttribute("role", "status");
    if (!entry.note) {
      el.append(text("span", (entry.more === 1 ? WORDS.update : WORDS.updates).replace("{count}", entry.more), "toast-text"));
    } else {
      const who = person(entry.note);
      if (who && window.SalesQuest.avatar) el.append(window.SalesQuest.avatar(who, 32));
      el.append(text("span", entry.note.message || entry.note.title || "", "toast-text"));
      if (entry.more) el.append(text("span", WORDS.more.replace("{count}", entry.more), "toast-more"));
    }
    el.addEventListener("click", () => {
      clearTimeout(timer);
      hide();
    });
    return el;
  }

  function person(note) {
    const data = note.data || {};
    if (data.by_name) return data.by_name;
    if (data.passed_names && data.passed_names.length) return data.passed_names[0];
    return note.who || null;
  }

  function text(tag, words, className) {
    const el = document.createElement(tag);
    el.textContent = words;
    el.className = className;
    return el;
  }

  window.SalesQuest = Object.assign(window.SalesQuest || {}, { toast });
})();
