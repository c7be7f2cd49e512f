// Keeps "2 d 5 h left" / "starts in 3 h" current without a reload: the server writes the
// words first (readable without JavaScript); this rewrites them in the same words every 15 s.
// Elements: [data-countdown] with data-starts and data-ends (ISO datetimes).
"use strict";
(function () {
  const HOUR = 3600 * 1000;

  function span(ms) {
    const hours = Math.floor(ms / HOUR);
    if (hours >= 48) return Math.floor(hours / 24) + " d " + (hours % 24) + " h";
    if (hours > 0) return hours + " h";
    return Math.max(1, Math.floor(ms / 60000)) + " min";
  }

  function words(el, now) {
    const starts = Date.parse(el.dataset.starts);
    const ends = Date.parse(el.dataset.ends);
    if (now < starts) return "starts in " + span(starts - now);
    if (now < ends) return span(ends - now) + " left";
    return null; // ended: the server's words (and the results) come with the next page
  }

  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-countdown]:not([data-static])").forEach((el) => {
      const text = words(el, now);
      if (text === null && el.dataset.live === "1") {
        el.textContent = "just finished: reload for the results";
      } else if (text !== null) {
        el.textContent = text;
        el.dataset.live = "1";
      }
    });
  }

  tick();
  setInterval(tick, 15000);
})();
