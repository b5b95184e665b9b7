// Live progress on the compute pages. It polls the small JSON status endpoints named by the
// page's data attributes; a static file, not inline script, so a strict Content-Security-Policy
// (script-src 'self') allows it.
(function () {
  "use strict";

  function describe(p) {
    if (!p) return "";
    if (p.cells !== undefined) return "sweep cells " + p.cells_done + "/" + p.cells;
    if (p.seeds === undefined) return "";
    let text = "seeds " + p.seeds_done + "/" + p.seeds;
    if (p.rows) text += ", " + p.rows + " metric rows";
    if (p.last) {
      text += "; latest: " + Object.entries(p.last)
        .map(function (kv) { return kv[0] + "=" + JSON.stringify(kv[1]); }).join(", ");
    }
    return text;
  }

  function active(state) { return state === "queued" || state === "running"; }

  // My runs: every row's state, progress and time used.
  const table = document.querySelector("table[data-status-url]");
  if (table) {
    const poll = async function () {
      const r = await fetch(table.dataset.statusUrl, {credentials: "same-origin"});
      if (!r.ok) return;
      let any = false;
      for (const run of (await r.json()).runs) {
        const row = table.querySelector('tr[data-run="' + run.id + '"]');
        if (!row) continue;
        row.querySelector(".state").textContent =
          run.state + (run.stop_reason ? " (" + run.stop_reason + ")" : "");
        row.querySelector(".progress").textContent = describe(run.progress);
        row.querySelector(".used").textContent = run.used_s.toFixed(1) + " s";
        if (active(run.state)) any = true;
      }
      if (any) setTimeout(poll, 2000);
    };
    poll();
  }

  // A run's page: state, progress and log while it runs; reload once it has ended.
  const page = document.querySelector("[data-run-status-url]");
  if (page && page.dataset.active === "true") {
    const poll = async function () {
      const r = await fetch(page.dataset.runStatusUrl, {credentials: "same-origin"});
      if (!r.ok) return;
      const s = await r.json();
      document.getElementById("run-state").textContent = s.state;
      document.getElementById("used").textContent = s.used_s.toFixed(1);
      const text = describe(s.progress);
      if (text) document.getElementById("progress").textContent = "Progress: " + text;
      document.getElementById("log").textContent = s.log_tail;
      if (active(s.state)) setTimeout(poll, 1000);
      else window.location.reload();
    };
    setTimeout(poll, 1000);
  }
})();
