// The simulated authenticator shows new codes by itself, as the phone app does: once a second it asks the
// server for every account's current code and seconds left (the page's 刷新 link still works without script).
(function () {
  var list = document.querySelector("[data-authenticator]");
  if (!list) { return; }
  function show(accounts) {
    accounts.forEach(function (a) {
      var row = list.querySelector('[data-label="' + CSS.escape(a.label) + '"]');
      if (!row) { return; }
      row.querySelector('[data-field="code"]').textContent = a.code.slice(0, 3) + " " + a.code.slice(3);
      row.querySelector('[data-field="seconds-left"]').textContent = String(a.seconds_left);
    });
  }
  function refresh() {
    fetch("/sandbox/authenticator/codes", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(show)
      .catch(function () {})  // the server restarting: the next tick tries again
      .then(function () { setTimeout(refresh, 1000); });
  }
  setTimeout(refresh, 1000);
})();
