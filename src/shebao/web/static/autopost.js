// Posts a provider's signed form at once (UnionPay's front form); the page's button does it without script.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-autopost]");
  if (form) { form.submit(); }
});
