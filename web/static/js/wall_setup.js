// The wall screen's playlist form: each slide row shows only the choices its kind uses
// (a board needs a challenge, a KPI tile a KPI, a team and a period). Without this script
// every choice shows, and the server ignores the ones a kind does not use.
"use strict";
(function () {
  const USES = {
    board: ["kind", "challenge_id"],
    team_battle: ["kind", "challenge_id"],
    kpi: ["kind", "kpi", "team_id", "period"],
    wins: ["kind", "team_id"],
    "": ["kind"],
  };
  document.querySelectorAll(".slide-row").forEach((row) => {
    const kind = row.querySelector("[data-field=kind] select");
    if (!kind) return;
    const fit = () => {
      const used = USES[kind.value] || USES[""];
      row.querySelectorAll("[data-field]").forEach((field) => {
        field.hidden = !used.includes(field.dataset.field);
      });
    };
    kind.addEventListener("change", fit);
    fit();
  });
})();
