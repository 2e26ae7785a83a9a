// The submission form's helpers: component filter, more source rows, live preview,
// duplicate hints. The form works without this file; each part only adds to it.
(function () {
  "use strict";

  var form = document.querySelector("form[data-story-form]");

  function debounce(fn, wait) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, wait);
    };
  }

  function csrfToken() {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Errors: move focus to the summary so it is read out and its links are one Tab away.
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  if (!form) return;

  // Component filter: hide components whose name, slug and aliases miss every typed word.
  (function () {
    var box = form.querySelector("[data-component-filter]");
    var input = document.getElementById("component-filter");
    if (!box || !input) return;
    var status = document.getElementById("component-filter-status");
    var none = form.querySelector("[data-component-none]");
    var items = Array.prototype.slice.call(form.querySelectorAll("[data-component]"));
    var areas = Array.prototype.slice.call(form.querySelectorAll("[data-component-area]"));
    box.hidden = false;

    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (item) {
        var terms = item.getAttribute("data-terms") || "";
        var checked = item.querySelector("input").checked;
        var match = words.every(function (word) { return terms.indexOf(word) !== -1; });
        // Ticked components stay visible, so a filter never hides a choice already made.
        item.hidden = !(match || checked);
        if (match) shown += 1;
      });
      areas.forEach(function (area) {
        area.hidden = !area.querySelector("[data-component]:not([hidden])");
      });
      if (none) none.hidden = shown > 0;
      if (status) {
        status.textContent = words.length
          ? shown + (shown === 1 ? " component matches." : " components match.")
          : "";
      }
    }

    input.addEventListener("input", debounce(apply, 120));
    input.addEventListener("keydown", function (event) {
      // Enter filters; it must not send the whole form.
      if (event.key === "Enter") {
        event.preventDefault();
        apply();
      }
    });
  })();

  // Source rows: show three (or as many as are filled), reveal the others one by one.
  (function () {
    var button = document.getElementById("add-source");
    if (!button) return;
    var extra = Array.prototype.slice.call(form.querySelectorAll("[data-source-row][data-extra]"));
    if (!extra.length) return;
    extra.forEach(function (row) { row.hidden = true; });
    button.hidden = false;
    button.addEventListener("click", function () {
      var next = extra.filter(function (row) { return row.hidden; })[0];
      if (!next) return;
      next.hidden = false;
      var url = next.querySelector("input[type=url]");
      if (url) url.focus();
      if (!extra.some(function (row) { return row.hidden; })) button.hidden = true;
    });
  })();

  // Live preview: the server renders and sanitizes, exactly as the story page will.
  (function () {
    var textarea = form.querySelector("textarea[name=summary]");
    var target = document.getElementById("summary-preview");
    var status = document.getElementById("preview-status");
    var url = form.getAttribute("data-preview-url");
    if (!textarea || !target || !url) return;
    var previewButton = form.querySelector("button[name=preview]");
    if (previewButton) previewButton.hidden = true;
    var sent = null;

    function render() {
      var text = textarea.value;
      if (text === sent) return;
      sent = text;
      if (!text.trim()) {
        target.innerHTML = "";
        return;
      }
      var body = new URLSearchParams();
      body.set("summary", text);
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
        body: body.toString()
      }).then(function (response) {
        if (response.status === 429) {
          var wait = response.headers.get("Retry-After") || "a few";
          if (status) status.textContent = "Preview paused: too many updates. It resumes in " + wait + " s.";
          sent = null;
          return null;
        }
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      }).then(function (html) {
        if (html === null) return;
        // Sanitized by the server's Markdown renderer (nh3 allow-list).
        target.innerHTML = html;
        if (status) status.textContent = "";
      }).catch(function () {
        sent = null;
        if (status) status.textContent = "The preview could not be updated; your text is safe in the form.";
      });
    }

    textarea.addEventListener("input", debounce(render, 400));
    if (textarea.value.trim()) render();
  })();

  // Duplicate hints: ask whether any typed source URL is known already.
  (function () {
    var target = document.getElementById("duplicate-hints");
    var url = form.getAttribute("data-check-url");
    if (!target || !url) return;
    var inputs = Array.prototype.slice.call(form.querySelectorAll("input[data-duplicate-check]"));
    var story = form.getAttribute("data-story");
    var token = form.getAttribute("data-tracking-token");
    var asked = null;

    function check() {
      var params = new URLSearchParams();
      inputs.forEach(function (input) {
        var value = input.value.trim();
        if (/^https?:\/\/\S+\.\S+/i.test(value)) params.append("url", value);
      });
      if (story) params.set("story", story);
      var query = params.toString();
      if (query === asked) return;
      asked = query;
      if (!params.getAll("url").length) {
        target.innerHTML = "";
        return;
      }
      var headers = {};
      if (token) headers["X-Tracking-Token"] = token;
      fetch(url + "?" + query, { credentials: "same-origin", headers: headers })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) { target.innerHTML = html; })
        .catch(function () { asked = null; });
    }

    var later = debounce(check, 500);
    inputs.forEach(function (input) {
      input.addEventListener("input", later);
      input.addEventListener("change", check);
    });
    check();
  })();
})();
