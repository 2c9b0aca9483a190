// Tabs that work without this script: every tab is a link (?tab=terms) the server renders with its
// panel open. This script only makes them switch in place, with the WAI-ARIA keys: Left/Right
// (and Home/End) move between tabs, the focused tab opens; a link to an anchor in a closed panel
// opens that panel first. The URL follows the open tab, so reload and back keep it.
(function () {
  "use strict";
  function setup(list) {
    var tabs = Array.prototype.slice.call(list.querySelectorAll("[role='tab']"));
    var view = list.getAttribute("data-view-of") ? document.querySelector(list.getAttribute("data-view-of")) : null;
    function panelOf(tab) { return document.getElementById(tab.getAttribute("aria-controls")); }
    tabs.forEach(function (tab) {
      var panel = panelOf(tab);
      if (panel && !panel.getAttribute("role")) {
        panel.setAttribute("role", "tabpanel");
        panel.setAttribute("aria-labelledby", tab.id);
      }
    });
    function select(tab, focus, push) {
      tabs.forEach(function (other) {
        var on = other === tab;
        other.setAttribute("aria-selected", on ? "true" : "false");
        other.setAttribute("tabindex", on ? "0" : "-1");
        var panel = panelOf(other);
        if (panel) { panel.hidden = !on; }
      });
      if (view) { view.setAttribute("data-view", tab.getAttribute("data-tab")); }
      if (focus) { tab.focus(); }
      if (push && window.history && window.history.replaceState) {
        window.history.replaceState(null, "", tab.getAttribute("href"));
      }
    }
    var current = tabs.filter(function (t) { return t.getAttribute("aria-selected") === "true"; })[0] || tabs[0];
    if (!current) { return; }
    select(current, false, false);
    list.addEventListener("click", function (e) {
      var tab = e.target.closest("[role='tab']");
      if (!tab || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) { return; }
      e.preventDefault();
      select(tab, true, true);
    });
    list.addEventListener("keydown", function (e) {
      var i = tabs.indexOf(document.activeElement);
      if (i < 0) { return; }
      var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (next === undefined) { return; }
      e.preventDefault();
      select(tabs[(next + tabs.length) % tabs.length], true, true);
    });
    // An anchor inside a closed panel (#term-fees, a change in the change list): open its panel.
    function reveal(id) {
      var target = id && document.getElementById(id);
      if (!target) { return false; }
      for (var k = 0; k < tabs.length; k++) {
        var panel = panelOf(tabs[k]);
        if (panel && panel.contains(target)) {
          if (panel.hidden) { select(tabs[k], false, false); }
          target.scrollIntoView({ block: "center" });
          return true;
        }
      }
      return false;
    }
    document.addEventListener("click", function (e) {
      var link = e.target.closest("a[href^='#']");
      if (!link || list.contains(link)) { return; }
      if (reveal(decodeURIComponent(link.getAttribute("href").slice(1)))) {
        e.preventDefault();
        if (window.history && window.history.replaceState) { window.history.replaceState(null, "", link.getAttribute("href")); }
      }
    });
    if (window.location.hash) { reveal(decodeURIComponent(window.location.hash.slice(1))); }
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-tabs]"), setup);
})();
