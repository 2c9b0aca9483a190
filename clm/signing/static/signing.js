// Signer page: switch typed/drawn signature, preview the typed name, draw on the canvas.
// A static file because the page's CSP forbids inline script.
(function () {
  "use strict";
  var form = document.getElementById("sign-form");
  if (!form) { return; }
  var typed = document.getElementById("typed_name");
  var preview = document.getElementById("sig-preview");
  var box = document.getElementById("draw-box");
  var canvas = document.getElementById("sig-canvas");
  var drawn = document.getElementById("drawn");
  var clear = document.getElementById("sig-clear");
  if (!typed || !canvas) { return; }
  var ctx = canvas.getContext("2d");
  var strokes = 0, drawing = false;

  function kind() {
    var checked = form.querySelector("input[name=kind]:checked");
    return checked ? checked.value : "typed";
  }
  function update() {
    var isDrawn = kind() === "drawn";
    box.hidden = !isDrawn;
    preview.hidden = isDrawn;
    preview.textContent = typed.value;  // textContent: the name is never parsed as HTML
  }
  form.addEventListener("change", update);
  typed.addEventListener("input", update);

  function point(event) {
    var rect = canvas.getBoundingClientRect();
    return { x: (event.clientX - rect.left) * canvas.width / rect.width,
             y: (event.clientY - rect.top) * canvas.height / rect.height };
  }
  ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#10204a";
  canvas.addEventListener("pointerdown", function (event) {
    drawing = true; strokes += 1;
    canvas.setPointerCapture(event.pointerId);
    var p = point(event); ctx.beginPath(); ctx.moveTo(p.x, p.y);
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    var p = point(event); ctx.lineTo(p.x, p.y); ctx.stroke();
  });
  function stop() { if (drawing) { drawing = false; drawn.value = canvas.toDataURL("image/png"); } }
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  clear.addEventListener("click", function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height); strokes = 0; drawn.value = "";
  });
  form.addEventListener("submit", function (event) {
    if (kind() === "drawn" && strokes === 0) {
      event.preventDefault();
      alert("Draw your signature in the box first, or choose Type.");
    }
  });
  update();
}());
