// Statistics dashboard charts. Data come from <script type="application/json"> blocks; labels
// from data-* attributes (translated by the template). No inline script: the CSP forbids it.
(function () {
  "use strict";

  var RED = "#8b1a1a", BLUE = "#2f5d8a";

  function toolbox(name) {
    return { feature: { saveAsImage: { name: name, pixelRatio: 2, backgroundColor: "#fff" } } };
  }

  function pyramid(el, data) {
    return {
      animation: false,
      toolbox: toolbox(el.dataset.title || "pyramid"),
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" },
        valueFormatter: function (v) { return Math.abs(v); }
      },
      legend: { data: [el.dataset.male, el.dataset.female], top: 0 },
      grid: { left: 50, right: 20, top: 30, bottom: 30 },
      xAxis: { type: "value", axisLabel: { formatter: function (v) { return Math.abs(v); } } },
      yAxis: { type: "category", data: data.labels, axisTick: { show: false } },
      series: [
        { name: el.dataset.male, type: "bar", stack: "p", data: data.male, itemStyle: { color: BLUE } },
        { name: el.dataset.female, type: "bar", stack: "p", data: data.female, itemStyle: { color: RED } }
      ]
    };
  }

  function srb(el, data) {
    var labels = data.labels.map(function (l) { return l === "all" ? el.dataset.all : el.dataset.order + " " + l; });
    var bars = data.lower.map(function (low, i) {
      return low === null || data.upper[i] === null ? null : [i, low, data.upper[i]];
    }).filter(function (x) { return x !== null; });
    return {
      animation: false,
      toolbox: toolbox(el.dataset.title || "srb"),
      tooltip: { trigger: "axis" },
      grid: { left: 50, right: 20, top: 30, bottom: 30 },
      xAxis: { type: "category", data: labels },
      yAxis: { type: "value", scale: true, name: "♂/100♀" },
      series: [
        {
          type: "scatter", data: data.value, symbolSize: 12, itemStyle: { color: RED },
          markLine: { silent: true, symbol: "none", lineStyle: { color: "#999", type: "dashed" },
                      data: [{ yAxis: 103 }, { yAxis: 107 }] }
        },
        {
          type: "custom", name: "95% CI", data: bars, itemStyle: { color: "#333" },
          renderItem: function (params, api) {
            var x = api.value(0), low = api.coord([x, api.value(1)]), high = api.coord([x, api.value(2)]);
            var half = api.size([1, 0])[0] * 0.1;
            var style = { stroke: "#333", lineWidth: 1.5 };
            return { type: "group", children: [
              { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style: style },
              { type: "line", shape: { x1: low[0] - half, y1: low[1], x2: low[0] + half, y2: low[1] }, style: style },
              { type: "line", shape: { x1: high[0] - half, y1: high[1], x2: high[0] + half, y2: high[1] }, style: style }
            ] };
          },
          encode: { x: 0, y: [1, 2] }, z: 1
        }
      ]
    };
  }

  function trend(el, data) {
    var s = data.series;
    return {
      animation: false,
      toolbox: toolbox(el.dataset.title || "trend"),
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [el.dataset.births, el.dataset.deaths, el.dataset.cbr, el.dataset.cdr] },
      grid: { left: 50, right: 50, top: 40, bottom: 30 },
      xAxis: { type: "category", data: data.labels },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", name: "‰" }],
      series: [
        { name: el.dataset.births, type: "line", data: s.births, itemStyle: { color: RED } },
        { name: el.dataset.deaths, type: "line", data: s.deaths, itemStyle: { color: "#555" } },
        { name: el.dataset.cbr, type: "line", yAxisIndex: 1, data: s.crude_birth_rate, lineStyle: { type: "dashed" }, itemStyle: { color: RED } },
        { name: el.dataset.cdr, type: "line", yAxisIndex: 1, data: s.crude_death_rate, lineStyle: { type: "dashed" }, itemStyle: { color: "#555" } }
      ]
    };
  }

  var BUILDERS = { pyramid: pyramid, srb: srb, trend: trend };

  function draw(root) {
    if (typeof echarts === "undefined") { return; }
    root.querySelectorAll("[data-analytics-chart]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var source = document.getElementById(el.dataset.source);
      var build = BUILDERS[el.dataset.analyticsChart];
      if (!source || !build) { return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(build(el, JSON.parse(source.textContent)));
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
})();
