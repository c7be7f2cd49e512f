// Register the service worker so the app installs and shows an offline page without a network.
"use strict";
(function () {
  const script = document.currentScript;
  if (!("serviceWorker" in navigator) || !script) return;
  window.addEventListener("load", () => {
    navigator.serviceWorker.register(script.dataset.worker, { scope: "/" }).catch(() => {});
  });
})();
