// Draws a report's chart with Chart.js (served from node_modules); the table below stays the full record.
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("report-chart");
    var source = document.getElementById("report-chart-data");
    if (!canvas || !source || typeof window.Chart === "undefined") {
      var figure = canvas && canvas.closest("figure");
      if (figure) { figure.hidden = true; }  // no chart library: the table says it all
      return;
    }
    var spec = JSON.parse(source.textContent);
    var palette = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2"];
    var chart = new window.Chart(canvas, {
      type: spec.kind,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (set, i) {
          return {label: set.label, data: set.data, backgroundColor: palette[i % palette.length],
                  borderColor: palette[i % palette.length]};
        })
      },
      options: {
        responsive: true,
        animation: false,
        scales: {y: {beginAtZero: true, title: {display: true, text: spec.y_label}}}
      }
    });
    canvas.dataset.drawn = String(chart.data.datasets.length);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
