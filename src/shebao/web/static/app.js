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
