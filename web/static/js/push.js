// Phone notifications on the rep's profile: subscribe this browser to Web Push with the
// server's VAPID key and hand the subscription to /api/v1/me/devices. The service worker
// (sw.js) shows what arrives. Where the browser cannot, the page says so and what to do.
"use strict";
(function () {
  const section = document.querySelector("[data-phones]");
  if (!section) return;
  const form = section.querySelector("[data-subscribe]");
  const error = section.querySelector("[data-push-error]");
  const label = form.querySelector("input[name=label]");
  const button = form.querySelector("button");
  const WAIT_MS = 20000; // a push service that has not answered by then is not coming
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!supported) return;
  section.querySelector("[data-push-unsupported]").hidden = true;

  function show(selector, on) {
    section.querySelector(selector).hidden = !on;
  }

  function refuse(message) {
    error.textContent = message;
    error.hidden = !message;
    label.setAttribute("aria-invalid", message ? "true" : "false");
  }

  function keyBytes(base64url) {
    const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(text, (c) => c.charCodeAt(0));
  }

  async function registration() {
    await navigator.serviceWorker.register(section.dataset.worker, { scope: "/" });
    return navigator.serviceWorker.ready;
  }

  // Mark this browser's row when it is already subscribed, and offer the form otherwise.
  async function markThisDevice() {
    const current = await (await registration()).pushManager.getSubscription();
    const row = current && [...section.querySelectorAll("[data-endpoint]")].find((li) => li.dataset.endpoint === current.endpoint);
    if (row) row.querySelector("[data-this-device]").hidden = false;
    show("[data-push-on]", Boolean(row));
    show("[data-push-blocked]", Notification.permission === "denied");
    form.hidden = Boolean(row) || Notification.permission === "denied";
  }

  function within(ms, promise) {
    const late = new Promise((_, fail) => setTimeout(() => fail(new Error("the browser's push service did not answer; check the connection and try again")), ms));
    return Promise.race([promise, late]);
  }

  async function subscribe() {
    refuse("");
    if ((await Notification.requestPermission()) !== "granted") {
      show("[data-push-blocked]", true);
      return;
    }
    const reg = await within(WAIT_MS, registration());
    const subscription = await within(WAIT_MS, reg.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(section.dataset.key),
    }));
    const answer = await fetch(section.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ ...subscription.toJSON(), label: label.value.trim() }),
    });
    if (answer.ok) {
      window.location.reload();
      return;
    }
    refuse(await reason(answer));
  }

  function csrfToken() {
    const meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  // The API names the field and the problem; the page says it in words beside the name box.
  async function reason(answer) {
    try {
      const body = await answer.json();
      const fields = body.error.fields || {};
      if (fields.label) return "The device's name " + [].concat(fields.label).join(" ") + ".";
      if (fields.endpoint) return "This browser's push service cannot be used: " + [].concat(fields.endpoint).join(" ") + ".";
      return body.error.message.charAt(0).toUpperCase() + body.error.message.slice(1) + ".";
    } catch (e) {
      return "Notifications could not be turned on (the server answered " + answer.status + "). Try again.";
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    button.disabled = true;
    button.textContent = "Turning notifications on…";
    subscribe()
      .catch((e) => refuse("Notifications could not be turned on here: " + (e && e.message ? e.message : e) + "."))
      .finally(() => {
        button.disabled = false;
        button.textContent = "Turn on notifications on this device";
      });
  });
  markThisDevice().catch(() => { form.hidden = false; });
})();
