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
    // Numbers as the page's language writes them (4000 in Spanish, 4 000 in Swedish), not
    // as the browser's: a Spanish patient may read on an English phone.
    var lang = document.documentElement.lang || undefined;
    function update() {
      var used = area.value.length;
      var text = count.replace("[used]", used.toLocaleString(lang)).replace("[max]", max.toLocaleString(lang));
      out.textContent = used >= max && full ? text + " " + full : text;
      out.classList.toggle("over", used >= max);
    }
    area.addEventListener("input", update);
    update();
  }
  document.querySelectorAll("textarea[data-maxlength]").forEach(wire);
})();
