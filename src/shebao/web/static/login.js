// 获取验证码: the server says how many seconds until another code may be sent; count them down.
(function () {
  document.querySelectorAll("button[data-countdown]").forEach(function (button) {
    var left = parseInt(button.getAttribute("data-countdown"), 10) || 0;
    var label = button.textContent;
    function tick() {
      if (left <= 0) {
        button.disabled = false;
        button.textContent = label;
        return;
      }
      button.disabled = true;
      button.textContent = left + "秒后重新获取";
      left -= 1;
      window.setTimeout(tick, 1000);
    }
    tick();
  });
})();
