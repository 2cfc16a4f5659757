// Small improvements; every page works without them.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target && target.hasAttribute && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.submit();
  }
});
document.addEventListener("input", function (event) {
  // Typing an amount in 其他金额 selects the 其他金额 choice.
  var target = event.target;
  if (target && target.id === "other_amount") {
    var other = document.querySelector('input[name="amount"][value="other"]');
    if (other) { other.checked = true; }
  }
});

// 合计 follows the ticked items (the server recomputes every amount when declaring).
function updateSelectedTotal() {
  var total = document.querySelector("[data-selected-total]");
  if (!total) { return; }
  var fen = 0;
  document.querySelectorAll("input[data-amount-fen]").forEach(function (box) {
    if (box.checked) { fen += parseInt(box.getAttribute("data-amount-fen"), 10); }
  });
  var yuan = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  total.textContent = "¥" + yuan + "." + ("0" + (fen % 100)).slice(-2);
}
document.addEventListener("change", function (event) {
  if (event.target && event.target.hasAttribute && event.target.hasAttribute("data-amount-fen")) {
    updateSelectedTotal();
  }
});
