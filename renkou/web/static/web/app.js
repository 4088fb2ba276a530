// Renkou page behaviour. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";

  // Charts: <div class="chart" data-chart-source="id-of-json-script" data-chart-type="bar">
  function drawCharts(root) {
    if (typeof echarts === "undefined") { return; }
    root.querySelectorAll("[data-chart-source]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var source = document.getElementById(el.dataset.chartSource);
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption({
        animation: false,
        tooltip: { trigger: "axis" },
        grid: { left: 40, right: 20, top: 20, bottom: 40 },
        xAxis: { type: "category", data: data.labels },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: el.dataset.chartType || "bar", data: data.values, itemStyle: { color: "#8b1a1a" } }]
      });
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });
})();
