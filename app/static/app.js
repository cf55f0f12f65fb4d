// Progressive enhancement only: every page works without this file.
// Shows a question only when the answer it depends on (in the same step) makes it apply.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.querySelectorAll(".step-form").forEach(function (form) {
    var dependants = Array.prototype.slice.call(form.querySelectorAll("[data-when]"));
    if (!dependants.length) return;
    function chosen(name) {
      return Array.prototype.map.call(
        form.querySelectorAll('[name="' + name + '"]:checked, select[name="' + name + '"]'),
        function (el) { return el.value; });
    }
    function update() {
      dependants.forEach(function (box) {
        var rule = JSON.parse(box.getAttribute("data-when"));
        var hit = chosen(rule.field).some(function (v) { return rule.values.indexOf(v) !== -1; });
        var show = rule.negate ? !hit && chosen(rule.field).length > 0 : hit;
        box.hidden = !show;
        box.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !show; });
      });
    }
    form.addEventListener("change", update);
    update();
  });
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  // Print buttons (the agenda): shown only where a script can press them.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
