// The reports' charts. For each <canvas data-chart="chart-<key>"> the page carries the data as JSON in the
// <script type="application/json" id="chart-<key>"> beside it (labels already formatted for the page's
// language, one series per charted column); this draws it with Chart.js (static/vendor/chartjs) as a bar,
// stacked bar, line or pie chart, and marks the canvas data-rendered="1". The table beside each chart holds
// the same numbers, so without JavaScript nothing is lost. No animation for those who ask for reduced motion,
// nor on the print version (a printout must show the finished chart).
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }
  var Chart = window.Chart;
  var printing = document.body.classList.contains("report-print");
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var locale = document.documentElement.lang || undefined;
  // Enough contrast on white, and told apart without colour by the order in the legend and the table.
  var COLOURS = ["#0b6e4f", "#174ea6", "#b54708", "#7c3aed", "#b42318", "#0e7490", "#52606d", "#a16207"];
  var numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });

  function colour(index) {
    return COLOURS[index % COLOURS.length];
  }

  function config(spec) {
    var pie = spec.kind === "pie";
    var datasets = spec.series.map(function (series, index) {
      return {
        label: series.label,
        data: series.data,
        percent: series.percent,
        backgroundColor: pie ? spec.labels.map(function (_label, at) { return colour(at); }) : colour(index),
        borderColor: pie ? "#fff" : colour(index),
        // A slice of nothing drawn with a border would show as a white wedge.
        borderWidth: pie ? series.data.map(function (value) { return value ? 1 : 0; }) : 2,
        fill: false,
        tension: 0.2,
      };
    });
    var stacked = spec.kind === "stacked";
    var options = {
      locale: locale,
      responsive: true,
      maintainAspectRatio: false,
      animation: reduced || printing ? false : { duration: 400 },
      plugins: {
        legend: { display: pie || datasets.length > 1, position: "bottom" },
        tooltip: {
          callbacks: {
            label: function (item) {
              var value = pie ? item.parsed : item.parsed.y;
              var text = value === null || value === undefined ? "—" : numbers.format(value);
              return item.dataset.label + ": " + text + (item.dataset.percent ? "%" : "");
            },
          },
        },
      },
    };
    if (!pie) {
      options.scales = {
        x: { stacked: stacked },
        y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } },
      };
    }
    return { type: pie ? "pie" : spec.kind === "line" ? "line" : "bar", data: { labels: spec.labels, datasets: datasets }, options: options };
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    try {
      new Chart(canvas, config(JSON.parse(source.textContent)));
      canvas.setAttribute("data-rendered", "1");
    } catch (error) {
      canvas.setAttribute("data-rendered", "0"); // the table beside it still has the numbers
    }
  });

  // The print version's "Print" button (hidden without JavaScript: the browser's own print works there).
  document.querySelectorAll("[data-print-now]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
