/* 统计: draws each chart from the JSON block its container names (data-chart), with the vendored
   Apache ECharts (decision 0018). Canvas only, tooltips drawn on the canvas: nothing the page's
   Content-Security-Policy would refuse. Amounts arrive in fen; the axis shows yuan. */
(function () {
  "use strict";
  var PALETTE = ["#1f5fbf", "#2e9f6b", "#e6a23c", "#8e5cc8", "#d9534f", "#17a2b8", "#6c757d", "#b8860b"];

  function yuan(fen) {
    return (fen / 100).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function axisYuan(fen) {
    return (fen / 100).toLocaleString("zh-CN", { maximumFractionDigits: 0 });
  }

  function daily(data) {
    return {
      color: PALETTE,
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: function (v) { return "¥" + yuan(v); } },
      legend: { type: "scroll", top: 0 },
      grid: { left: 72, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: data.days.map(function (d) { return d.slice(5); }) },
      yAxis: { type: "value", name: "元", axisLabel: { formatter: axisYuan } },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "total", barMaxWidth: 28, data: s.values };
      })
    };
  }

  function tally(data) {
    return {
      color: PALETTE,
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: function (v) { return v + " 笔"; } },
      grid: { left: 8, right: 48, top: 8, bottom: 24, containLabel: true },
      xAxis: { type: "value", name: "笔", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: data.labels },
      series: [{ type: "bar", barMaxWidth: 28, data: data.values, label: { show: true, position: "right" } }]
    };
  }

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var source = document.getElementById(box.getAttribute("data-chart"));
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(data.kind === "daily" ? daily(data) : tally(data));
    box.setAttribute("data-drawn", "true");
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
