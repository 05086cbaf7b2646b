/**
 * The dashboard page: one HTML document with its own script and styles (no build
 * step, no CDN: the machine running it may have no internet). Live data arrives
 * over server-sent events from /api/events; charts are small inline SVGs.
 */
export const PAGE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>millrace</title>
<style>
  :root { --fg:#1d2733; --muted:#6b7785; --line:#dde3ea; --accent:#2f6fb2; --bg:#f7f9fb; --warn:#b25b2f; }
  * { box-sizing: border-box; }
  body { margin:0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg);
    background:var(--bg); }
  header { display:flex; align-items:center; gap:24px; padding:10px 20px; background:#12324f; color:#fff; }
  header h1 { font-size:18px; margin:0; letter-spacing:.5px; }
  header .title { color:#c9d8e8; font-size:13px; }
  header .status { margin-left:auto; font-size:12px; color:#c9d8e8; }
  nav { display:flex; gap:4px; padding:0 20px; background:#fff; border-bottom:1px solid var(--line); }
  nav button { border:0; background:none; padding:10px 14px; font:inherit; cursor:pointer; color:var(--muted);
    border-bottom:2px solid transparent; }
  nav button.active { color:var(--fg); border-bottom-color:var(--accent); }
  main { padding:16px 20px; }
  section { display:none; } section.active { display:block; }
  .charts { display:grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap:12px; margin-bottom:16px; }
  .card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:10px 12px; }
  .card h3 { margin:0 0 6px; font-size:13px; font-weight:600; }
  .card .stat { font-size:12px; color:var(--muted); }
  table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); margin-bottom:16px; }
  th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); font-size:13px; white-space:nowrap; }
  th { background:#eef2f6; font-weight:600; }
  td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
  h2 { font-size:15px; margin:18px 0 8px; }
  svg.chart { width:100%; height:120px; display:block; }
  svg.chart polyline { fill:none; stroke:var(--accent); stroke-width:1.5; }
  svg.chart polyline.p99 { stroke:var(--warn); }
  svg.chart text { font-size:10px; fill:var(--muted); }
  .empty { color:var(--muted); font-style:italic; }
  pre.output { background:#fff; border:1px solid var(--line); padding:10px; font-size:13px; }
  .browser form { display:flex; gap:8px; align-items:center; margin-bottom:8px; }
  .browser pre { margin:0; white-space:pre-wrap; word-break:break-all; font-size:12px; max-width:900px; }
  .fill { background:#eef2f6; border-radius:3px; height:10px; width:120px; display:inline-block;
    vertical-align:middle; }
  .fill span { display:block; height:10px; border-radius:3px; background:var(--accent); }
</style>
</head>
<body>
<header><h1>millrace</h1><span class="title" id="title"></span>
  <span class="status" id="status">connecting…</span></header>
<nav>
  <button data-view="streaming" class="active">Streaming</button>
  <button data-view="topics">Topics</button>
  <button data-view="agents">Agents</button>
  <button data-view="output">Output</button>
</nav>
<main>
<section id="streaming" class="active">
  <div id="streaming-body"><p class="empty">No streaming application is running.</p></div></section>
<section id="topics">
  <div id="topics-body"><p class="empty">No topics.</p></div>
  <h2>Consumer groups</h2><div id="groups-body"><p class="empty">No consumer groups.</p></div>
  <h2>Message browser</h2>
  <div class="browser">
    <form id="browse"><label>topic <select id="b-topic"></select></label>
      <label>partition <input id="b-partition" type="number" min="0" value="0" style="width:60px"></label>
      <label>offset <input id="b-offset" value="latest" style="width:90px"></label>
      <button type="submit">Show</button></form>
    <div id="messages"><p class="empty">Choose a topic.</p></div>
  </div>
</section>
<section id="agents"><div id="agents-body"><p class="empty">No agent is running.</p></div></section>
<section id="output"><div id="output-body"><p class="empty">No output yet.</p></div></section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const fmt = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n)) ? "–" :
  Number(n).toLocaleString("en-US", { maximumFractionDigits: d });
const fmtBytes = (n) => n === undefined || n === null ? "–" : n < 1024 ? n + " B" : n < 1048576 ?
  (n / 1024).toFixed(1) + " KiB" : (n / 1048576).toFixed(1) + " MiB";

for (const b of document.querySelectorAll("nav button")) {
  b.addEventListener("click", () => {
    for (const x of document.querySelectorAll("nav button")) x.classList.toggle("active", x === b);
    for (const s of document.querySelectorAll("section")) s.classList.toggle("active", s.id === b.dataset.view);
  });
}

/** A line chart of [x, y] points (one or more series) as an inline SVG. */
function chart(series, unit) {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return '<svg class="chart" data-points="0"></svg>';
  const W = 340, H = 120, L = 44, B = 16;
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1), y1 = Math.max(...ys, 1e-9);
  const px = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - 4);
  const py = (y) => H - B - (y / y1) * (H - B - 6);
  const lines = series.map((s) => '<polyline class="' + (s.cls || "") + '" points="' +
    s.points.map((p) => px(p[0]).toFixed(1) + "," + py(p[1]).toFixed(1)).join(" ") + '"/>').join("");
  return '<svg class="chart" viewBox="0 0 ' + W + " " + H + '" preserveAspectRatio="none" ' +
    'data-points="' + all.length + '">' +
    '<text x="2" y="10">' + fmt(y1, 1) + " " + unit + '</text><text x="2" y="' + (H - B) + '">0</text>' +
    '<line x1="' + L + '" y1="' + (H - B) + '" x2="' + W + '" y2="' + (H - B) + '" stroke="#dde3ea"/>' +
    lines + "</svg>";
}

function renderStreaming(apps) {
  if (!apps || apps.length === 0) {
    $("streaming-body").innerHTML = '<p class="empty">No streaming application is running.</p>'; return; }
  let html = "";
  for (const a of apps) {
    const done = a.batches.filter((b) => b.status !== "queued" && b.status !== "running");
    const pts = (f) => done.map((b) => [b.time, b[f]]);
    const avg = (f) => done.length ? done.reduce((s, b) => s + b[f], 0) / done.length : NaN;
    html += "<h2>" + esc(a.app) + ' <span class="stat">batch interval ' + fmt(a.batchInterval) + " ms · " +
      a.batches.length + " batches</span></h2>";
    html += '<div class="charts">';
    html += '<div class="card"><h3>Input rate</h3><div class="stat">avg ' + fmt(avg("inputRate"), 1) +
      " records/s</div>" + chart([{ points: pts("inputRate") }], "rec/s") + "</div>";
    html += '<div class="card"><h3>Scheduling delay</h3><div class="stat">avg ' + fmt(avg("schedulingDelay"), 1) +
      " ms</div>" + chart([{ points: pts("schedulingDelay") }], "ms") + "</div>";
    html += '<div class="card"><h3>Processing time</h3><div class="stat">avg ' + fmt(avg("processingTime"), 1) +
      " ms</div>" + chart([{ points: pts("processingTime") }], "ms") + "</div>";
    html += '<div class="card"><h3>Total delay</h3><div class="stat">avg ' + fmt(avg("totalDelay"), 1) + " ms</div>" +
      chart([{ points: pts("totalDelay") }], "ms") + "</div>";
    if (a.latency && a.latency.length) {
      const last = a.latency[a.latency.length - 1];
      html += '<div class="card"><h3>End-to-end latency (appended → processed)</h3><div class="stat">p50 ' +
        fmt(last.p50, 1) + " ms · p99 " + fmt(last.p99, 1) + " ms</div>" +
        chart([{ points: a.latency.map((l) => [l.time, l.p50]) }, { points: a.latency.map((l) => [l.time, l.p99]),
          cls: "p99" }], "ms") + "</div>";
    }
    html += "</div>";
    html += '<table><tr><th>Batch time</th><th class="num">Records</th><th class="num">Scheduling delay</th>' +
      '<th class="num">Processing time</th><th class="num">Total delay</th><th>Status</th></tr>';
    for (const b of a.batches.slice(-15).reverse()) {
      html += "<tr><td>" + new Date(b.time).toLocaleTimeString() + "." + String(b.time % 1000).padStart(3, "0") +
        '</td><td class="num">' + fmt(b.records) + '</td><td class="num">' + fmt(b.schedulingDelay) + ' ms</td>' +
        '<td class="num">' + fmt(b.processingTime) + ' ms</td><td class="num">' + fmt(b.totalDelay) + " ms</td><td>" +
        esc(b.status || "completed") + "</td></tr>";
    }
    html += "</table>";
  }
  $("streaming-body").innerHTML = html;
}

function renderTopics(topics, groups) {
  if (!topics.length) $("topics-body").innerHTML = '<p class="empty">No topics.</p>';
  else {
    let html = '<table><tr><th>Topic</th><th class="num">Partition</th><th class="num">Log start</th>' +
      '<th class="num">Log end</th><th class="num">Size</th><th class="num">Messages/s</th></tr>';
    for (const t of topics) for (const p of t.partitions)
      html += "<tr><td>" + esc(t.name) + '</td><td class="num">' + p.partition + '</td><td class="num">' +
        fmt(p.logStart) + '</td><td class="num">' + fmt(p.logEnd) + '</td><td class="num">' + fmtBytes(p.size) +
        '</td><td class="num">' + fmt(p.rate, 1) + "</td></tr>";
    $("topics-body").innerHTML = html + "</table>";
  }
  const sel = $("b-topic"), cur = sel.value;
  const names = topics.map((t) => t.name);
  if (sel.options.length !== names.length || names.some((n, i) => sel.options[i].value !== n)) {
    sel.innerHTML = names.map((n) => "<option" + (n === cur ? " selected" : "") + ">" + esc(n) + "</option>").join("");
  }
  if (!groups.length) { $("groups-body").innerHTML = '<p class="empty">No consumer groups.</p>'; return; }
  let g = '<table><tr><th>Group</th><th>State</th><th class="num">Members</th><th>Topic</th>' +
    '<th class="num">Partition</th><th class="num">Committed</th><th class="num">Log end</th>' +
    '<th class="num">Lag</th></tr>';
  for (const gr of groups) for (const p of gr.partitions)
    g += "<tr><td>" + esc(gr.group) + "</td><td>" + esc(gr.state) + '</td><td class="num">' + gr.members + "</td><td>" +
      esc(p.topic) + '</td><td class="num">' + p.partition + '</td><td class="num">' + fmt(p.committed) + '</td>' +
      '<td class="num">' + fmt(p.logEnd) + '</td><td class="num">' + fmt(p.lag) + "</td></tr>";
  $("groups-body").innerHTML = g + "</table>";
}

function renderAgents(agents) {
  const names = Object.keys(agents || {});
  if (!names.length) { $("agents-body").innerHTML = '<p class="empty">No agent is running.</p>'; return; }
  let html = "";
  for (const a of names) {
    html += "<h2>Agent " + esc(a) + "</h2>";
    const comps = agents[a];
    for (const type of ["SOURCE", "CHANNEL", "SINK"]) {
      const rows = Object.entries(comps).filter(([k]) => k.startsWith(type + "."));
      if (!rows.length) continue;
      const keys = Object.keys(rows[0][1]).filter((k) => k !== "Type" && k !== "StartTime" && k !== "StopTime");
      html += "<table><tr><th>" + type.toLowerCase() + "</th>" + (type === "CHANNEL" ? "<th>Fill</th>" : "") +
        keys.map((k) => '<th class="num">' + esc(k) + "</th>").join("") + "</tr>";
      for (const [name, c] of rows) {
        const fill = Number(c.ChannelFillPercentage || 0);
        html += "<tr><td>" + esc(name.slice(type.length + 1)) + "</td>" + (type === "CHANNEL" ?
          '<td><span class="fill"><span style="width:' + Math.min(100, fill) + '%"></span></span> ' +
          fill.toFixed(1) + "%</td>" : "") +
          keys.map((k) => '<td class="num">' + fmt(Number(c[k]), 1) + "</td>").join("") + "</tr>";
      }
      html += "</table>";
    }
  }
  $("agents-body").innerHTML = html;
}

function renderOutput(out) {
  if (!out) return;
  $("output-body").innerHTML = "<h2>" + esc(out.title) + ' <span class="stat">' +
    new Date(out.time).toLocaleTimeString() + "</span></h2><pre class=\"output\">" +
    esc(out.lines.join("\n")) + "</pre>";
}

function render(s) {
  $("title").textContent = s.title;
  $("status").textContent = "live · " + new Date(s.time).toLocaleTimeString();
  renderStreaming(s.streaming);
  renderTopics(s.topics, s.groups);
  renderAgents(s.agents);
  renderOutput(s.output);
}

$("browse").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const q = new URLSearchParams({ topic: $("b-topic").value, partition: $("b-partition").value,
    offset: $("b-offset").value.trim() || "latest", limit: "20" });
  const r = await fetch("/api/messages?" + q);
  const msgs = await r.json();
  if (!r.ok) { $("messages").innerHTML = '<p class="empty">' + esc(msgs.error || r.statusText) + "</p>"; return; }
  if (!msgs.length) { $("messages").innerHTML = '<p class="empty">No messages there.</p>'; return; }
  let html = '<table class="messages"><tr><th class="num">Offset</th><th>Time</th><th>Key</th><th>Format</th>' +
    '<th>Value</th></tr>';
  for (const m of msgs) {
    const v = m.format === "json" || (m.format === "avro-flume-event" && typeof m.value === "object") ?
      JSON.stringify(m.value, null, 1) : String(m.value);
    const h = m.headers ? "headers " + JSON.stringify(m.headers) + "\n" : "";
    html += '<tr><td class="num">' + esc(m.offset) + "</td><td>" + new Date(m.timestamp).toLocaleTimeString() +
      "</td><td>" + esc(m.key ?? "") + "</td><td>" + esc(m.format) + '</td><td><pre class="value">' + esc(h + v) +
      "</pre></td></tr>";
  }
  $("messages").innerHTML = html + "</table>";
});

function connect() {
  const es = new EventSource("/api/events");
  es.addEventListener("snapshot", (e) => render(JSON.parse(e.data)));
  es.onerror = () => { $("status").textContent = "reconnecting…"; };
}
connect();
</script>
</body>
</html>
`;
