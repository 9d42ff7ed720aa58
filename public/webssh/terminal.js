// The terminal page's driver (see app/src/pages/terminal/mod.rs): xterm.js on a websocket to
// the server's SSH bridge. Binary frames carry terminal bytes; text frames JSON control
// messages (resize, ping/pong, exit). A dropped socket is resumed with backoff.
(function () {
  'use strict';

  function load(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = src;
      s.onload = resolve;
      s.onerror = function () { reject(new Error('cannot load ' + src)); };
      document.head.appendChild(s);
    });
  }

  // A status line in the page's language: the page renders each as a data-say-* attribute
  // (app/src/pages/terminal/mod.rs); the English here is only a fallback for an old page.
  function words(el, key, fallback, values) {
    var text = el.dataset['say' + key] || fallback;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split('{' + name + '}').join(String(values[name]));
    });
    return text;
  }

  async function mount(el) {
    el.dataset.mounted = '1';
    var status = document.getElementById('xc-terminal-status');
    function say(key, fallback, values) {
      if (status) status.textContent = words(el, key, fallback, values);
    }
    if (!window.Terminal) await load('/webssh/vendor/xterm.js');
    if (!window.FitAddon) await load('/webssh/vendor/addon-fit.js');
    var term = new window.Terminal({ cursorBlink: true });
    var fit = new window.FitAddon.FitAddon();
    term.loadAddon(fit);
    term.open(el);
    fit.fit();
    var ws = null, session = null, attempt = 0, ended = false, lastSeen = Date.now();
    var encoder = new TextEncoder();

    function send(message) {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
    }
    term.onData(function (data) {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(encoder.encode(data));
    });
    term.onResize(function (size) { send({ type: 'resize', cols: size.cols, rows: size.rows }); });
    window.addEventListener('resize', function () { fit.fit(); });

    async function ticket() {
      var url = session
        ? '/api/v1/terminal-sessions/' + encodeURIComponent(session) + '/resume'
        : '/api/v1/hosts/' + encodeURIComponent(el.dataset.host) + '/terminal-sessions';
      var response = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
        body: JSON.stringify(session ? {} : { cols: term.cols, rows: term.rows }),
      });
      var body = await response.json().catch(function () { return {}; });
      if (!response.ok) {
        var error = new Error(body.detail || response.statusText);
        error.status = response.status;
        throw error;
      }
      return body;
    }

    function retry() {
      attempt += 1;
      var left = Math.min(30, Math.pow(2, Math.min(attempt - 1, 5)));
      say('ReconnectIn', 'Reconnecting in {s} s', { s: left });
      var timer = setInterval(function () {
        left -= 1;
        if (left > 0) { say('ReconnectIn', 'Reconnecting in {s} s', { s: left }); return; }
        clearInterval(timer);
        connect();
      }, 1000);
    }

    async function connect() {
      if (attempt) say('Reconnecting', 'Reconnecting…');
      else say('Connecting', 'Connecting…');
      var t;
      try {
        t = await ticket();
      } catch (e) {
        if (session && e.status === 404) {
          ended = true;
          say('Over', 'Ended: the session is over');
          return;
        }
        if (e.status && e.status < 500 && e.status !== 429) {
          ended = true;
          say('CannotConnect', 'Cannot connect: {why}', { why: e.message });
          return;
        }
        retry();
        return;
      }
      session = t.session_id;
      ws = new WebSocket(t.websocket_url);
      ws.binaryType = 'arraybuffer';
      ws.onopen = function () {
        attempt = 0;
        lastSeen = Date.now();
        say('Connected', 'Connected');
        send({ type: 'resize', cols: term.cols, rows: term.rows });
        term.focus();
      };
      ws.onmessage = function (event) {
        lastSeen = Date.now();
        if (typeof event.data !== 'string') {
          term.write(new Uint8Array(event.data));
          return;
        }
        var message = JSON.parse(event.data);
        if (message.type === 'ping') send({ type: 'pong' });
        if (message.type === 'exit') {
          ended = true;
          var code = message.code === null || message.code === undefined
            ? '' : words(el, 'ExitCode', ' (exit code {code})', { code: message.code });
          say('Ended', 'Ended: {why}', { why: message.reason + code });
        }
      };
      ws.onclose = function () {
        ws = null;
        if (!ended) retry();
      };
    }

    // Our heartbeat: a ping every 10 s; a server silent for 30 s is dropped (then resumed).
    setInterval(function () {
      send({ type: 'ping' });
      if (ws && Date.now() - lastSeen > 30000) ws.close();
    }, 10000);
    connect();
  }

  // The script may run before the page's container exists (client-side navigation). Nothing
  // connects until the user presses Connect: a page that merely links here (or frames it)
  // must not open a shell in the visitor's name.
  function find(tries) {
    var el = document.getElementById('xc-terminal');
    var button = document.getElementById('xc-terminal-connect');
    if (el && button && !el.dataset.armed) {
      el.dataset.armed = '1';
      button.addEventListener('click', function () {
        if (el.dataset.mounted) return;
        button.hidden = true;
        mount(el).catch(function (e) {
          var status = document.getElementById('xc-terminal-status');
          if (status) {
            status.textContent = words(el, 'CannotStart', 'Cannot start the terminal: {why}',
              { why: e.message });
          }
        });
      });
    } else if (!el && tries > 0) {
      setTimeout(function () { find(tries - 1); }, 50);
    }
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { find(40); });
  } else {
    find(40);
  }
})();
