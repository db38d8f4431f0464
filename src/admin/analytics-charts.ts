/**
 * The analytics page's charts (src/admin/pages/analytics.ts), drawn by uPlot (served as
 * /admin/assets/uplot.js): client messages and operator replies by day and by hour of day
 * (bars, side by side), and response times by day (median and p90 lines, first response
 * median). A small vanilla script served as /admin/assets/analytics.js (src/admin/assets.ts):
 * the Content-Security-Policy allows no inline script, so the data comes from the page's JSON
 * island `<script type="application/json" id="analytics-data">` (see ChartData), never from code.
 * Without JavaScript the page's tables carry the same figures.
 */

/** The JSON island's shape (what the page writes; what the script reads). */
export interface ChartData {
  labels: {
    in: string;
    out: string;
    firstMedian: string;
    median: string;
    p90: string;
    minutes: string;
    count: string;
    /** The x axis's name in the legend. */
    day: string;
    hour: string;
  };
  /** One entry per day of the period: its label (`03-05 чт`), volumes, times in minutes (null: none). */
  days: { x: string[]; in: number[]; out: number[]; firstMedian: Array<number | null>; median: Array<number | null>; p90: Array<number | null> };
  /** Hours 0–23 of the day (local). */
  hours: { x: string[]; in: number[]; out: number[] };
}

export const ANALYTICS_CHARTS_JS = String.raw`
(function () {
  'use strict';
  var island = document.getElementById('analytics-data');
  if (!island || typeof uPlot === 'undefined') return;
  var data = JSON.parse(island.textContent || '{}');
  var L = data.labels;
  var COLORS = { in: '#1f5fbf', out: '#1d7a3c', p90: '#a15c00', first: '#7b3fb5' };
  var charts = [];

  function widthOf(el) { return Math.max(320, Math.floor(el.getBoundingClientRect().width) - 16); }

  function categoryAxis(labels) {
    var step = Math.max(1, Math.ceil(labels.length / 16));
    return {
      splits: function () { var out = []; for (var i = 0; i < labels.length; i += step) out.push(i); return out; },
      values: function (u, splits) { return splits.map(function (i) { return labels[i] === undefined ? '' : labels[i]; }); },
      grid: { show: false }
    };
  }

  function bars(align) { return uPlot.paths.bars({ size: [0.38, 36], align: align }); }

  function draw(id, labels, xLabel, series, values, yLabel) {
    var el = document.getElementById(id);
    if (!el) return;
    var xs = labels.map(function (_, i) { return i; });
    var opts = {
      width: widthOf(el), height: 260,
      scales: { x: { time: false, range: function () { return [-0.6, labels.length - 0.4]; } }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } } },
      axes: [categoryAxis(labels), { label: yLabel, size: 60 }],
      legend: { live: true },
      series: [{ label: xLabel, value: function (u, i) { return i === null || labels[i] === undefined ? '' : labels[i]; } }].concat(series)
    };
    charts.push({ el: el, chart: new uPlot(opts, [xs].concat(values), el) });
  }

  var days = data.days;
  var hours = data.hours;
  var volume = function (label, color, align) { return { label: label, stroke: color, fill: color + 'cc', width: 1, paths: bars(align), points: { show: false } }; };
  var line = function (label, color, dash) { return { label: label, stroke: color, width: 2, dash: dash, spanGaps: false, points: { show: true, size: 5 } }; };
  draw('chart-volume-days', days.x, L.day, [volume(L.in, COLORS.in, -1), volume(L.out, COLORS.out, 1)], [days.in, days.out], L.count);
  draw('chart-volume-hours', hours.x, L.hour, [volume(L.in, COLORS.in, -1), volume(L.out, COLORS.out, 1)], [hours.in, hours.out], L.count);
  draw('chart-response-days', days.x, L.day, [line(L.median, COLORS.in), line(L.p90, COLORS.p90, [6, 4]), line(L.firstMedian, COLORS.first)],
    [days.median, days.p90, days.firstMedian], L.minutes);

  var pending = null;
  window.addEventListener('resize', function () {
    if (pending) clearTimeout(pending);
    pending = setTimeout(function () {
      charts.forEach(function (c) { c.chart.setSize({ width: widthOf(c.el), height: 260 }); });
    }, 150);
  });
})();
`;
