// The contract page's "Reading scanned PDF NAME: page N of M" lines follow their job: each asks
// its status URL (JSON) every two seconds and updates its text and progress bar; when the job is
// done the line links the new version, when it failed it shows the error. Without this script
// the page still shows the state at load time and a Refresh link.
(function () {
  "use strict";
  var EVERY_MS = 2000;
  function text(el, value) { el.textContent = value; }
  function follow(box) {
    var url = box.getAttribute("data-read-status");
    var line = box.querySelector(".read-line");
    var bar = box.querySelector("progress");
    var refresh = box.querySelector(".read-refresh");
    if (refresh) { refresh.hidden = true; }
    function show(job) {
      box.setAttribute("data-status", job.status);
      box.className = "read read-" + job.status;
      if (job.status === "queued" || job.status === "running") {
        text(line, "Reading scanned PDF " + job.filename + ": page " + job.pages_done + " of " + job.pages_total);
        if (bar) { bar.max = job.pages_total || 1; bar.value = job.pages_done; text(bar, job.pages_done + " of " + job.pages_total); }
        return true;
      }
      if (bar) { bar.remove(); bar = null; }
      line.textContent = "";
      if (job.status === "done") {
        line.appendChild(document.createTextNode("Read scanned PDF " + job.filename + ": "));
        var link = document.createElement("a");
        link.href = job.version_url;
        link.textContent = "version " + job.version;
        line.appendChild(link);
        line.appendChild(document.createTextNode(" stored. "));
        var reload = document.createElement("a");
        reload.href = window.location.pathname + "?tab=versions";
        reload.textContent = "Show it in the list";
        line.appendChild(reload);
      } else if (job.status === "interrupted") {
        text(line, "Reading scanned PDF " + job.filename + " was interrupted at page " + job.pages_done + " of " +
             job.pages_total + " (the process reading it stopped); retry it on the jobs page.");
      } else {
        line.appendChild(document.createTextNode("Scanned PDF " + job.filename + " could not be read; no version was stored. "));
        var err = document.createElement("span");
        err.className = "error";
        err.textContent = job.error || "";
        line.appendChild(err);
      }
      return false;
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (job) { if (show(job)) { window.setTimeout(poll, EVERY_MS); } })
        .catch(function () { if (refresh) { refresh.hidden = false; } window.setTimeout(poll, EVERY_MS * 5); });
    }
    var state = box.getAttribute("data-status");
    if (state === "queued" || state === "running") { window.setTimeout(poll, EVERY_MS); }
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-read-status]"), follow);
})();
