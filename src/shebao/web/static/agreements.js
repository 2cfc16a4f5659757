// 新增协议: a changed bank or district reloads the branch list in place (without script the form's
// 查询网点 button does it); 代扣险种 applies only when 是否银行代扣 is 是.
(function () {
  var form = document.getElementById("agreement-form");
  if (!form) { return; }
  var bank = form.elements.namedItem("bank_code");
  var region = form.elements.namedItem("bank_region_code");
  var branch = form.elements.namedItem("branch_code");

  function option(value, label) {
    var item = document.createElement("option");
    item.value = value;
    item.textContent = label;
    return item;
  }

  function reloadBranches() {
    branch.replaceChildren(option("", bank.value && region.value ? "加载中…" : "请先选择开户银行和行政区划"));
    if (!bank.value || !region.value) { return; }
    var query = "bank_code=" + encodeURIComponent(bank.value) + "&region_code=" + encodeURIComponent(region.value);
    fetch("/api/v1/reference/bank-branches?" + query, { headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : { items: [] }; })
      .then(function (data) {
        var items = data.items || [];
        branch.replaceChildren(option("", items.length ? "请选择" : "该区暂无网点，请选择其他行政区划"));
        items.forEach(function (item) { branch.appendChild(option(item.code, item.name)); });
      })
      .catch(function () { branch.replaceChildren(option("", "网点加载失败，请重新选择")); });
  }

  function toggleSchemes() {
    var on = form.querySelector('input[name="withhold"][value="1"]').checked;
    form.querySelectorAll('input[name="withhold_schemes"]').forEach(function (box) { box.disabled = !on; });
  }

  [bank, region].forEach(function (select) { select.addEventListener("change", reloadBranches); });
  form.querySelectorAll('input[name="withhold"]').forEach(function (radio) {
    radio.addEventListener("change", toggleSchemes);
  });
  toggleSchemes();
})();
