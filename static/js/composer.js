// The reply composer on the staff complaint page. The page works without this script (the canned picker
// reloads the page, the apology check runs on send); with it, canned responses are inserted in place and the
// check's advice appears while the agent types.
(function () {
  "use strict";

  var composer = document.querySelector("[data-composer]");
  if (!composer || !window.fetch) return;
  var replyForm = composer.querySelector("form[data-check-url]");
  if (!replyForm) return;
  var textarea = replyForm.querySelector("textarea[name=body]");
  var hintsBox = replyForm.querySelector("#reply-hints");
  var confirmBox = replyForm.querySelector("[data-confirm-send]");
  var intro = document.getElementById("reply-hints-intro");
  var csrfInput = replyForm.querySelector("input[name=csrfmiddlewaretoken]");
  var csrfToken = csrfInput ? csrfInput.value : "";
  var DELAY_MS = 500;
  var timer = null;
  var inFlight = null;

  function showHints(hints) {
    hintsBox.textContent = "";
    if (hints.length) {
      var lead = document.createElement("p");
      lead.textContent = intro ? intro.textContent : "";
      var list = document.createElement("ul");
      hints.forEach(function (hint) {
        var item = document.createElement("li");
        item.className = "hint hint-" + hint.code;
        item.setAttribute("data-code", hint.code);
        item.textContent = hint.message;
        if (hint.phrase) {
          item.appendChild(document.createTextNode(" "));
          var quote = document.createElement("q");
          quote.textContent = hint.phrase;
          item.appendChild(quote);
        }
        list.appendChild(item);
      });
      hintsBox.appendChild(lead);
      hintsBox.appendChild(list);
    }
    if (confirmBox) confirmBox.hidden = hints.length === 0;
  }

  function check() {
    if (inFlight) inFlight.abort();
    if (!textarea.value.trim()) {
      showHints([]);
      return;
    }
    inFlight = window.AbortController ? new AbortController() : null;
    var data = new FormData();
    data.append("body", textarea.value);
    fetch(replyForm.getAttribute("data-check-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
      signal: inFlight ? inFlight.signal : undefined,
    })
      .then(function (response) {
        if (!response.ok) throw new Error("apology check: " + response.status);
        return response.json();
      })
      .then(function (result) {
        showHints(result.hints || []);
      })
      .catch(function () {
        // Advice only: when the check cannot be reached, the server still checks the reply on send.
      });
  }

  textarea.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, DELAY_MS);
  });

  if (textarea.value.trim() && !hintsBox.children.length) check();

  var picker = composer.querySelector("[data-canned-picker]");
  if (picker) {
    picker.addEventListener("submit", function (event) {
      var select = picker.querySelector("select[name=canned]");
      var option = select && select.options[select.selectedIndex];
      var url = option && option.getAttribute("data-url");
      if (!url) return; // let the form reload the page instead
      event.preventDefault();
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("canned response: " + response.status);
          return response.json();
        })
        .then(function (result) {
          var start = textarea.selectionStart || 0;
          var end = textarea.selectionEnd || 0;
          var before = textarea.value.slice(0, start);
          var after = textarea.value.slice(end);
          textarea.value = before + result.text + after;
          var caret = before.length + result.text.length;
          textarea.focus();
          textarea.setSelectionRange(caret, caret);
          check();
        })
        .catch(function () {
          picker.submit(); // fall back to the page reload, which fills the reply on the server
        });
    });
  }
})();
