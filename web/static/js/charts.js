/* Draws every <figure class="chart"> from the table of numbers it holds (see
   templates/_chart.html), with Chart.js from web/static/vendor. Colours and fonts come from the
   design tokens (tokens.css), so dark mode and the type follow the page. Without the library
   the table is still there: nothing is lost. */
(function () {
  "use strict";
  if (!window.Chart) return;
  var root = getComputedStyle(document.documentElement);
  function token(name) { return root.getPropertyValue(name).trim(); }
  var SERIES = ["--chart-1", "--chart-2", "--chart-3", "--chart-4"].map(token);

  Chart.defaults.font.family = token("--font-sans") || "system-ui, sans-serif";
  Chart.defaults.font.size = 13;
  Chart.defaults.color = token("--chart-ink");
  Chart.defaults.borderColor = token("--chart-grid");
  Chart.defaults.animation = window.matchMedia("(prefers-reduced-motion: reduce)").matches
    ? false : { duration: 400 };

  // The page's language: the server writes these words on this script tag (data-words).
  var script = document.currentScript;
  var WORDS = Object.assign({ days: "{value} d", pts: "{value} pts", percent: "{value} %", range: "{low} to {high}" },
    script && script.dataset.words ? JSON.parse(script.dataset.words) : {});
  var LANG = document.documentElement.lang || undefined;
  var compact = new Intl.NumberFormat(LANG, { notation: "compact", maximumFractionDigits: 1 });
  var plain = new Intl.NumberFormat(LANG, { maximumFractionDigits: 2 });
  function say(words, values) {
    return words.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  function formatter(unit, signed) {
    return function (value) {
      if (value === null || value === undefined || isNaN(value)) return "";
      var sign = signed && value > 0 ? "+" : "";
      if (unit === "fraction" || unit === "percent") return say(signed ? WORDS.pts : WORDS.percent, { value: sign + plain.format(Math.round(value * 1000) / 10) });
      if (unit === "days") return say(WORDS.days, { value: sign + plain.format(value) });
      if (unit === "currency") return sign + compact.format(value);
      return sign + plain.format(value);
    };
  }

  function readTable(figure) {
    var heads = Array.prototype.map.call(figure.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    var rows = Array.prototype.map.call(figure.querySelectorAll("tbody tr"), function (tr) {
      return {
        label: tr.querySelector("th").textContent.trim(),
        values: Array.prototype.map.call(tr.querySelectorAll("td"), function (td) {
          var raw = td.getAttribute("data-value");
          return raw === "" || raw === null ? null : Number(raw);
        }),
        shown: Array.prototype.map.call(tr.querySelectorAll("td"), function (td) {
          return td.textContent.trim();
        }),
      };
    });
    return { series: heads.slice(1), rows: rows };
  }

  function axis(title, extra) {
    var scale = { title: { display: true, text: title, font: { weight: "600" } },
                  grid: { color: token("--chart-grid") }, ticks: {} };
    for (var key in extra) scale[key] = extra[key];
    return scale;
  }

  // Long category names (a challenge, a mission) are cut on the axis, shorter on a phone; the
  // table has them whole. The cut is in the middle: two names that begin alike ("Demo: spring
  // meeting blitz", "Demo: meeting blitz") still end apart.
  function shortLabel(value) {
    var label = String(this.getLabelForValue(value));
    var most = this.chart.width < 480 ? 18 : 26;
    if (label.length <= most) return label;
    var head = Math.ceil((most - 1) / 2);
    return label.slice(0, head).trimEnd() + "…" + label.slice(label.length - (most - 1 - head)).trimStart();
  }

  function namesAxis(title) {
    return axis(title, { grid: { display: false }, ticks: { callback: shortLabel } });
  }

  // A vertical line at zero: on a forest plot an interval that crosses it claims nothing.
  var zeroLine = {
    id: "zeroLine",
    afterDatasetsDraw: function (chart) {
      var x = chart.scales.x;
      if (!x || x.min > 0 || x.max < 0) return;
      var at = x.getPixelForValue(0), ctx = chart.ctx, area = chart.chartArea;
      ctx.save();
      ctx.strokeStyle = token("--ink");
      ctx.setLineDash([4, 4]);
      ctx.beginPath(); ctx.moveTo(at, area.top); ctx.lineTo(at, area.bottom); ctx.stroke();
      ctx.restore();
    },
  };

  function shownTooltip(data) {
    return { callbacks: { label: function (item) {
      var row = data.rows[item.dataIndex];
      var name = item.dataset.label ? item.dataset.label + ": " : "";
      return name + (row ? row.shown[item.datasetIndex] || "" : "");
    } } };
  }

  function categorical(kind, data, fig) {
    var horizontal = kind === "hbar";
    // Counts tick in whole numbers: "0.5 deals" is not a thing.
    var ticks = fig.unit === "count" ? { callback: formatter(fig.unit), precision: 0 }
                                     : { callback: formatter(fig.unit) };
    var values = axis(fig.valueTitle, { beginAtZero: true, ticks: ticks });
    var labels = horizontal ? namesAxis(fig.labelTitle) : axis(fig.labelTitle, { grid: { display: false } });
    return {
      type: kind === "line" ? "line" : "bar",
      data: {
        labels: data.rows.map(function (r) { return r.label; }),
        datasets: data.series.map(function (name, i) {
          var colour = SERIES[i % SERIES.length];
          return { label: name, data: data.rows.map(function (r) { return r.values[i]; }),
                   backgroundColor: colour, borderColor: colour, borderWidth: 2,
                   borderRadius: 4, pointRadius: 4, spanGaps: true, tension: 0.2 };
        }),
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        scales: horizontal ? { x: values, y: labels } : { x: labels, y: values },
        plugins: { legend: { display: data.series.length > 1,
                             labels: { usePointStyle: true, pointStyle: "circle", boxHeight: 8 } },
                   tooltip: shownTooltip(data) },
      },
    };
  }

  function scatter(data, fig) {
    var most = Math.max.apply(null, data.rows.map(function (r) { return r.values[0] || 0; }).concat([0]));
    return {
      type: "scatter",
      data: { datasets: [{
        label: data.series[1],
        data: data.rows.map(function (r) { return { x: r.values[0], y: r.values[1] }; }),
        backgroundColor: SERIES[0], pointRadius: 4,
      }] },
      options: {
        // Whole missions from 0 to one past the most done, so no dot sits on the edge.
        scales: { x: axis(fig.labelTitle, { min: 0, max: most + 1, ticks: { precision: 0 } }), y: axis(fig.valueTitle, { ticks: { callback: formatter(fig.unit, true) } }) },
        plugins: { legend: { display: false }, tooltip: shownTooltip(data) },
      },
    };
  }

  function forest(data, fig) {
    // Columns: estimate, low, high. The interval as a floating bar, the estimate as a dot.
    var labels = data.rows.map(function (r) { return r.label; });
    return {
      type: "bar",
      data: { labels: labels, datasets: [
        { type: "line", label: data.series[0], showLine: false, pointRadius: 6,
          pointBackgroundColor: SERIES[0], borderColor: SERIES[0],
          data: data.rows.map(function (r) { return r.values[0]; }) },
        { type: "bar", label: data.series[1] + " – " + data.series[2], barThickness: 6,
          backgroundColor: SERIES[1], borderRadius: 3,
          data: data.rows.map(function (r) {
            return r.values[1] === null || r.values[2] === null ? null : [r.values[1], r.values[2]];
          }) },
      ] },
      options: {
        indexAxis: "y",
        scales: { x: axis(fig.valueTitle, { ticks: { callback: formatter(fig.unit, true) } }),
                  y: namesAxis(fig.labelTitle) },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (item) {
          var row = data.rows[item.dataIndex];
          return row.shown[0] + " (" + say(WORDS.range, { low: row.shown[1], high: row.shown[2] }) + ")";
        } } } },
      },
      plugins: [zeroLine],
    };
  }

  function draw(figure) {
    var canvas = figure.querySelector("canvas");
    if (!canvas) return;
    var kind = figure.getAttribute("data-kind");
    var data = readTable(figure);
    var fig = { unit: figure.getAttribute("data-unit"),
                labelTitle: figure.getAttribute("data-x-title"),
                valueTitle: figure.getAttribute("data-y-title") };
    if (kind === "hbar" || kind === "forest") {
      // Horizontal charts grow with their rows so every label stays readable.
      canvas.parentNode.style.height = (72 + 36 * Math.max(data.rows.length, 1)) + "px";
    }
    var config = kind === "scatter" ? scatter(data, fig)
      : kind === "forest" ? forest(data, fig) : categorical(kind, data, fig);
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    new Chart(canvas, config);
  }

  Array.prototype.forEach.call(document.querySelectorAll("figure.chart"), draw);
})();
