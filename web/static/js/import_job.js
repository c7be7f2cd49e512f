// An import job's page: ask for its status every second and move the bar; once the job is
// finished, load the page again for its report.
(function () {
  "use strict";
  // The page's language: the server writes these words on this script tag (data-words).
  var script = document.currentScript;
  var words = script && script.dataset.words ? JSON.parse(script.dataset.words) : {};
  var box = document.getElementById("job");
  if (!box || box.dataset.state === "done" || box.dataset.state === "failed") return;
  var number = new Intl.NumberFormat(document.documentElement.lang || undefined);
  function show(id, value) { document.getElementById(id).textContent = number.format(value); }
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) return setTimeout(poll, 2000);
        if (job.state === "done" || job.state === "failed") return location.reload();
        var bar = document.getElementById("job-bar");
        bar.max = job.rows_total || 1;
        bar.value = job.rows_read;
        show("job-read", job.rows_read);
        show("job-total", job.rows_total);
        show("job-accepted", job.rows_accepted);
        show("job-rejected", job.rows_rejected);
        document.getElementById("job-state").textContent =
          job.state === "queued" ? words.queued || "Waiting for a worker to take it…"
            : job.rows_total ? words.importing || "Importing…"
              : words.reading || "Reading and checking the files…";
        document.getElementById("job-stalled").hidden = !job.stalled;
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 1000);
})();
