// Keeps "2 d 5 h left" / "starts in 3 h" current without a reload: the server writes the
// words first (readable without JavaScript); this rewrites them in the same words every 15 s.
// Elements: [data-countdown] with data-starts and data-ends (ISO datetimes).
"use strict";
(function () {
  const HOUR = 3600 * 1000;
  // The page's language: the server writes the patterns on this script tag (data-words).
  const script = document.currentScript;
  const WORDS = Object.assign({
    days: "{d} d {h} h", hours: "{h} h", minutes: "{m} min", left: "{span} left",
    starts: "starts in {span}", finished: "just finished: reload for the results",
  }, script && script.dataset.words ? JSON.parse(script.dataset.words) : {});

  function fill(pattern, values) {
    return pattern.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
  }

  function span(ms) {
    const hours = Math.floor(ms / HOUR);
    if (hours >= 48) return fill(WORDS.days, { d: Math.floor(hours / 24), h: hours % 24 });
    if (hours > 0) return fill(WORDS.hours, { h: hours });
    return fill(WORDS.minutes, { m: Math.max(1, Math.floor(ms / 60000)) });
  }

  function words(el, now) {
    const starts = Date.parse(el.dataset.starts);
    const ends = Date.parse(el.dataset.ends);
    if (now < starts) return fill(WORDS.starts, { span: span(starts - now) });
    if (now < ends) return fill(WORDS.left, { span: span(ends - now) });
    return null; // ended: the server's words (and the results) come with the next page
  }

  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-countdown]:not([data-static])").forEach((el) => {
      const text = words(el, now);
      if (text === null && el.dataset.live === "1") {
        el.textContent = WORDS.finished;
      } else if (text !== null) {
        el.textContent = text;
        el.dataset.live = "1";
      }
    });
  }

  tick();
  setInterval(tick, 15000);
})();
