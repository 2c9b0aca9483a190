// Live pricing in the commercial-terms form: each line's total (its price, or quantity x unit price
// per billing period) and the total of the priced lines, as the user types. Display only: the
// server reads the posted fields and computes the schedules; nothing here is sent.
(function () {
  "use strict";
  var form = document.querySelector(".terms-form");
  if (!form) { return; }
  var PERIOD = { monthly: " per month", quarterly: " per quarter", annual: " per year", once: "" };
  function amount(input) {
    if (!input) { return null; }
    var text = input.value.replace(/[,\s]/g, "");
    if (!/^\d+(\.\d+)?$/.test(text)) { return null; }
    return Number(text);
  }
  function money(n, currency) {
    var code = /^[A-Za-z]{3}$/.test(currency) ? currency.toUpperCase() : "";
    var text = n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return code ? code + " " + text : text;
  }
  function update() {
    var currencyInput = form.querySelector("[data-currency]");
    var currency = currencyInput ? currencyInput.value.trim() : "";
    var total = 0, priced = 0;
    Array.prototype.forEach.call(form.querySelectorAll("[data-line]"), function (line) {
      var out = line.querySelector("[data-line-total]");
      var price = amount(line.querySelector("[data-price]"));
      var qty = amount(line.querySelector("[data-qty]"));
      var unit = amount(line.querySelector("[data-unit]"));
      var freq = line.querySelector("select[name$='-frequency']");
      if (price !== null) {
        out.textContent = money(price, currency);
        total += price; priced += 1;
      } else if (qty !== null && unit !== null) {
        out.textContent = money(qty * unit, currency) + (PERIOD[freq ? freq.value : ""] || "") + " (" + qty + " × " + money(unit, currency) + ")";
      } else {
        out.textContent = "—";
      }
    });
    var totalOut = form.querySelector("[data-total]");
    if (totalOut) { totalOut.textContent = priced ? money(total, currency) : "—"; }
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
