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

// 长辈模式: a long form asks one question per screen (MIIT 适老化: fewer things at once). Each
// [data-step] of a [data-stepper] form is one question, with what follows it up to the next one (its
// error, its hint). The form is the same form: every answer is sent together, and the server checks
// them all; a refused form opens at its first wrong answer.
function stepper(form) {
  var steps = Array.prototype.slice.call(form.querySelectorAll("[data-step]"));
  if (steps.length < 2) { return; }
  var groups = steps.map(function (step) {
    var members = [step], next = step.nextElementSibling;
    while (next && !next.hasAttribute("data-step") && !next.querySelector("[data-step]")) {
      members.push(next);
      next = next.nextElementSibling;
    }
    return members;
  });
  var cards = Array.prototype.slice.call(form.querySelectorAll("section.card"));
  // The form's own submit (提交), not a button that belongs to one question (获取验证码, 切换).
  var submits = Array.prototype.slice.call(document.querySelectorAll('[type="submit"]')).filter(function (b) {
    return b.form === form && !b.closest("noscript") && !b.closest("[data-step]");
  });
  var nav = document.createElement("div");
  nav.className = "stepper";
  nav.innerHTML = '<p class="stepper-count" aria-live="polite"></p>' +
    '<div class="buttons"><button type="button" class="btn" data-go="-1">上一步</button>' +
    '<button type="button" class="btn btn-primary" data-go="1">下一步</button></div>';
  form.appendChild(nav);
  var count = nav.querySelector(".stepper-count"), back = nav.querySelector('[data-go="-1"]'),
    forward = nav.querySelector('[data-go="1"]');
  // A question asked only after a given answer: data-step-if="withhold=1".
  function asked(step) {
    var rule = (step.getAttribute("data-step-if") || "").split("=");
    if (rule.length !== 2) { return true; }
    var chosen = form.querySelector('[name="' + rule[0] + '"]:checked');
    return !!chosen && chosen.value === rule[1];
  }
  var current = 0;
  function show(index, focus) {
    current = index;
    var open = steps.filter(asked), position = open.indexOf(steps[index]);
    var last = position === open.length - 1;
    groups.forEach(function (members, i) {
      members.forEach(function (el) { el.hidden = i !== index; });
    });
    cards.forEach(function (card) { card.hidden = !card.contains(steps[index]); });
    count.textContent = "第" + (position + 1) + "步，共" + open.length + "步";
    back.hidden = position === 0;
    forward.hidden = last;
    submits.forEach(function (b) {
      b.hidden = !last;
      var bar = b.closest(".actionbar");
      if (bar) { bar.hidden = !last; }  // an empty bar would only cover the page
    });
    form.querySelectorAll("[data-last-step]").forEach(function (el) { el.hidden = !last; });
    if (focus) {
      var field = steps[index].querySelector("input:not([type=hidden]), select, textarea");
      if (field) { field.focus(); }
    }
  }
  nav.addEventListener("click", function (event) {
    var go = event.target.getAttribute && parseInt(event.target.getAttribute("data-go"), 10);
    if (!go) { return; }
    var open = steps.filter(asked), position = open.indexOf(steps[current]);
    var next = open[Math.max(0, Math.min(open.length - 1, position + go))];
    show(steps.indexOf(next), true);
  });
  form.addEventListener("change", function () { show(current, false); });  // an answer may add a question
  var wrong = ".invalid, [aria-invalid=true], .field-error";
  var refused = groups.findIndex(function (members) {
    return members.some(function (el) { return el.matches(wrong) || el.querySelector(wrong); });
  });
  show(refused < 0 ? 0 : refused, refused >= 0);
}
if (document.documentElement.classList.contains("elder")) {
  document.querySelectorAll("form[data-stepper]").forEach(stepper);
}
