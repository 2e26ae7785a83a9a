// Small enhancements; every page works without this file.
(function () {
  "use strict";

  // On narrow screens the filter panel starts folded so results come first.
  if (window.matchMedia("(max-width: 52rem)").matches) {
    document.querySelectorAll("details[data-collapse-narrow]").forEach(function (panel) {
      panel.open = false;
    });
  }

  // "/" focuses the search box, as on many documentation sites.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var box = document.querySelector("#q") || document.querySelector("#home-q") || document.querySelector("#header-q");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
})();
