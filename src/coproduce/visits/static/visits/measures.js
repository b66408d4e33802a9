// Disease activity forms: a tap on a joint of the diagram ticks its box in the list, and
// every change asks the server to compute the indices again. No formula lives here.
(function () {
  "use strict";
  document.querySelectorAll("form[data-live]").forEach(function (form) {
    var out = document.getElementById(form.getAttribute("data-live"));
    var timer = null;
    var asked = 0;
    function refresh() {
      var data = new FormData(form);
      data.set("action", "calculate");
      var mine = ++asked;
      fetch(form.getAttribute("action") || window.location.href, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { if (mine === asked) { out.innerHTML = html; } });
    }
    function later() { clearTimeout(timer); timer = setTimeout(refresh, 250); }
    function paint() {
      form.querySelectorAll("[data-joint]").forEach(function (dot) {
        var box = document.getElementById(dot.getAttribute("data-joint"));
        dot.classList.toggle("on", !!(box && box.checked));
      });
    }
    form.querySelectorAll("[data-joint]").forEach(function (dot) {
      dot.addEventListener("click", function () {
        var box = document.getElementById(dot.getAttribute("data-joint"));
        if (!box) { return; }
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
    form.addEventListener("change", function () { paint(); refresh(); });
    form.addEventListener("input", later);
  });
})();
