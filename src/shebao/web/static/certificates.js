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
  document.getElementById("v-code").addEventListener("input", function () {
    document.getElementById("v-code-error").hidden = true;
  });
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

// Tapping the captcha fetches a new one in place, so what was typed stays (without script the link
// reloads the page with a new captcha).
(function () {
  var link = document.querySelector("a.captcha");
  if (!link || !window.fetch) { return; }
  link.addEventListener("click", function (event) {
    event.preventDefault();
    fetch("/api/v1/captcha", { headers: { "Accept": "application/json" } })
      .then(function (answer) { if (!answer.ok) { throw new Error("captcha"); } return answer.json(); })
      .then(function (body) {
        link.querySelector("img").src = body.image;
        document.querySelector("input[name=captcha_id]").value = body.captcha_id;
        var input = document.getElementById("v-captcha");
        input.value = "";
        input.focus();
      })
      .catch(function () { window.location.href = link.href; });
  });
})();
