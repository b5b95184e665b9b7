// Live progress of lab runs (the compute pages), kept out of the templates so that the
// Content-Security-Policy can forbid inline script. A page opts in with a data attribute:
//   <table data-runs-status-url="...">   rows <tr data-run="ID"> with .state, .progress, .used
//                                       cells; polled every 2 s while any run is active.
//   <div data-run-status-url="...">      one run's page: #run-state, #used, #progress, #log;
//                                       polled every second, reloaded once the run has ended.
(function () {
  "use strict";

  function describe(p) {
    if (p && p.cells !== undefined) { return "cells " + p.cells_done + "/" + p.cells; }
    if (!p || p.seeds === undefined) { return ""; }
    var text = "seeds " + p.seeds_done + "/" + p.seeds;
    if (p.rows) { text += " \u00b7 " + p.rows + " metric rows"; }
    return text;
  }

  function isActive(state) { return state === "queued" || state === "running"; }

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; });
  }

  function setText(root, selector, text) {
    var el = root.querySelector(selector);
    if (el) { el.textContent = text; }
  }

  function pollRuns(table) {
    getJSON(table.dataset.runsStatusUrl).then(function (data) {
      if (!data) { return; }
      var active = false;
      data.runs.forEach(function (run) {
        var row = table.querySelector('tr[data-run="' + String(run.id).replace(/"/g, "") + '"]');
        if (!row) { return; }
        setText(row, ".state", run.state + (run.stop_reason ? " (" + run.stop_reason + ")" : ""));
        setText(row, ".progress", describe(run.progress));
        setText(row, ".used", run.used_s.toFixed(1) + " s");
        if (isActive(run.state)) { active = true; }
      });
      if (active) { window.setTimeout(function () { pollRuns(table); }, 2000); }
    });
  }

  function pollRun(marker) {
    getJSON(marker.dataset.runStatusUrl).then(function (s) {
      if (!s) { return; }
      setText(document, "#run-state", s.state);
      setText(document, "#used", s.used_s.toFixed(1));
      var p = s.progress || {};
      if (p.cells !== undefined) {
        setText(document, "#progress", "Progress: sweep cells " + p.cells_done + "/" + p.cells);
      } else if (p.seeds !== undefined) {
        var latest = p.last ? "; latest: " + Object.keys(p.last).map(function (k) {
          return k + "=" + JSON.stringify(p.last[k]);
        }).join(", ") : "";
        setText(document, "#progress", "Progress: seeds " + p.seeds_done + "/" + p.seeds +
          (p.rows ? ", " + p.rows + " metric rows" : "") + latest);
      }
      setText(document, "#log", s.log_tail);
      if (isActive(s.state)) {
        window.setTimeout(function () { pollRun(marker); }, 1000);
      } else {
        window.location.reload();
      }
    });
  }

  function start() {
    document.querySelectorAll("[data-runs-status-url]").forEach(pollRuns);
    document.querySelectorAll("[data-run-status-url]").forEach(function (marker) {
      window.setTimeout(function () { pollRun(marker); }, 1000);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
