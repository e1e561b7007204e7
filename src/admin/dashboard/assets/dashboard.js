// docket dashboard: live updates, charts, local times and confirmations.
// Loaded as a static file: the Content-Security-Policy allows no inline script.
/* global window, document, EventSource, location, getComputedStyle, setInterval, CustomEvent, HTMLFormElement, URLSearchParams */
(function () {
  'use strict';

  var JOB_EVENTS = ['job:enqueued', 'job:started', 'job:progress', 'job:completed', 'job:retrying', 'job:failed', 'job:cancelled', 'job:snoozed', 'job:released', 'job:stalled', 'job:lease-lost'];

  function fire(name, detail) {
    document.body.dispatchEvent(new CustomEvent(name, { detail: detail }));
  }

  // ---------------------------------------------------------------- live updates
  // The server streams this process's job events and, every few seconds, the
  // store's counts (which also show other processes' work). Live regions
  // listen with hx-trigger="dk-change from:body" / "dk-job-<id> from:body".
  function connect() {
    var url = document.body.getAttribute('data-live');
    if (!url || !window.EventSource) return;
    var source = new EventSource(url);
    var lastCounts = null;
    source.addEventListener('counts', function (e) {
      var queues;
      try {
        queues = JSON.stringify(JSON.parse(e.data).queues);
      } catch {
        return;
      }
      if (lastCounts !== null && queues !== lastCounts) fire('dk-change', null);
      lastCounts = queues;
    });
    JOB_EVENTS.forEach(function (name) {
      source.addEventListener(name, function (e) {
        var data;
        try {
          data = JSON.parse(e.data);
        } catch {
          return;
        }
        fire('dk-change', data);
        if (data && data.jobId) fire('dk-job-' + data.jobId, data);
      });
    });
    window.addEventListener('pagehide', function () {
      source.close();
    });
  }

  // ---------------------------------------------------------------- times
  function pad(n) {
    return (n < 10 ? '0' : '') + n;
  }
  function localText(d) {
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }
  function relative(ms) {
    var s = Math.round(Math.abs(ms) / 1000);
    var text = s < 60 ? s + ' s' : s < 3600 ? Math.round(s / 60) + ' min' : s < 172800 ? Math.round(s / 3600) + ' h' : Math.round(s / 86400) + ' d';
    return ms >= 0 ? text + ' ago' : 'in ' + text;
  }
  function localizeTimes(root) {
    var nodes = (root || document).querySelectorAll('time[datetime]');
    var now = Date.now();
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var d = new Date(el.getAttribute('datetime'));
      if (isNaN(d.getTime())) continue;
      var text = localText(d);
      if (el.getAttribute('data-relative')) text += ' (' + relative(now - d.getTime()) + ')';
      el.textContent = text;
    }
  }

  // ---------------------------------------------------------------- charts
  var charts = [];
  function css(name, fallback) {
    var v = getComputedStyle(document.body).getPropertyValue(name).trim();
    return v || fallback;
  }
  function drawCharts(root) {
    if (!window.uPlot) return;
    charts = charts.filter(function (c) {
      if (c.el.isConnected) return true;
      c.plot.destroy();
      return false;
    });
    var nodes = (root || document).querySelectorAll('[data-chart]');
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      if (el.getAttribute('data-drawn')) continue;
      var s;
      try {
        s = JSON.parse(el.getAttribute('data-series'));
      } catch {
        continue;
      }
      el.setAttribute('data-drawn', '1');
      var width = Math.max(240, el.clientWidth || 600);
      var ok = css('--ok', '#2e7d32');
      var bad = css('--bad', '#c62828');
      var opts, data;
      if (el.getAttribute('data-chart') === 'failures') {
        var rate = s.t.map(function (_, k) {
          var done = s.completed[k] + s.failed[k];
          return done === 0 ? null : (100 * s.failed[k]) / done;
        });
        data = [s.t, rate];
        opts = { width: width, height: 200, scales: { y: { range: [0, 100] } }, series: [{}, { label: 'failed %', stroke: bad, width: 2, spanGaps: false }] };
      } else {
        data = [s.t, s.completed, s.failed, s.cancelled];
        opts = {
          width: width,
          height: 200,
          series: [{}, { label: 'completed', stroke: ok, width: 2 }, { label: 'failed', stroke: bad, width: 2 }, { label: 'cancelled', stroke: css('--muted', '#777'), width: 1 }],
        };
      }
      charts.push({ el: el, plot: new window.uPlot(opts, data, el) });
    }
  }
  function resizeCharts() {
    charts.forEach(function (c) {
      if (c.el.isConnected) c.plot.setSize({ width: Math.max(240, c.el.clientWidth), height: 200 });
    });
  }

  // ---------------------------------------------------------------- forms
  // Actions that ask first: with JavaScript the browser asks; the hidden
  // field tells the server so (without it, the server asks with a page).
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== 'post') return;
    var question = form.getAttribute('data-confirm');
    if (question) {
      if (!window.confirm(question)) {
        e.preventDefault();
        return;
      }
      var confirmed = form.querySelector('input[name="confirmed"]');
      if (confirmed) confirmed.value = '1';
    }
    // come back to this page (without an old notice) after the action
    if (!form.querySelector('input[name="back"]')) {
      var params = new URLSearchParams(location.search);
      params.delete('done');
      var q = params.toString();
      var back = document.createElement('input');
      back.type = 'hidden';
      back.name = 'back';
      back.value = location.pathname + (q ? '?' + q : '');
      form.appendChild(back);
    }
  });

  // after htmx swapped a live region in (the old element is gone, so look at the whole page: cheap)
  function afterSwap() {
    localizeTimes(document);
    drawCharts(document);
  }

  function start() {
    localizeTimes(document);
    drawCharts(document);
    connect();
    document.addEventListener('htmx:after:settle', afterSwap);
    document.addEventListener('htmx:after:swap', afterSwap);
    window.addEventListener('resize', resizeCharts);
    setInterval(function () {
      localizeTimes(document);
    }, 15000);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
