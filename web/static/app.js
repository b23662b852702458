// tapedeck web page: vanilla JS, no dependencies. Every value from the API
// goes into the page through textContent, never as HTML.
"use strict";

(function () {
  const API = "/api/v1";
  const TOKEN_KEY = "tapedeck.token";
  const $ = (id) => document.getElementById(id);

  let status = null;
  let currentPlaylist = null; // id shown in the detail view
  let events = null;
  let pollTimer = null;
  let posTimer = null;
  let posBase = { ms: 0, at: 0 };

  // ---- API calls

  function token() {
    try { return localStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
  }

  async function api(method, path, body) {
    const opts = { method: method, headers: {}, credentials: "same-origin", cache: "no-store" };
    const t = token();
    if (t) opts.headers["Authorization"] = "Bearer " + t;
    if (method !== "GET") {
      // Every change must be JSON, even one without arguments.
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body === undefined ? {} : body);
    }
    const res = await fetch(API + path, opts);
    if (res.status === 401) {
      $("auth").hidden = false;
      throw new Error("the API needs a token");
    }
    if (!res.ok) {
      let msg = res.status + " " + res.statusText;
      try { const j = await res.json(); if (j && j.error) msg = j.error.message; } catch (e) { /* not JSON */ }
      throw new Error(msg);
    }
    if (res.status === 204) return null;
    return res.json();
  }

  function showError(err) {
    const el = $("error");
    if (!err) { el.hidden = true; el.textContent = ""; return; }
    el.textContent = String(err.message || err);
    el.hidden = false;
  }

  async function act(method, path, body) {
    try {
      await api(method, path, body);
      showError(null);
      if (!events || events.readyState !== EventSource.OPEN) refreshStatus();
    } catch (e) { showError(e); }
  }

  // ---- now playing

  function fmt(ms) {
    if (!(ms > 0)) return "0:00";
    const s = Math.floor(ms / 1000);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  const CONN = { online: "Spotify online", degraded: "Spotify degraded", offline: "Spotify offline", recovering: "Spotify recovering", not_linked: "Spotify not linked" };
  const SOURCE = { spotify: "Spotify", local: "Your copy", none: "—" };

  function renderStatus(s) {
    status = s;
    const t = s.track;
    $("title").textContent = t ? (t.title || "(untitled)") : "Nothing playing";
    $("artists").textContent = t && t.artists ? t.artists.join(", ") : "";
    $("album").textContent = t && t.album ? t.album : "";
    $("from").textContent = s.playlist ? "from " + s.playlist.name : "";
    $("state").textContent = s.state || "stopped";
    const src = $("source");
    src.dataset.source = s.source || "none";
    src.textContent = SOURCE[s.source] || s.source || "—";
    src.title = t && t.local_path ? t.local_path : "";
    const c = (s.spotify && s.spotify.connectivity) || "unknown";
    const conn = $("conn");
    conn.dataset.state = c;
    conn.textContent = CONN[c] || c;
    conn.title = s.spotify && s.spotify.last_error ? s.spotify.last_error : "Spotify connectivity";
    // Why Spotify is not online, and the Spotify app on this computer, in
    // words: a phone has no hover to show the badge's title.
    const why = [];
    if (c !== "online" && s.spotify && s.spotify.last_error) why.push((CONN[c] || c) + ": " + s.spotify.last_error);
    const app = s.spotify && s.spotify.app;
    if (app) why.push("Spotify app on this computer: " + String(app.status).toLowerCase());
    $("why").textContent = why.join(" · ");
    $("why").hidden = why.length === 0;
    const oe = $("output-error");
    oe.hidden = !s.output_error;
    oe.textContent = s.output_error ? "Audio output: " + s.output_error : "";
    const tog = $("toggle");
    if (s.state === "playing") {
      tog.dataset.action = "pause"; tog.textContent = "⏸"; tog.setAttribute("aria-label", "Pause");
    } else {
      tog.dataset.action = s.state === "paused" ? "resume" : "play";
      tog.textContent = "▶"; tog.setAttribute("aria-label", "Play");
    }
    tog.disabled = s.state === "stopped" && !s.playlist;
    $("shuffle").setAttribute("aria-pressed", String(!!s.shuffle));
    const rep = $("repeat");
    rep.dataset.repeat = s.repeat || "off";
    rep.setAttribute("aria-label", "Repeat: " + rep.dataset.repeat);
    rep.textContent = rep.dataset.repeat === "one" ? "↻1" : "↻";
    if (!volumeDragging) {
      $("volume").value = s.volume;
      $("volume-out").textContent = s.volume;
    }
    setPosition(s.position_ms || 0);
  }

  function setPosition(ms) {
    posBase = { ms: ms, at: performance.now() };
    drawPosition();
  }

  // drawPosition moves the seek slider with the clock between position
  // events, unless the listener is dragging it.
  function drawPosition() {
    const dur = status && status.track ? status.track.duration_ms : 0;
    const seek = $("seek");
    let ms = posBase.ms;
    if (status && status.state === "playing") ms += performance.now() - posBase.at;
    if (dur > 0) ms = Math.min(ms, dur);
    if (seekDragging) ms = Number(seek.value);
    seek.disabled = !(dur > 0);
    seek.max = String(dur > 0 ? dur : 0);
    if (!seekDragging) seek.value = String(Math.round(ms));
    seek.setAttribute("aria-valuetext", fmt(ms) + " of " + fmt(dur));
    $("time").textContent = fmt(ms) + " / " + fmt(dur);
  }

  async function refreshStatus() {
    try { renderStatus(await api("GET", "/status")); showError(null); } catch (e) { showError(e); }
  }

  let volumeDragging = false;
  let volumeTimer = null;
  let seekDragging = false;

  function wireControls() {
    $("prev").addEventListener("click", () => act("POST", "/player/previous"));
    $("next").addEventListener("click", () => act("POST", "/player/next"));
    $("shuffle").addEventListener("click", () =>
      act("PUT", "/player/shuffle", { shuffle: $("shuffle").getAttribute("aria-pressed") !== "true" }));
    // Repeat cycles off → all → one → off, as music players' buttons do.
    $("repeat").addEventListener("click", () => {
      const next = { off: "all", all: "one", one: "off" }[$("repeat").dataset.repeat] || "off";
      act("PUT", "/player/repeat", { repeat: next });
    });
    $("toggle").addEventListener("click", () => {
      const a = $("toggle").dataset.action;
      if (a === "pause") act("POST", "/player/pause");
      else if (a === "resume") act("POST", "/player/resume");
      else if (status && status.playlist) act("POST", "/player/play", { playlist: status.playlist.id, index: Math.max(0, status.index) });
    });
    const vol = $("volume");
    vol.addEventListener("input", () => {
      volumeDragging = true;
      $("volume-out").textContent = vol.value;
      clearTimeout(volumeTimer);
      volumeTimer = setTimeout(sendVolume, 150);
    });
    vol.addEventListener("change", () => { clearTimeout(volumeTimer); sendVolume(); });
    function sendVolume() {
      volumeDragging = false;
      act("PUT", "/player/volume", { volume: Number(vol.value) });
    }
    const seek = $("seek");
    seek.addEventListener("input", () => { seekDragging = true; drawPosition(); });
    seek.addEventListener("change", () => {
      seekDragging = false;
      const ms = Number(seek.value);
      setPosition(ms);
      act("POST", "/player/seek", { position_ms: ms });
    });
    $("back").addEventListener("click", () => { currentPlaylist = null; selectTab("playlists"); });
    $("play-playlist").addEventListener("click", () => {
      if (currentPlaylist) act("POST", "/player/play", { playlist: currentPlaylist });
    });
    for (const b of document.querySelectorAll(".tab")) {
      b.addEventListener("click", () => selectTab(b.dataset.tab));
    }
    $("auth-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      try { localStorage.setItem(TOKEN_KEY, $("token").value.trim()); } catch (e) { /* private mode */ }
      $("token").value = "";
      $("auth").hidden = true;
      start();
    });
  }

  const TABS = ["playlists", "queue", "missing", "outages"];

  function selectTab(name) {
    for (const b of document.querySelectorAll(".tab")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
    $("detail").hidden = true;
    for (const n of TABS) $("tab-" + n).hidden = n !== name;
    if (name === "playlists") loadPlaylists();
    if (name === "queue") loadQueue();
    if (name === "missing") loadMissing();
    if (name === "outages") loadOutages();
  }

  // ---- playlists

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function pct(p) {
    const v = Number(p.coverage_pct);
    return isFinite(v) ? Math.max(0, Math.min(100, v)) : 0;
  }

  async function loadPlaylists() {
    let ps;
    try { ps = await api("GET", "/playlists"); } catch (e) { showError(e); return; }
    const ul = $("playlists");
    ul.replaceChildren();
    $("playlists-empty").hidden = ps.length > 0;
    for (const p of ps) {
      const li = el("li");
      li.dataset.id = p.id;
      const b = el("button", "pl");
      b.type = "button";
      const name = el("div", "pl-name");
      name.append(el("span", "", p.name), el("span", "", p.playable_offline + "/" + p.items + " offline · " + Math.round(pct(p)) + "%"));
      const bar = el("div", "cov");
      bar.setAttribute("role", "meter");
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", "100");
      bar.setAttribute("aria-valuenow", String(pct(p)));
      bar.setAttribute("aria-label", "offline coverage of " + p.name);
      const fill = el("div", "cov-fill");
      fill.style.width = pct(p) + "%";
      bar.append(fill);
      b.append(name, bar);
      b.addEventListener("click", () => showPlaylist(p.id));
      li.append(b);
      ul.append(li);
    }
  }

  // ---- a playlist's entries and their matches

  let editing = null;      // position of the entry whose match panel is open
  let detailStale = false; // the entries changed while a panel was open

  // showPlaylist shows a playlist's entries; focusPos, when given, is the
  // entry whose match button gets the focus back after a change. A
  // background refresh leaves a match panel in use alone.
  async function showPlaylist(id, focusPos, background) {
    let d;
    try { d = await api("GET", "/playlists/" + encodeURIComponent(id)); } catch (e) { showError(e); return; }
    if (background && editing !== null) { detailStale = true; return; }
    const fresh = currentPlaylist !== d.id || $("detail").hidden;
    currentPlaylist = d.id;
    editing = null;
    detailStale = false;
    for (const n of TABS) $("tab-" + n).hidden = true;
    $("detail").hidden = false;
    $("detail-name").textContent = d.name;
    $("detail-cov").textContent = d.playable_offline + " of " + d.items + " playable offline (" + Math.round(pct(d)) + "%)";
    const ol = $("entries");
    ol.replaceChildren(...d.entries.map((e, i) => entryItem(d, e, i)));
    const fix = focusPos === undefined ? null : ol.querySelector('li[data-pos="' + focusPos + '"] .fix');
    if (fix) fix.focus();
    else if (fresh) window.scrollTo(0, $("detail").offsetTop - 8);
  }

  function entryItem(d, e, i) {
    const li = el("li");
    li.dataset.pos = String(i);
    if (e.spotify_id) li.dataset.id = e.spotify_id;
    const row = el("div", "entry-row");
    const name = e.name || (e.available ? "(untitled)" : "(unavailable on Spotify)");
    const main = el("div", "entry-main");
    main.append(el("div", "t", name));
    main.append(el("div", "muted small", (e.artists || []).join(", ")));
    if (e.local_path) main.append(el("div", "muted small path", e.local_path));
    const none = e.match_method === "none";
    const m = el("span", "match " + (e.local_path ? "ok" : "no"), e.local_path ? (e.match_method || "matched") : (none ? "no copy" : "missing"));
    m.title = e.local_path ? "matched by " + (e.match_method || "?") + (e.match_score ? " (" + e.match_score.toFixed(2) + ")" : "")
      : (none ? "you said there is no local copy" : "no local copy");
    const play = el("button", "btn", "▶");
    play.type = "button";
    play.setAttribute("aria-label", "Play from here");
    play.addEventListener("click", () => act("POST", "/player/play", { playlist: d.id, index: i }));
    row.append(main, m, play);
    if (e.spotify_id) {
      const fix = el("button", "btn fix", "Match");
      fix.type = "button";
      fix.setAttribute("aria-expanded", "false");
      fix.setAttribute("aria-controls", "match-" + i);
      fix.setAttribute("aria-label", "Change the match of " + name);
      fix.addEventListener("click", () => toggleMatch(li, e));
      row.append(fix);
    }
    li.append(row);
    return li;
  }

  function button(text, cls, onClick) {
    const b = el("button", "btn " + cls, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function closeMatch(li) {
    const panel = li.querySelector(".match-panel");
    if (panel) panel.remove();
    li.querySelector(".fix").setAttribute("aria-expanded", "false");
    editing = null;
  }

  // doneMatching closes the listener's panel and catches up on what changed
  // meanwhile.
  function doneMatching(li) {
    closeMatch(li);
    if (detailStale) showPlaylist(currentPlaylist, li.dataset.pos);
    else li.querySelector(".fix").focus();
  }

  // toggleMatch opens (or closes) the panel where the listener pins a file
  // found by a library search, rejects the matched file, says there is no
  // copy, or goes back to the automatic match. One panel is open at a time.
  function toggleMatch(li, e) {
    if (li.querySelector(".match-panel")) { doneMatching(li); return; }
    for (const other of $("entries").children) if (other.querySelector(".match-panel")) closeMatch(other);
    const panel = matchPanel(li, e);
    li.append(panel);
    li.querySelector(".fix").setAttribute("aria-expanded", "true");
    editing = li.dataset.pos;
    panel.querySelector("input").focus();
  }

  function matchPanel(li, e) {
    const panel = el("div", "match-panel");
    panel.id = "match-" + li.dataset.pos;
    const set = el("fieldset");
    set.append(el("legend", "small", "Which file is “" + (e.name || e.spotify_id) + "”?"));
    const decide = async (method, body) => {
      set.disabled = true;
      try {
        await api(method, "/matches/" + encodeURIComponent(e.spotify_id), body);
      } catch (err) {
        showError(err);
        set.disabled = false;
        return;
      }
      showError(null);
      await showPlaylist(currentPlaylist, li.dataset.pos);
      set.disabled = false; // still shown if the entries could not be loaded
      refreshStatus();
    };

    const actions = el("div", "match-actions");
    if (e.local_path) {
      const r = button("Reject this file", "reject", () => decide("PUT", { kind: "reject", path: e.local_path }));
      r.setAttribute("aria-label", "Reject " + e.local_path);
      actions.append(r);
    }
    if (e.match_method !== "none") actions.append(button("I have no copy", "none", () => decide("PUT", { kind: "none" })));
    // Always offered: a rejection does not show in the entry.
    const reset = button("Reset to automatic", "reset", () => decide("DELETE"));
    reset.title = "forget your pins and rejections for this track";
    actions.append(reset);

    const form = el("form", "match-search");
    form.setAttribute("role", "search");
    const input = el("input");
    input.type = "search";
    input.id = "match-q-" + li.dataset.pos;
    input.autocomplete = "off";
    input.enterKeyHint = "search";
    input.placeholder = "title, artist or album";
    input.value = [e.name, (e.artists || [])[0]].filter(Boolean).join(" ");
    const label = el("label", "small", "Pin a file from your library:");
    label.htmlFor = input.id;
    const go = el("button", "btn", "Search");
    go.type = "submit";
    form.append(label, input, go);
    const said = el("p", "muted small");
    said.setAttribute("aria-live", "polite");
    const results = el("ul", "list match-results");

    let seq = 0, timer = null;
    const search = async () => {
      clearTimeout(timer);
      const q = input.value.trim();
      const mine = ++seq;
      if (!q) { results.replaceChildren(); said.textContent = ""; return; }
      let ts;
      try { ts = await api("GET", "/tracks?limit=20&q=" + encodeURIComponent(q)); } catch (err) { showError(err); return; }
      if (mine !== seq) return; // a newer search is under way
      said.textContent = ts.length ? ts.length + (ts.length === 1 ? " file" : " files") : "No file in your library matches “" + q + "”.";
      results.replaceChildren(...ts.map((t) => candidate(t, e, (path) => decide("PUT", { kind: "pin", path: path }))));
    };
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 250); });
    form.addEventListener("submit", (ev) => { ev.preventDefault(); search(); });
    panel.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") doneMatching(li);
    });

    set.append(actions, form, said, results);
    panel.append(set);
    search();
    return panel;
  }

  function candidate(t, e, pin) {
    const li = el("li");
    li.dataset.path = t.path;
    const info = el("div", "entry-main");
    info.append(el("div", "t", ((t.artists || []).join(", ") || "?") + " — " + (t.title || "(no title)")));
    info.append(el("div", "muted small", [t.album, fmt(t.duration_ms), t.format].filter(Boolean).join(" · ")));
    info.append(el("div", "muted small path", t.path));
    // Pinning the automatic match keeps it whatever later scans find.
    const pinned = t.path === e.local_path && e.match_method === "pin";
    const b = button(pinned ? "Pinned" : "Pin", "pin", () => pin(t.path));
    b.disabled = pinned;
    b.setAttribute("aria-label", "Pin " + t.path);
    li.append(info, b);
    return li;
  }

  // ---- the queue

  async function loadQueue() {
    let q;
    try { q = await api("GET", "/queue"); } catch (e) { showError(e); return; }
    renderQueue(q);
  }

  // renderQueue lists the queue (the API's indexes count from 0; the page
  // numbers from 1, as `tapedeck queue` does). focus, when given, names the
  // button to focus afterwards: [index, "up" | "down" | "remove"].
  function renderQueue(q, focus) {
    const ol = $("queue");
    const n = q.entries.length;
    ol.replaceChildren(...q.entries.map((e, i) => queueItem(e, i, n, i === q.index)));
    $("queue-empty").hidden = n > 0;
    $("queue-from").hidden = !q.playlist;
    $("queue-from").textContent = q.playlist ? "from " + q.playlist.name : "";
    if (!focus || n === 0) return;
    const li = ol.children[Math.min(focus[0], n - 1)];
    const b = li.querySelector("." + focus[1]);
    (b && !b.disabled ? b : li.querySelector(".remove")).focus();
  }

  function queueItem(e, i, n, current) {
    const li = el("li");
    li.dataset.index = String(i);
    if (current) li.setAttribute("aria-current", "true");
    const row = el("div", "entry-row");
    const main = el("div", "entry-main");
    const title = e.title || "(untitled)";
    main.append(el("div", "t", (i + 1) + ". " + title));
    main.append(el("div", "muted small", [(e.artists || []).join(", "), fmt(e.duration_ms)].filter(Boolean).join(" · ")));
    const up = button("↑", "up", () => editQueue("POST", "/queue/move", { from: i, to: i - 1 }, [i - 1, "up"]));
    up.setAttribute("aria-label", "Move " + title + " up");
    up.disabled = i === 0;
    const down = button("↓", "down", () => editQueue("POST", "/queue/move", { from: i, to: i + 1 }, [i + 1, "down"]));
    down.setAttribute("aria-label", "Move " + title + " down");
    down.disabled = i === n - 1;
    const rm = button("✕", "remove", () => editQueue("DELETE", "/queue/entries/" + i, undefined, [i, "remove"]));
    rm.setAttribute("aria-label", "Remove " + title + (current ? " (playing: the next one plays)" : ""));
    row.append(main, up, down, rm);
    li.append(row);
    return li;
  }

  // editQueue sends an edit and shows the queue the daemon answers with.
  async function editQueue(method, path, body, focus) {
    let q;
    try { q = await api(method, path, body); } catch (e) { showError(e); loadQueue(); return; }
    showError(null);
    renderQueue(q, focus);
  }

  // ---- missing

  function csvField(v) {
    let s = v === null || v === undefined ? "" : String(v);
    // Keep spreadsheets from running a cell as a formula.
    if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function names(list) {
    return (list || []).map((a) => (typeof a === "string" ? a : a.name)).join("; ");
  }

  async function loadMissing() {
    let ms;
    try { ms = await api("GET", "/missing"); } catch (e) { showError(e); return; }
    $("missing-count").textContent = ms.length + (ms.length === 1 ? " track" : " tracks") + " with no local copy";
    const ul = $("missing");
    ul.replaceChildren();
    const rows = [["artists", "title", "album", "isrc", "spotify_uri", "playlists"]];
    for (const m of ms) {
      const li = el("li");
      li.append(el("div", "t", m.name), el("div", "muted small", names(m.artists) + (m.album ? " — " + m.album : "")));
      if (m.playlists && m.playlists.length) li.append(el("div", "muted small", "in " + m.playlists.join(", ")));
      ul.append(li);
      rows.push([names(m.artists), m.name, m.album, m.isrc, m.uri, (m.playlists || []).join("; ")]);
    }
    const csv = rows.map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
    // A data: URL rather than a blob: one, so the page's CSP (connect-src
    // 'self') needs no exception and nothing needs revoking.
    $("missing-csv").href = "data:text/csv;charset=utf-8," + encodeURIComponent("\ufeff" + csv);
  }

  // ---- outages

  async function loadOutages() {
    let os;
    try { os = await api("GET", "/outages"); } catch (e) { showError(e); return; }
    const ul = $("outages");
    ul.replaceChildren();
    $("outages-empty").hidden = os.length > 0;
    for (const o of os.slice().reverse()) {
      const start = new Date(o.start);
      const end = o.end ? new Date(o.end) : null;
      const li = el("li");
      const mins = Math.round(((end || new Date()) - start) / 60000);
      li.append(el("div", "t", start.toLocaleString() + (end ? " → " + end.toLocaleTimeString() : " → now (ongoing)")));
      li.append(el("div", "muted small", (o.cause || "unknown cause") + " · " + mins + " min · played locally " + fmt(o.played_locally_ms)));
      ul.append(li);
    }
  }

  // ---- live updates

  let refreshTimer = null;
  function refreshSoon(lists) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      refreshStatus();
      // The current entry moves with the track; edits come as queue events.
      if (!$("tab-queue").hidden) loadQueue();
      if (lists) {
        if (!$("tab-playlists").hidden) loadPlaylists();
        if (!$("tab-missing").hidden) loadMissing();
        if (!$("tab-outages").hidden) loadOutages();
        if (!$("detail").hidden && currentPlaylist) showPlaylist(currentPlaylist, undefined, true);
      }
    }, 200);
  }

  function setLive(on) {
    const l = $("live");
    l.dataset.state = on ? "on" : "off";
    l.textContent = on ? "live" : (pollTimer ? "polling" : "reconnecting");
  }

  function connect() {
    if (events) events.close();
    clearInterval(pollTimer);
    pollTimer = null;
    // EventSource cannot send a token: with one, poll instead.
    if (token() || typeof EventSource === "undefined") {
      pollTimer = setInterval(refreshStatus, 3000);
      setLive(false);
      return;
    }
    events = new EventSource(API + "/events");
    events.onopen = () => setLive(true);
    events.onerror = () => setLive(false);
    const parse = (ev) => { try { return JSON.parse(ev.data); } catch (e) { return null; } };
    events.addEventListener("status", (ev) => { const s = parse(ev); if (s) renderStatus(s); });
    events.addEventListener("position", (ev) => {
      const d = parse(ev);
      const ms = d && typeof d === "object" ? d.position_ms : d;
      if (typeof ms === "number") setPosition(ms); else refreshSoon(false);
    });
    for (const t of ["state", "track", "source", "volume", "error", "queue"]) events.addEventListener(t, () => refreshSoon(false));
    for (const t of ["connectivity", "scan", "sync", "match"]) events.addEventListener(t, () => refreshSoon(true));
  }

  function start() {
    refreshStatus();
    loadPlaylists();
    connect();
  }

  document.addEventListener("DOMContentLoaded", () => {
    wireControls();
    clearInterval(posTimer);
    posTimer = setInterval(drawPosition, 1000);
    start();
  });
})();
