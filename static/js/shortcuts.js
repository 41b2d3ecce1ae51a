// Keyboard shortcuts for the staff dashboard. Each one presses a link, a button or a field that is already on
// the page, so without JavaScript nothing is missing, only slower. The list (with translated labels) is the
// <dialog id="shortcuts-help"> in templates/dashboard/base.html, opened with "?".
//
//   n  next complaint            r  reply box             a  assign to me
//   q, or g then q  the queue    /  the queue's search    ?  this list (Esc closes it)
//   j / k  next / previous queue row, o or Enter opens it, x ticks its checkbox
//
// Nothing fires while typing in a field or with Ctrl, Alt or Meta held. Keys are read from what the key
// types, falling back to where it sits, so the shortcuts also work with the Russian layout switched on.
(function () {
  "use strict";
  var SEQUENCE_MS = 1500;
  var HIGHLIGHT = "is-kb-current";
  var NOT_TYPING = /^(checkbox|radio|button|submit|reset|image|range|color|file)$/i;

  var dialog = document.getElementById("shortcuts-help");
  var opener = null; // what had focus before the help opened; it gets it back
  var pendingG = 0; // timer while "g" waits for its second key
  var current = ""; // data-reference of the highlighted queue row

  function $(selector) {
    return document.querySelector(selector);
  }

  // --- the elements the shortcuts press ------------------------------------------------------------------

  function nextLink() {
    return $('main [data-shortcut="next"]') || $('[data-shortcut="next"]');
  }

  function queueLink() {
    return $('[data-shortcut="queue"]');
  }

  function replyBox() {
    return document.getElementById("reply-body") || $('[data-testid="reply-form"] textarea');
  }

  function assignForm() {
    return $('main form[action$="/assign-to-me/"]');
  }

  function searchBox() {
    return $('main form[role="search"] input[name="q"]') || $('main input[type="search"]');
  }

  function queueRows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue-rows tr[data-reference]"));
  }

  function rowLink(row) {
    return row.querySelector("a[href]");
  }

  function rowCheckbox(row) {
    return row.querySelector('input[type="checkbox"]');
  }

  // Tell assistive technology which keys reach which control (the ones whose markup this file does not own).
  function announce(element, keys) {
    if (element && !element.hasAttribute("aria-keyshortcuts")) {
      element.setAttribute("aria-keyshortcuts", keys);
    }
  }

  // --- actions -------------------------------------------------------------------------------------------

  function follow(link) {
    if (link && link.href) {
      window.location.assign(link.href);
      return true;
    }
    return false;
  }

  function focusReply() {
    var box = replyBox();
    if (!box) {
      return false;
    }
    box.scrollIntoView({ block: "center" });
    box.focus({ preventScroll: true });
    return true;
  }

  function assignToMe() {
    var form = assignForm();
    if (!form) {
      return false;
    }
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
    return true;
  }

  function focusSearch() {
    var box = searchBox();
    if (!box) {
      return false;
    }
    box.focus();
    box.select();
    return true;
  }

  function highlightedRow(rows) {
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getAttribute("data-reference") === current) {
        return i;
      }
    }
    return -1;
  }

  function paint(rows) {
    rows.forEach(function (row) {
      row.classList.toggle(HIGHLIGHT, row.getAttribute("data-reference") === current);
    });
  }

  function moveRow(step) {
    var rows = queueRows();
    if (!rows.length) {
      return false;
    }
    var at = highlightedRow(rows);
    var next = at < 0 ? 0 : Math.min(Math.max(at + step, 0), rows.length - 1);
    var row = rows[next];
    current = row.getAttribute("data-reference");
    paint(rows);
    // Focus goes to the row's link: a screen reader reads it, Enter opens it, and the queue's refresh
    // leaves the rows alone while the focus is inside them.
    var link = rowLink(row);
    if (link) {
      link.focus({ preventScroll: true });
    }
    row.scrollIntoView({ block: "nearest" });
    return true;
  }

  function openRow() {
    var rows = queueRows();
    var at = highlightedRow(rows);
    return at >= 0 && follow(rowLink(rows[at]));
  }

  function tickRow() {
    var rows = queueRows();
    var at = highlightedRow(rows);
    var box = at >= 0 ? rowCheckbox(rows[at]) : null;
    if (!box) {
      return false;
    }
    box.click(); // a real click: the change event fires as if the box were ticked by hand
    return true;
  }

  // --- the help dialog -----------------------------------------------------------------------------------

  function focusables(root) {
    return Array.prototype.filter.call(
      root.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])'),
      function (el) {
        return !el.disabled && el.getClientRects().length > 0;
      }
    );
  }

  function openHelp() {
    if (!dialog || dialog.open || typeof dialog.showModal !== "function") {
      return false;
    }
    opener = document.activeElement;
    dialog.showModal();
    return true;
  }

  if (dialog) {
    dialog.addEventListener("close", function () {
      if (opener && document.contains(opener) && typeof opener.focus === "function") {
        opener.focus();
      }
      opener = null;
    });
    // Modal dialogs already make the page behind them inert; this keeps Tab from leaving for the browser's
    // own toolbar too, so the focus cycles inside the dialog until it is closed.
    dialog.addEventListener("keydown", function (event) {
      if (event.key !== "Tab") {
        return;
      }
      var items = focusables(dialog);
      if (!items.length) {
        event.preventDefault();
        return;
      }
      var first = items[0];
      var last = items[items.length - 1];
      if (event.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    });
  }

  // --- reading the keyboard ------------------------------------------------------------------------------

  function typingIn(element) {
    if (!element || element === document.body) {
      return false;
    }
    if (element.isContentEditable) {
      return true;
    }
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") {
      return true;
    }
    return tag === "INPUT" && !NOT_TYPING.test(element.type);
  }

  function interactive(element) {
    return !!(element && element.closest && element.closest("a[href], button, input, select, textarea, summary"));
  }

  // The key as a layout-independent name: "?" and "/" by what they type or where they sit, letters by what
  // they type when it is Latin, else by their place (the Russian layout types "т" on the N key).
  function keyName(event) {
    var key = event.key;
    if (key === "?" || (event.code === "Slash" && event.shiftKey)) {
      return "?";
    }
    if (key === "/" || (event.code === "Slash" && !event.shiftKey)) {
      return "/";
    }
    if (key === "Enter") {
      return "Enter";
    }
    if (event.shiftKey || !key || key.length !== 1) {
      return "";
    }
    if (/^[a-z]$/i.test(key)) {
      return key.toLowerCase();
    }
    var place = /^Key([A-Z])$/.exec(event.code || "");
    return place ? place[1].toLowerCase() : "";
  }

  var ACTIONS = {
    n: function () {
      return follow(nextLink());
    },
    r: focusReply,
    a: assignToMe,
    q: function () {
      return follow(queueLink());
    },
    "/": focusSearch,
    j: function () {
      return moveRow(1);
    },
    k: function () {
      return moveRow(-1);
    },
    o: openRow,
    x: tickRow,
    "?": openHelp,
  };

  function onKeydown(event) {
    if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.altKey || event.metaKey) {
      return;
    }
    if ((dialog && dialog.open) || typingIn(event.target)) {
      return;
    }
    var name = keyName(event);
    if (!name) {
      return;
    }
    if (pendingG) {
      window.clearTimeout(pendingG);
      pendingG = 0;
      if (name === "q") {
        event.preventDefault();
        ACTIONS.q();
        return;
      }
    } else if (name === "g") {
      pendingG = window.setTimeout(function () {
        pendingG = 0;
      }, SEQUENCE_MS);
      return;
    }
    if (name === "Enter") {
      // A focused link or button opens itself; Enter only opens the highlighted row from the page itself.
      if (!interactive(event.target) && openRow()) {
        event.preventDefault();
      }
      return;
    }
    if (event.repeat && name !== "j" && name !== "k") {
      return;
    }
    var action = ACTIONS[name];
    if (action && action()) {
      // Keep the key from also typing into the field it just focused ("r", "/").
      event.preventDefault();
    }
  }

  document.addEventListener("keydown", onKeydown);

  // The queue's refresh replaces the rows; the highlight follows the same complaint into the new ones.
  var tbody = document.getElementById("queue-rows");
  if (tbody && window.MutationObserver) {
    new MutationObserver(function () {
      if (current) {
        paint(queueRows());
      }
    }).observe(tbody, { childList: true });
  }

  announce(replyBox(), "r");
  var form = assignForm();
  announce(form && form.querySelector('button, [type="submit"]'), "a");
  announce(searchBox(), "/");

  var helpButton = $("[data-shortcuts-open]");
  if (helpButton && dialog && typeof dialog.showModal === "function") {
    helpButton.hidden = false;
    helpButton.addEventListener("click", openHelp);
  }
})();
