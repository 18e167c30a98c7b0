(function () {
  "use strict";
  var dataNode = document.getElementById("report-data");
  var form = document.getElementById("filters");
  if (!dataNode || !form) {
    return;
  }
  var data = JSON.parse(dataNode.textContent);
  var cards = Array.prototype.slice.call(document.querySelectorAll("article.finding"));
  var select = {
    severity: document.getElementById("filter-severity"),
    rule: document.getElementById("filter-rule"),
    pii: document.getElementById("filter-pii"),
    file: document.getElementById("filter-file")
  };
  var counter = document.getElementById("shown-count");
  var noMatch = document.getElementById("no-match");

  function matches(facets) {
    var sev = select.severity.value;
    var rule = select.rule.value;
    var pii = select.pii.value;
    var file = select.file.value;
    return (!sev || facets.severity === sev) &&
      (!rule || facets.rule === rule) &&
      (!pii || facets.pii.indexOf(pii) !== -1) &&
      (!file || facets.files.indexOf(file) !== -1);
  }

  function apply() {
    var shown = 0;
    cards.forEach(function (card) {
      var facets = data.findings[Number(card.getAttribute("data-idx"))];
      var visible = Boolean(facets) && matches(facets);
      card.hidden = !visible;
      if (visible) {
        shown += 1;
      }
    });
    counter.textContent = shown + " of " + cards.length + " findings shown";
    noMatch.hidden = shown !== 0;
    document.querySelectorAll("button.card.sev").forEach(function (button) {
      button.classList.toggle("active", button.getAttribute("data-severity") === select.severity.value);
    });
  }

  Object.keys(select).forEach(function (key) {
    select[key].addEventListener("change", apply);
  });
  form.addEventListener("reset", function () {
    window.setTimeout(apply, 0);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
  });

  document.querySelectorAll("button.card.sev").forEach(function (button) {
    button.addEventListener("click", function () {
      var sev = button.getAttribute("data-severity");
      var known = Array.prototype.some.call(select.severity.options, function (o) {
        return o.value === sev;
      });
      if (!known) {
        return;
      }
      select.severity.value = select.severity.value === sev ? "" : sev;
      apply();
      document.getElementById("findings").scrollIntoView({ behavior: "smooth" });
    });
  });

  function setOpen(open) {
    document.querySelectorAll("details.trace-box").forEach(function (d) {
      d.open = open;
    });
  }
  document.getElementById("expand-all").addEventListener("click", function () { setOpen(true); });
  document.getElementById("collapse-all").addEventListener("click", function () { setOpen(false); });

  apply();
}());
