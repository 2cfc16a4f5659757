// 缴费证明查验: catch a mistyped 证明校验码 (16 digits, ISO 7064 MOD 11,10 check digit) before asking.
(function () {
  var form = document.getElementById("verify-form");
  if (!form) { return; }
  function wellFormed(code) {
    if (!/^[0-9]{16}$/.test(code)) { return false; }
    var product = 10;
    for (var i = 0; i < 15; i++) {
      var total = (product + parseInt(code.charAt(i), 10)) % 10 || 10;
      product = (2 * total) % 11;
    }
    return String((11 - product) % 10) === code.charAt(15);
  }
  form.addEventListener("submit", function (event) {
    var code = document.getElementById("v-code");
    var message = document.getElementById("v-code-error");
    var value = code.value.replace(/\s+/g, "");
    code.value = value;
    if (!wellFormed(value)) {
      event.preventDefault();
      message.textContent = value.length !== 16 ? "证明校验码应为16位数字" : "证明校验码有误，请核对缴费证明上的16位证明校验码";
      message.hidden = false;
      code.focus();
    }
  });
})();
