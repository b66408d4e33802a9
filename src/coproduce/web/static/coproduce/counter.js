// A live "N of 4000 characters used" under a textarea with data-maxlength (the page says the
// limit without JavaScript too; the server refuses a longer text with a message, never cuts).
(function () {
  "use strict";
  function wire(area) {
    var max = parseInt(area.getAttribute("data-maxlength"), 10);
    var out = document.getElementById(area.id + "-count");
    if (!out || !max) return;
    var count = area.getAttribute("data-count-text") || "[used] of [max] characters used.";
    var full = area.getAttribute("data-full-text") || "";
    function update() {
      var used = area.value.length;
      var text = count.replace("[used]", used.toLocaleString()).replace("[max]", max.toLocaleString());
      out.textContent = used >= max && full ? text + " " + full : text;
      out.classList.toggle("over", used >= max);
    }
    area.addEventListener("input", update);
    update();
  }
  document.querySelectorAll("textarea[data-maxlength]").forEach(wire);
})();
