// The queue refreshes itself every 30 s: it fetches the same URL with ?partial=1 and swaps in the tab counts,
// the rows and the pager, so filters, scroll position and ticked rows stay as they are. It also gives each
// time in the rows a tooltip with the exact date and time, in the page's language (the server sends only the
// machine-readable datetime, which keeps the rows cheap to render). Without JavaScript the page works the
// same, only without the refresh and the tooltips.
(function () {
  "use strict";
  var REFRESH_MS = 30000;
  var PARTS = ["queue-tabs", "queue-rows", "queue-pager"];
  if (!document.getElementById("queue-rows") || !window.fetch || !window.DOMParser) {
    return;
  }

  var exactTime = null;
  try {
    exactTime = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      dateStyle: "short",
      timeStyle: "short",
    });
  } catch (error) {
    exactTime = null; // an old browser: no tooltips
  }

  function addTooltips() {
    if (!exactTime) {
      return;
    }
    document.querySelectorAll("#queue-rows time[datetime]").forEach(function (element) {
      var moment = new Date(element.getAttribute("datetime"));
      if (!element.title && !isNaN(moment.getTime())) {
        element.title = exactTime.format(moment);
      }
    });
  }

  function partialUrl() {
    var url = new URL(window.location.href);
    url.searchParams.set("partial", "1");
    return url.toString();
  }

  function busy(rows) {
    // Do not pull the rows from under a reader selecting text or a keyboard user inside the table.
    var selection = window.getSelection();
    var selecting = selection && !selection.isCollapsed && rows.contains(selection.anchorNode);
    return selecting || rows.contains(document.activeElement);
  }

  function refresh() {
    var rows = document.getElementById("queue-rows");
    if (document.hidden || !rows || busy(rows)) {
      return;
    }
    fetch(partialUrl(), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("queue refresh: " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        if (!fresh.getElementById("queue-rows")) {
          return; // signed out meanwhile: the login page came back
        }
        var ticked = {};
        document.querySelectorAll('#queue-rows input[name="selected"]:checked').forEach(function (box) {
          ticked[box.value] = true;
        });
        PARTS.forEach(function (id) {
          var live = document.getElementById(id);
          var next = fresh.getElementById(id);
          if (live && next) {
            live.innerHTML = next.innerHTML;
          }
        });
        document.querySelectorAll('#queue-rows input[name="selected"]').forEach(function (box) {
          box.checked = !!ticked[box.value];
        });
        addTooltips();
      })
      .catch(function () {
        // Offline or a server hiccup: try again at the next tick.
      });
  }

  addTooltips();
  window.setInterval(refresh, REFRESH_MS);
})();
