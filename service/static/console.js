/* The console's few scripts. Every page works without them: links and forms do the work,
   this file only makes some of it quicker. Loaded in <head> (not deferred) so the page is
   marked as scripted before it is drawn: the phone's menu then starts closed, and tabbed
   sections start as tabs, without a flash of the unscripted layout. */
(function () {
  "use strict";
  document.documentElement.classList.replace("no-js", "js");

  /* Tabbed sections (the pair page): without a script each pane is a plain section under
     its heading, and the tab list is a list of links to them. With one, the panes become
     tabs; the address's #fragment (or a link to something inside a pane) opens its tab. */
  function paneOf(target) {
    var node = target;
    while (node && node !== document) {
      if (node.classList && node.classList.contains("tab-pane")) return node;
      node = node.parentNode;
    }
    return null;
  }

  function show(pane, focus) {
    if (!pane || !window.bootstrap) return;
    var tab = document.querySelector('[data-bs-toggle="tab"][href="#' + pane.id + '"]');
    if (tab) {
      window.bootstrap.Tab.getOrCreateInstance(tab).show();
      if (focus) tab.focus();
    }
  }

  function openFragment(hash) {
    if (!hash || hash.length < 2) return;
    var target = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (!target) return;
    var pane = paneOf(target);
    if (pane) {
      show(pane, false);
      if (target !== pane) target.scrollIntoView();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var tabs = document.querySelectorAll('[data-bs-toggle="tab"]');
    tabs.forEach(function (tab) {
      tab.addEventListener("shown.bs.tab", function () {
        if (history.replaceState) history.replaceState(null, "", tab.getAttribute("href"));
      });
    });
    openFragment(window.location.hash);
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest('a[href^="#"]');
      if (link && !link.hasAttribute("data-bs-toggle")) openFragment(link.getAttribute("href"));
    });
    window.addEventListener("hashchange", function () { openFragment(window.location.hash); });
  });
})();
