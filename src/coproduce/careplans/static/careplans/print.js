// Buttons marked data-print print the page (kept out of the HTML: the CSP allows no inline script).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
