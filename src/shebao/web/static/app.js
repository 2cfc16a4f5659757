// Small improvements; every page works without them.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target && target.hasAttribute && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.submit();
  }
});
function yuan(fen) {
  var whole = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return "¥" + whole + "." + ("0" + (fen % 100)).slice(-2);
}

// 养老保险: one choice at a time (a tier, or 其他金额), the chosen amount, its government subsidy and the
// total shown as the payer chooses (the server recomputes and checks every amount when declaring).
function updatePension() {
  var form = document.querySelector("[data-pension]");
  var other = document.getElementById("other_amount");
  if (!form || !other) { return; }
  var picked = form.querySelector('input[name="amount"]:checked');
  var fen = null;
  if (picked && picked.value !== "other") {
    fen = parseInt(picked.getAttribute("data-tier-fen"), 10);
  } else if (picked && /^\d{1,5}$/.test(other.value.trim())) {
    fen = parseInt(other.value.trim(), 10) * 100;
    var low = parseInt(other.getAttribute("data-low-fen"), 10), high = parseInt(other.getAttribute("data-high-fen"), 10);
    if (fen < low || fen > high) { fen = null; }
  }
  var subsidy = null;
  (other.getAttribute("data-bands") || "").split(",").forEach(function (band) {
    var b = band.split(":");
    if (fen !== null && b.length === 3 && parseInt(b[0], 10) <= fen && fen <= parseInt(b[1], 10)) { subsidy = parseInt(b[2], 10); }
  });
  var count = form.querySelectorAll("input[data-pension-item]:checked").length;
  document.querySelectorAll("[data-pension-amount]").forEach(function (el) {
    el.textContent = fen === null ? "请选择缴费档次" : yuan(fen);
  });
  document.querySelectorAll("[data-pension-subsidy]").forEach(function (el) {
    el.textContent = subsidy === null ? "—" : yuan(subsidy);
  });
  var total = document.querySelector("[data-pension-total]");
  if (total) { total.textContent = fen === null ? "—" : yuan(fen * count); }
}
document.addEventListener("input", function (event) {
  var target = event.target;
  if (target && target.id === "other_amount") {
    // Typing an amount chooses 其他金额 (and so no tier).
    var choice = document.querySelector('input[name="amount"][value="other"]');
    if (choice && target.value.trim()) { choice.checked = true; }
    updatePension();
  }
});
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target && target.name === "amount") {
    // A tier chosen: 其他金额 is emptied, so one choice is shown and sent.
    var other = document.getElementById("other_amount");
    if (other && target.value !== "other") { other.value = ""; }
    updatePension();
  }
  if (target && target.hasAttribute && target.hasAttribute("data-pension-item")) { updatePension(); }
});

// 合计 follows the ticked items (the server recomputes every amount when declaring).
function updateSelectedTotal() {
  var total = document.querySelector("[data-selected-total]");
  if (!total) { return; }
  var fen = 0;
  document.querySelectorAll("input[data-amount-fen]").forEach(function (box) {
    if (box.checked) { fen += parseInt(box.getAttribute("data-amount-fen"), 10); }
  });
  total.textContent = yuan(fen);
}
document.addEventListener("change", function (event) {
  if (event.target && event.target.hasAttribute && event.target.hasAttribute("data-amount-fen")) {
    updateSelectedTotal();
  }
});

// A form that came back refused keeps its ticks and choice: show their totals at once.
updateSelectedTotal();
updatePension();
