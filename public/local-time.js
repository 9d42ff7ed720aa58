// Moments in the visitor's own time zone (see app/src/components/local_time.rs). The server
// renders each <time data-local> in UTC; this rewrites its text in the browser's zone, in the
// same shape ("2026-12-05 02:30 GMT+8"), and keeps the UTC text as the title. Times that
// client-side navigation renders later are caught by the observer.
(function () {
  'use strict';
  var format;
  try {
    // en-US only for the shape of the parts (digits, zone as GMT+8); the words around a time
    // are the page's own language.
    format = new Intl.DateTimeFormat('en-US', {
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
      hourCycle: 'h23', timeZoneName: 'short',
    });
  } catch (e) {
    return;
  }

  function text(date) {
    var p = {};
    format.formatToParts(date).forEach(function (part) { p[part.type] = part.value; });
    return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ' ' + p.timeZoneName;
  }

  function localise(el) {
    var at = el.getAttribute('datetime');
    if (!at || el.dataset.localised === at) return;
    var date = new Date(at);
    if (isNaN(date.getTime())) return;
    var node = el.firstChild;
    // Only a lone text node: the framework keeps its reference to it, so change its data
    // rather than replacing it.
    if (!node || node.nodeType !== Node.TEXT_NODE || node.nextSibling) return;
    if (!el.title) el.title = node.data.trim();
    node.data = text(date);
    el.dataset.localised = at;
  }

  function within(root) {
    if (root.matches && root.matches('time[data-local]')) localise(root);
    if (root.querySelectorAll) root.querySelectorAll('time[data-local]').forEach(localise);
  }

  function start() {
    within(document);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) { change.addedNodes.forEach(within); });
    }).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
