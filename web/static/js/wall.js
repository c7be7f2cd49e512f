// The wall screen: rotate through the playlist's slides, each fetched fresh just before it
// shows; let a long board glide down after its top rows were seen; redraw the slide on screen
// when its board moves; and stop everything to celebrate a moment (a new leader, a big deal),
// which the server sends only for changes that committed.
"use strict";
(function () {
  // The wall's language: the server writes these words on this script tag (data-words).
  const script = document.currentScript;
  const WORDS = Object.assign({
    live: "live", asOf: "as of {time}", reconnecting: "reconnecting…", offline: "offline",
    lead: "{name} takes the lead", pointsOne: "{count} point", pointsOther: "{count} points",
    won: "{name} won {deal}", aDeal: "a deal",
  }, script && script.dataset.words ? JSON.parse(script.dataset.words) : {});
  const LANG = document.documentElement.lang || undefined;
  const body = document.body;
  const token = body.dataset.wall;
  if (!token) return;
  const seconds = Math.max(5, Number(body.dataset.seconds || 20));
  const HOLD = 0.3; // share of a slide's time its top rows stay still before a long one glides
  const GLIDE = 0.6; // share of the slide's time the glide takes
  const MOMENT_MS = 8000;
  const MOST_QUEUED = 3;
  const state = document.querySelector("[data-live-state]");
  const nameBox = document.querySelector("[data-slide-name]");
  const momentBox = document.querySelector("[data-moment]");
  const timerBar = document.querySelector("[data-timer]");
  let current = 0;
  let rotation = null;
  let scrollTimer = null;
  let glideStart = 0;
  let glideEnd = 0;
  let celebrating = false;
  let queued = [];
  let redraw = null;

  const slides = () => [...document.querySelectorAll(".slides > [data-slide]")];
  const say = (text) => { if (state) state.textContent = text; };

  function show(position) {
    const all = slides();
    if (!all.length) return;
    current = position % all.length;
    all.forEach((slide, i) => { slide.hidden = i !== current; });
    const slide = all[current];
    body.dataset.current = slide.dataset.slide;
    if (nameBox) nameBox.textContent = slide.dataset.name || "";
    document.querySelectorAll("[data-dot]").forEach((dot) => dot.classList.toggle("on", dot.dataset.dot === slide.dataset.slide));
    planGlide();
    runTimerBar();
  }

  // The slide as it is now, in place of the one on the page (which stays if the fetch fails).
  async function fetchFresh(slide) {
    try {
      const answer = await fetch(slide.dataset.url, { credentials: "omit", cache: "no-store" });
      if (!answer.ok) return slide;
      const holder = document.createElement("div");
      holder.innerHTML = (await answer.text()).trim();
      const fresh = holder.firstElementChild;
      fresh.hidden = slide.hidden;
      slide.replaceWith(fresh);
      return fresh;
    } catch (e) {
      return slide;
    }
  }

  async function advance() {
    const all = slides();
    if (!all.length) return;
    const position = (current + 1) % all.length;
    await fetchFresh(all[position]);
    if (!celebrating) show(position);
  }

  function schedule() {
    clearTimeout(rotation);
    rotation = setTimeout(async () => {
      await advance();
      if (!celebrating) schedule();
    }, seconds * 1000);
  }

  function inner() {
    const slide = slides()[current];
    const box = slide && slide.querySelector("[data-scroller]");
    return box ? [box, box.firstElementChild] : [null, null];
  }

  function place(element, offset, duration) {
    element.style.transitionDuration = duration + "s";
    element.style.transform = "translateY(" + -offset + "px)";
  }

  // A slide just shown starts at its top; a long one glides to its end after the hold.
  function planGlide() {
    clearTimeout(scrollTimer);
    const [, list] = inner();
    if (!list) return;
    place(list, 0, 0);
    glideStart = Date.now() + seconds * HOLD * 1000;
    glideEnd = glideStart + seconds * GLIDE * 1000;
    scrollTimer = setTimeout(glide, seconds * HOLD * 1000);
  }

  function glide() {
    const [box, list] = inner();
    if (!list) return;
    const overflow = list.scrollHeight - box.clientHeight;
    if (overflow > 0) place(list, overflow, Math.max(0, glideEnd - Date.now()) / 1000);
  }

  function runTimerBar() {
    if (!timerBar) return;
    timerBar.style.transition = "none";
    timerBar.style.transform = "scaleX(0)";
    void timerBar.offsetWidth; // restart the transition from empty
    timerBar.style.transition = "transform " + seconds + "s linear";
    timerBar.style.transform = "scaleX(1)";
  }

  // A board on screen moved: redraw it where it stands in its glide (at most once a second).
  function redrawShown() {
    clearTimeout(redraw);
    redraw = setTimeout(async () => {
      const slide = slides()[current];
      if (!slide) return;
      const [, before] = inner();
      const offset = before ? -new DOMMatrix(getComputedStyle(before).transform).m42 : 0;
      await fetchFresh(slide);
      const [, after] = inner();
      if (!after || Date.now() < glideStart) return;
      place(after, offset, 0);
      requestAnimationFrame(() => requestAnimationFrame(glide));
    }, 1000);
  }

  function celebrate() {
    const moment = queued.shift();
    if (!moment) {
      celebrating = false;
      momentBox.hidden = true;
      fetchFresh(slides()[current]).then(() => { show(current); schedule(); });
      return;
    }
    celebrating = true;
    clearTimeout(rotation);
    momentBox.hidden = true;
    momentBox.className = "moment kind-" + moment.kind;
    const [title, line] = momentWords(moment);
    momentBox.querySelector("[data-moment-title]").textContent = title;
    momentBox.querySelector("[data-moment-line]").textContent = line;
    void momentBox.offsetWidth; // replay the entrance for each moment
    momentBox.hidden = false;
    setTimeout(celebrate, MOMENT_MS);
  }

  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (all, key) => (key in values ? values[key] : all));

  // A moment in the wall's language from what it is made of (the server's English otherwise).
  function momentWords(moment) {
    const v = moment.values;
    if (!v) return [moment.title, moment.line];
    if (moment.kind === "lead") {
      const count = new Intl.NumberFormat(LANG).format(v.points);
      const one = new Intl.PluralRules(LANG).select(v.points) === "one";
      const points = fill(one ? WORDS.pointsOne : WORDS.pointsOther, { count });
      const challenge = (WORDS.names || {})[v.challenge] || v.challenge;
      return [fill(WORDS.lead, { name: v.name }), challenge + " · " + points];
    }
    return [fill(WORDS.won, { name: v.name, deal: v.account || WORDS.aDeal }), money(v.amount, v.currency)];
  }

  function money(amount, currency) {
    if (amount === null || amount === undefined) return "";
    try {
      return new Intl.NumberFormat(LANG, { style: "currency", currency, maximumFractionDigits: 0, minimumFractionDigits: 0 }).format(amount);
    } catch (e) {
      return new Intl.NumberFormat(LANG, { maximumFractionDigits: 0 }).format(amount) + " " + currency;
    }
  }

  function onMoment(moment) {
    queued = queued.concat([moment]).slice(-MOST_QUEUED);
    if (!celebrating) celebrate();
  }

  // Board versions this screen has seen; a heartbeat naming a newer one (a frame lost on the
  // way, a queue that was away) redraws the slide from the server, like a frame would.
  const versions = new Map();
  let every = 5; // the server's heartbeat, s
  let heard = 0;
  let asOf = new Date();
  let problem = "";

  function fresh() {
    heard = Date.now();
    asOf = new Date();
    problem = "";
    showState();
  }

  // "live" only while connected and heard from within two heartbeats (and a little).
  function showState() {
    const live = socket && socket.connected && heard && Date.now() - heard < (2 * every + 2) * 1000;
    const time = asOf.toLocaleTimeString(LANG, { hour: "2-digit", minute: "2-digit" });
    say(live ? WORDS.live : WORDS.asOf.replace("{time}", time) + (problem ? " · " + problem : ""));
    if (state) state.classList.toggle("stale", !live);
  }

  function shows(challengeId) {
    const slide = slides()[current];
    return slide && Number(slide.dataset.challenge) === challengeId;
  }

  function onFrame(frame) {
    versions.set(frame.challenge_id, Math.max(frame.version, versions.get(frame.challenge_id) || 0));
    fresh();
    if (shows(frame.challenge_id) && !celebrating) redrawShown();
  }

  function onHeartbeat(beat) {
    if (beat.every) every = beat.every;
    fresh();
    (beat.boards || []).forEach((b) => {
      const seen = versions.get(b.challenge_id);
      versions.set(b.challenge_id, Math.max(b.version, seen || 0));
      if (seen !== undefined && b.version > seen && shows(b.challenge_id) && !celebrating) redrawShown();
    });
  }

  show(0);
  schedule();
  if (typeof io !== "function") return;
  const socket = io({ auth: { wall: token } });
  setInterval(showState, 1000);
  socket.on("connect", fresh);
  socket.on("disconnect", () => { problem = WORDS.reconnecting; showState(); });
  socket.on("connect_error", (err) => {
    problem = err && err.message ? err.message : WORDS.offline;
    showState();
    const wait = err && err.data && err.data.retry_after;
    if (wait) setTimeout(() => socket.connect(), wait * 1000);
  });
  socket.on("leaderboard", onFrame);
  socket.on("heartbeat", onHeartbeat);
  socket.on("moment", onMoment);
  socket.on("wall_changed", () => window.location.reload());
})();
