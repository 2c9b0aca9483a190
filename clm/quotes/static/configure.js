// Live pricing on the quote configure page: as lines change, the form is priced by the server
// (the same request as the Price button, action=price) and the price section is replaced by the
// answer's. The server stays the only pricing authority; without this script, Price does the same.
(function () {
  "use strict";
  var form = document.querySelector("form.configure");
  if (!form || !window.fetch || !window.DOMParser) { return; }
  var timer = null, sent = 0;
  var status = document.createElement("p");
  status.className = "sr-only";
  status.setAttribute("role", "status");
  form.appendChild(status);
  function swap(selector, fresh, place) {
    var old = document.querySelector(selector);
    if (old && fresh) { old.replaceWith(fresh); } else if (old) { old.remove(); } else if (fresh) { place(fresh); }
  }
  function price() {
    var body = new FormData(form);
    body.set("action", "price");
    var mine = ++sent;
    fetch(window.location.href, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (mine !== sent) { return; }  // a newer change is on its way
        var page = new DOMParser().parseFromString(html, "text/html");
        var preview = page.querySelector("section.preview");
        swap("section.preview", preview, function (el) { form.after(el); });
        swap("main > .error[role=alert]", page.querySelector("main > .error[role=alert]"),
             function (el) { form.before(el); });
        var total = preview && preview.querySelector("td.tcv");
        status.textContent = total ? "Priced: " + total.textContent.trim() : "Not priced: see the problems above.";
      })
      .catch(function () { /* offline or the server refused: the Price button still works */ });
  }
  function changed(e) {
    if (!e.target.name || e.target.name === "customer") { return; }
    window.clearTimeout(timer);
    timer = window.setTimeout(price, 400);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
})();
