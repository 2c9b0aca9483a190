// Keyboard navigation through a redline's changes: "n" next change, "p" previous change.
(function () {
  "use strict";
  var root = document.querySelector(".rl");
  if (!root) { return; }
  var marks = Array.prototype.slice.call(root.querySelectorAll(".rl-inline [id^='c'], .rl-inline [id^='m']"));
  var current = -1;
  function go(step) {
    if (!marks.length) { return; }
    if (current >= 0) { marks[current].classList.remove("rl-current"); }
    current = (current + step + marks.length) % marks.length;
    marks[current].classList.add("rl-current");
    marks[current].scrollIntoView({ block: "center" });
  }
  document.addEventListener("keydown", function (e) {
    if (e.target && /input|textarea|select/i.test(e.target.tagName)) { return; }
    if (e.key === "n") { go(1); } else if (e.key === "p") { go(-1); }
  });
})();
