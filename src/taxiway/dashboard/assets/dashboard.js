// taxiway dashboard: draws the charts from the JSON in #dashboard-data and makes the
// tables sortable. Sets <body data-charts-ready> to the number of charts drawn so far.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var config = { displayModeBar: false, responsive: true };
  var font = { family: "system-ui, -apple-system, Segoe UI, sans-serif", size: 12 };
  var colors = { curated: "#2a9d8f", duplicates: "#e9c46a", quarantined: "#e76f51" };

  function layout(extra) {
    var base = {
      font: font,
      margin: { l: 60, r: 16, t: 8, b: 48 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      legend: { orientation: "h", y: -0.2 },
      hovermode: "closest",
    };
    for (var k in extra) base[k] = extra[k];
    return base;
  }

  function col(rows, key) {
    return rows.map(function (r) { return r[key]; });
  }

  function done(id, points) {
    var el = document.getElementById(id);
    el.dataset.rendered = "1";
    el.dataset.points = String(points);
    var body = document.body;
    body.dataset.chartsReady = String(Number(body.dataset.chartsReady) + 1);
  }

  function draw(id, traces, lay, points) {
    var el = document.getElementById(id);
    if (!points) {
      el.innerHTML = '<p class="empty">nothing to show</p>';
      done(id, 0);
      return;
    }
    Plotly.newPlot(el, traces, layout(lay), config).then(function () { done(id, points); });
  }

  var hours = data.hours;
  // "YYYY-MM-DDTHH" -> a date axis, so 24 or 240 hours get readable ticks
  var hourX = col(hours, "hour").map(function (h) { return h.replace("T", " ") + ":00"; });
  draw("chart-hours", ["curated", "duplicates", "quarantined"].map(function (k) {
    return { type: "bar", name: k, x: hourX, y: col(hours, k), marker: { color: colors[k] },
             hovertemplate: "%{x|%Y-%m-%d %H:00}<br>" + k + ": %{y:,}<extra></extra>" };
  }), { barmode: "stack", height: 300, xaxis: { type: "date" },
        yaxis: { title: { text: "records" } }, margin: { l: 70, r: 16, t: 30, b: 40 },
        legend: { orientation: "h", x: 0, y: 1.12, traceorder: "normal" } },
  hours.length);

  var reasons = data.reasons.slice().reverse();
  draw("chart-reasons", [{
    type: "bar", orientation: "h", x: col(reasons, "records"), y: col(reasons, "reason"),
    marker: { color: colors.quarantined }, text: col(reasons, "records"),
    textposition: "auto", hovertemplate: "%{y}: %{x:,}<extra></extra>",
  }], { height: 280, margin: { l: 170, r: 16, t: 8, b: 40 } }, reasons.length);

  var funnel = data.funnel;
  var latest = funnel.length ? funnel[funnel.length - 1].date : null;
  draw("chart-funnel", funnel.map(function (r) {
    return {
      type: "funnel", name: r.date, y: ["page view", "add to cart", "conversion"],
      x: [r.page_view_users, r.add_to_cart_users, r.conversion_users],
      texttemplate: "%{value:,}<br>%{percentInitial:.0%}", visible: r.date === latest ? true : "legendonly",
    };
  }), { height: 340, margin: { l: 100, r: 16, t: 8, b: 40 }, legend: { orientation: "h", y: -0.08 } },
  funnel.length);

  var attribution = data.attribution.slice().reverse();
  draw("chart-attribution", [{
    type: "bar", orientation: "h", x: col(attribution, "revenue"), y: col(attribution, "campaign"),
    customdata: col(attribution, "conversions"),
    marker: { color: attribution.map(function (r) {
      return r.campaign === "(unattributed)" ? "#adb5bd" : "#264653"; }) },
    hovertemplate: "%{y}<br>revenue %{x:,.2f}<br>%{customdata:,} conversions<extra></extra>",
  }], { height: Math.max(300, 18 * attribution.length + 60),
        margin: { l: 110, r: 16, t: 8, b: 40 }, xaxis: { title: { text: "revenue" } } },
  attribution.length);

  var late = data.late;
  draw("chart-late", [{
    type: "bar", x: col(late, "date"), y: col(late, "events"), marker: { color: "#8d99ae" },
    text: col(late, "events"), textposition: "auto",
    hovertemplate: "%{x}: %{y:,} late events<extra></extra>",
  }], { height: 300, xaxis: { type: "category" }, yaxis: { title: { text: "events" } } },
  late.length);

  // sortable tables: click a header; numbers sort by their raw data-value
  document.querySelectorAll("table.sortable th").forEach(function (th, index) {
    th.addEventListener("click", function () {
      var table = th.closest("table");
      var tbody = table.tBodies[0];
      var desc = th.dataset.sort !== "desc";
      table.querySelectorAll("th").forEach(function (h) { delete h.dataset.sort; });
      th.dataset.sort = desc ? "desc" : "asc";
      var rows = Array.prototype.slice.call(tbody.rows);
      rows.sort(function (a, b) {
        var x = a.cells[index].dataset.value, y = b.cells[index].dataset.value;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny;
        return desc ? -c : c;
      });
      rows.forEach(function (r) { tbody.appendChild(r); });
    });
  });
})();
