// The trainer's page's script (sim/present/explore.py puts it inside explore.html): it draws
// the selected point's figures as inline SVG from the page's data and plays the replay.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var NS = "http://www.w3.org/2000/svg";
  var W = 640, H = 360;
  var BLUE = "#0072B2", ORANGE = "#E69F00", GREEN = "#009E73", RED = "#D55E00",
    SKY = "#56B4E9", GREY = "#999999", DARK = "#222222", PALETTE = [BLUE, ORANGE, GREEN, RED,
    "#CC79A7", SKY, "#F0E442", DARK];
  var sliders = Array.prototype.slice.call(document.querySelectorAll("input.lever-slider"));
  var byIndex = {};
  data.points.forEach(function (p, i) { byIndex[p.index.join(",")] = i; });
  var chosen = data.start;

  function fmt(x, digits) {
    if (x === null || x === undefined || !isFinite(x)) { return "n/a"; }
    return x.toLocaleString("en", {minimumFractionDigits: digits, maximumFractionDigits: digits});
  }
  function text(id, value) { document.getElementById(id).textContent = value; }
  function el(tag, attrs, parent, words) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (words !== undefined) { e.textContent = words; }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function hoursText(h) {
    if (h < 1) { return Math.round(h * 60) + " min"; }
    if (h < 48) { return fmt(h, h < 10 && h !== Math.round(h) ? 1 : 0) + " h"; }
    return fmt(h / 24, 0) + " days";
  }
  function linearTicks(lo, hi, n) {
    var span = hi - lo || 1, step = Math.pow(10, Math.floor(Math.log10(span / n)));
    [1, 2, 5, 10].some(function (m) { if (span / (step * m) <= n) { step *= m; return true; } return false; });
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) { out.push(+v.toFixed(10)); }
    return out;
  }
  function logTicks(lo, hi) {
    var out = [];
    for (var e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      [1, 2, 5].forEach(function (m) { var v = m * Math.pow(10, e); if (v >= lo && v <= hi) { out.push(v); } });
    }
    return out;
  }
  function overlaps(a, b) {
    return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  }

  // A chart: axes on a fixed canvas; every text is placed only where it overlaps no other.
  function Chart(slot, o) {
    var fig = document.querySelector("figure[data-slot='" + slot + "']");
    this.fig = fig;
    var svg = fig.querySelector("svg");
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    this.svg = svg;
    this.m = {l: o.left || 66, r: 18, t: 14, b: 48};
    this.o = o;
    this.boxes = [];
    var m = this.m, self = this;
    var x0 = m.l, x1 = W - m.r, y0 = H - m.b, y1 = m.t;
    this.px = function (v) {
      var t = o.xlog ? (Math.log(v) - Math.log(o.x[0])) / (Math.log(o.x[1]) - Math.log(o.x[0]))
        : (v - o.x[0]) / (o.x[1] - o.x[0]);
      return x0 + Math.max(0, Math.min(1, t)) * (x1 - x0);
    };
    this.py = function (v) {
      var t = (v - o.y[0]) / (o.y[1] - o.y[0]);
      return y0 - Math.max(0, Math.min(1, t)) * (y0 - y1);
    };
    this.area = {x: x0, y: y1, width: x1 - x0, height: y0 - y1};
    el("rect", {x: x0, y: y1, width: x1 - x0, height: y0 - y1, fill: "#fff", stroke: "#ccc",
      "class": "plot-area"}, svg);
    this.grid = el("g", {}, svg);
    this.data = el("g", {"class": "data"}, svg);
    this.labels = el("g", {"class": "labels"}, svg);
    if (!o.noXTicks) {
      (o.xticks || (o.xlog ? logTicks(o.x[0], o.x[1]) : linearTicks(o.x[0], o.x[1], 6)))
        .forEach(function (v) {
          var x = self.px(v);
          el("line", {x1: x, x2: x, y1: y0, y2: y1, stroke: "#eee"}, self.grid);
          self.place((o.xfmt || String)(v), [[x, y0 + 18, "middle"]], {"class": "tick"});
        });
    }
    if (!o.noYTicks) {
      linearTicks(o.y[0], o.y[1], 5).forEach(function (v) {
        var y = self.py(v);
        el("line", {x1: x0, x2: x1, y1: y, y2: y, stroke: "#eee"}, self.grid);
        self.place((o.yfmt || String)(v), [[x0 - 6, y + 5, "end"]], {"class": "tick"});
      });
    }
    if (o.xlabel) { this.place(o.xlabel, [[(x0 + x1) / 2, H - 8, "middle"]], {"class": "axis"}); }
    if (o.ylabel) {
      var t = el("text", {x: 0, y: 0, transform: "translate(16 " + ((y0 + y1) / 2) + ") rotate(-90)",
        "text-anchor": "middle", "class": "axis"}, this.labels, o.ylabel);
      this.boxes.push(t.getBBox && {x: 4, y: y1, width: 16, height: y0 - y1});
    }
  }
  // Put a text at the first of its candidate places where it overlaps no text already placed
  // and stays on the canvas; a text with no such place is left out.
  Chart.prototype.place = function (words, spots, attrs) {
    for (var k = 0; k < spots.length; k++) {
      var a = {x: spots[k][0], y: spots[k][1], "text-anchor": spots[k][2] || "start"};
      Object.keys(attrs || {}).forEach(function (key) { a[key] = attrs[key]; });
      var t = el("text", a, this.labels, words);
      var b = t.getBBox();
      var inside = b.x >= 0 && b.y >= 0 && b.x + b.width <= W && b.y + b.height <= H;
      if (inside && !this.boxes.some(function (o) { return overlaps(o, b); })) {
        this.boxes.push(b);
        return t;
      }
      this.labels.removeChild(t);
    }
    return null;
  };
  function legend(slot, items) {
    var ul = document.querySelector("figure[data-slot='" + slot + "'] .legend");
    ul.innerHTML = "";
    items.forEach(function (it) {
      var li = document.createElement("li");
      var sw = document.createElement("span");
      sw.className = "swatch" + (it.line ? " line" : "") + (it.dash ? " dash" : "");
      sw.style.background = it.line ? "none" : it.color;
      sw.style.borderColor = it.color;
      li.appendChild(sw);
      li.appendChild(document.createTextNode(it.label));
      ul.appendChild(li);
    });
  }
  function caption(slot, words) {
    document.querySelector("figure[data-slot='" + slot + "'] figcaption").textContent = words;
  }
  function show_fig(slot, on) {
    document.querySelector("figure[data-slot='" + slot + "']").className = on ? "" : "hidden";
  }

  var STAND = {efficient: BLUE, band: SKY, dominated: GREY, overloaded: RED, missing: GREY};
  function tradeoff(sel) {
    var L = data.limits;
    var c = new Chart("tradeoff", {x: L[0], y: [L[1][0] * 100, L[1][1] * 100], xlog: data.log_time,
      xlabel: data.axis, ylabel: "Illicit shipments intercepted",
      yfmt: function (v) { return v + "%"; }, xfmt: function (v) { return String(v); }});
    var front = [];
    data.points.forEach(function (p, i) {
      var n = p.numbers;
      if (n.hours === null || n.caught === null) { return; }
      var x = c.px(n.hours), y = c.py(n.caught), col = STAND[p.standing] || GREY;
      var hr = n.hours_range, cr = n.caught_range;
      if (hr[0] !== null) { el("line", {x1: c.px(Math.max(hr[0], L[0][0])), x2: c.px(Math.min(hr[1], L[0][1])), y1: y, y2: y, stroke: col, "stroke-width": 2, opacity: 0.6}, c.data); }
      if (cr[0] !== null) { el("line", {x1: x, x2: x, y1: c.py(Math.max(cr[0], L[1][0] * 100)), y2: c.py(Math.min(cr[1], L[1][1] * 100)), stroke: col, "stroke-width": 2, opacity: 0.6}, c.data); }
      if (p.standing === "overloaded") {
        el("rect", {x: x - 6, y: y - 6, width: 12, height: 12, fill: "#fff", stroke: RED, "stroke-width": 2.4}, c.data);
      } else {
        el("circle", {cx: x, cy: y, r: 6, fill: p.standing === "dominated" ? "#fff" : col, stroke: col, "stroke-width": 2}, c.data);
      }
      if (p.standing === "efficient") { front.push([n.hours, n.caught]); }
      c.boxes.push({x: x - 7, y: y - 7, width: 14, height: 14});
    });
    front.sort(function (a, b) { return a[0] - b[0]; });
    if (front.length > 1) {
      el("polyline", {points: front.map(function (f) { return c.px(f[0]) + "," + c.py(f[1]); }).join(" "),
        fill: "none", stroke: BLUE, "stroke-dasharray": "7 4", "stroke-width": 2}, c.data);
    }
    var p = data.points[sel], n = p.numbers;
    if (n.hours !== null && n.caught !== null) {
      el("circle", {cx: c.px(n.hours), cy: c.py(n.caught), r: 14, fill: "none", stroke: ORANGE, "stroke-width": 3.5, "class": "ring"}, c.data);
    }
    var order = [sel].concat(data.points.map(function (_, i) { return i; }).filter(function (i) { return i !== sel; }));
    order.forEach(function (i) {
      var q = data.points[i];
      if (q.numbers.hours === null || q.numbers.caught === null) { return; }
      var x = c.px(q.numbers.hours), y = c.py(q.numbers.caught);
      c.place(q.short, [[x + 10, y - 10], [x + 10, y + 18], [x - 10, y - 10, "end"], [x - 10, y + 18, "end"], [x + 16, y - 24], [x - 16, y + 30, "end"]],
        {"class": i === sel ? "point-label chosen" : "point-label"});
    });
    var items = [{label: "efficient: on the frontier", color: BLUE, dash: true, line: true},
      {label: "dominated: another point is faster and catches more", color: GREY}];
    if (data.points.some(function (q) { return q.standing === "band"; })) { items.push({label: "in the band: not told apart from the frontier", color: SKY}); }
    if (data.points.some(function (q) { return q.standing === "overloaded"; })) { items.push({label: "overloaded: queues do not keep up", color: RED}); }
    items.push({label: "selected: " + p.words, color: ORANGE, line: true});
    legend("tradeoff", items);
    caption("tradeoff", "Every point of the sweep with its 95% intervals (cut at the axes); better is up and to the left.");
  }

  function trs(sel) {
    var totals = data.points.map(function (p) { return p.figures.trs.reduce(function (a, b) { return a + (b || 0); }, 0); });
    var ranked = totals.slice().sort(function (a, b) { return b - a; });
    var cut = ranked.length > 1 && ranked[1] > 0 && ranked[0] > 4 * ranked[1];
    var top = (cut ? ranked[1] : ranked[0]) * 1.3 || 1;
    var n = data.points.length;
    var c = new Chart("trs", {x: [0, top], y: [0, n], left: 90, noYTicks: true,
      xlabel: "Mean hours per released shipment" + (cut ? " (axis broken: a bar runs on)" : "")});
    var rowH = (c.area.height) / n;
    data.points.forEach(function (p, i) {
      var y = c.area.y + i * rowH, left = 0;
      if (i === sel) { el("rect", {x: c.area.x, y: y, width: c.area.width, height: rowH, fill: ORANGE, opacity: 0.18}, c.data); }
      p.figures.trs.forEach(function (h, k) {
        if (!h) { return; }
        var a = c.px(Math.min(left, top)), b = c.px(Math.min(left + h, top));
        el("rect", {x: a, y: y + rowH * 0.15, width: Math.max(0, b - a), height: rowH * 0.7, fill: k === 0 ? GREY : PALETTE[(k - 1) % PALETTE.length], opacity: k % 3 === 1 ? 0.5 : 1}, c.data);
        left += h;
      });
    });
    var order = [sel].concat(data.points.map(function (_, i) { return i; }).filter(function (i) { return i !== sel; }));
    order.forEach(function (i) {
      var y = c.area.y + (i + 0.5) * rowH + 5;
      c.place(data.points[i].short, [[c.area.x - 6, y, "end"]], {"class": i === sel ? "tick chosen" : "tick"});
    });
    var total = totals[sel], x = c.px(Math.min(total, top));
    c.place(fmt(total, 2) + " h" + (total > top ? " \u2192" : ""), [[x + 6, c.area.y + (sel + 0.5) * rowH + 5], [x - 6, c.area.y + (sel + 0.5) * rowH + 5, "end"]], {"class": "point-label chosen"});
    legend("trs", data.segments.map(function (s, k) { return {label: s, color: k === 0 ? GREY : PALETTE[(k - 1) % PALETTE.length]}; }));
    caption("trs", "Where the time of released shipments goes, every point (the selected one highlighted); shipments still inside at the end are not in the bars.");
  }

  function clearance(sel) {
    var curves = data.points[sel].figures.clearance;
    show_fig("clearance", !!curves);
    if (!curves) { return; }
    var hours = data.ecdf_hours;
    var c = new Chart("clearance", {x: [hours[0], hours[hours.length - 1]], y: [0, 100], xlog: true,
      xticks: [1 / 6, 1, 6, 24, 168, 720], xfmt: hoursText, yfmt: function (v) { return v + "%"; },
      xlabel: "Clearance time (arrival to release, log scale)", ylabel: "Released within that time"});
    data.targets.forEach(function (t) {
      el("line", {x1: c.px(t), x2: c.px(t), y1: c.area.y, y2: c.area.y + c.area.height, stroke: "#555", "stroke-dasharray": "2 3"}, c.data);
    });
    curves.forEach(function (cv, k) {
      var pts = [];
      cv.share.forEach(function (s, j) { if (s !== null) { pts.push(c.px(hours[j]) + "," + c.py(s * 100)); } });
      el("polyline", {points: pts.join(" "), fill: "none", stroke: k === 0 ? DARK : PALETTE[(k - 1) % PALETTE.length], "stroke-width": k === 0 ? 3.4 : 2.2}, c.data);
    });
    legend("clearance", curves.map(function (cv, k) { return {label: cv.label + " (" + cv.n.toLocaleString("en") + ")", color: k === 0 ? DARK : PALETTE[(k - 1) % PALETTE.length], line: true}; })
      .concat(data.targets.length ? [{label: "target times", color: "#555", dash: true, line: true}] : []));
    caption("clearance", "Share of shipments released within each time, by lane (shipments in brackets).");
  }

  function illicit(sel) {
    var rows = data.points[sel].figures.illicit;
    show_fig("illicit", !!(rows && rows.length));
    if (!rows || !rows.length) { return; }
    var top = 0;
    data.points.forEach(function (p) { (p.figures.illicit || []).forEach(function (r) { top = Math.max(top, r.caught + r.leaked + r.inside); }); });
    var c = new Chart("illicit", {x: [0, top * 1.6 || 1], y: [0, rows.length], left: 150, noYTicks: true,
      xlabel: "Shipments per replication (mean)"});
    var rowH = c.area.height / rows.length;
    rows.forEach(function (r, i) {
      var y = c.area.y + i * rowH, left = 0;
      [[r.caught, GREEN], [r.leaked, RED], [r.inside, "#BBBBBB"]].forEach(function (part) {
        var a = c.px(left), b = c.px(left + part[0]);
        el("rect", {x: a, y: y + rowH * 0.2, width: Math.max(0, b - a), height: rowH * 0.6, fill: part[1]}, c.data);
        left += part[0];
      });
      c.place(r.kind, [[c.area.x - 6, y + rowH / 2 + 5, "end"]], {"class": "tick"});
      c.place(r.words, [[c.px(left) + 6, y + rowH / 2 + 5]], {"class": "point-label"});
    });
    legend("illicit", [{label: "caught", color: GREEN}, {label: "released (got through)", color: RED}, {label: "still inside at the end", color: "#BBBBBB"}]);
    caption("illicit", "Illicit shipments per replication, by kind: caught, got through, or still inside.");
  }

  function queues(sel) {
    var q = data.points[sel].figures.queues;
    show_fig("queues", !!q);
    if (!q) { return; }
    // The point's own scale: beside an overloaded point's queues a working one's look flat.
    var names = Object.keys(q.stations), top = 1, len = 0;
    names.forEach(function (k) {
      q.stations[k].queue.forEach(function (v) { top = Math.max(top, v || 0); });
    });
    names.forEach(function (k) { len = Math.max(len, q.stations[k].queue.length); });
    var days = len * q.step / 24;
    var c = new Chart("queues", {x: [0, days], y: [0, top * 1.1], xlabel: "Day of the run", ylabel: "Shipments waiting"});
    var d = q.day;
    el("rect", {x: c.px(d), y: c.area.y, width: c.px(d + 1) - c.px(d), height: c.area.height, fill: ORANGE, opacity: 0.15}, c.data);
    if (data.window_end) {
      var x = c.px(data.window_end / 24);
      el("line", {x1: x, x2: x, y1: c.area.y, y2: c.area.y + c.area.height, stroke: DARK, "stroke-dasharray": "6 4", "stroke-width": 1.5}, c.data);
    }
    names.forEach(function (k, j) {
      var pts = q.stations[k].queue.map(function (v, t) { return c.px(t * q.step / 24) + "," + c.py(v || 0); });
      el("polyline", {points: pts.join(" "), fill: "none", stroke: PALETTE[j % PALETTE.length], "stroke-width": 1.6}, c.data);
    });
    var items = names.map(function (k, j) { return {label: k, color: PALETTE[j % PALETTE.length], line: true}; });
    items.push({label: "the day of the replay", color: ORANGE});
    if (data.window_end) { items.push({label: "end of the counting window", color: DARK, dash: true, line: true}); }
    legend("queues", items);
    caption("queues", "Mean queue at each station hour by hour, over the whole run (on this point's own scale).");
  }

  function coldChain(sel) {
    var groups = data.points[sel].figures.cold;
    show_fig("cold-chain", !!groups);
    if (!groups) { return; }
    var top = 1;
    data.points.forEach(function (p) { (p.figures.cold || []).forEach(function (g) { top = Math.max(top, g.tolerance * 1.25); g.hours.forEach(function (h) { top = Math.max(top, (h || 0) * 1.05); }); }); });
    var c = new Chart("cold-chain", {x: [-0.5, groups.length - 0.5], y: [0, top], noXTicks: true, ylabel: "Hours in custody"});
    groups.forEach(function (g, k) {
      g.hours.forEach(function (h, j) {
        var x = c.px(k + (((j * 0.618034) % 1) - 0.5) * 0.5), y = c.py(h || 0);
        if (g.spoiled[j]) {
          el("path", {d: "M" + (x - 4) + " " + (y - 4) + "l8 8m0 -8l-8 8", stroke: RED, "stroke-width": 2}, c.data);
        } else {
          el("circle", {cx: x, cy: y, r: 3, fill: BLUE, opacity: 0.5}, c.data);
        }
      });
      var y = c.py(g.tolerance);
      el("line", {x1: c.px(k - 0.4), x2: c.px(k + 0.4), y1: y, y2: y, stroke: DARK, "stroke-width": 3}, c.data);
      c.place(g.label, [[c.px(k), H - 24, "middle"]], {"class": "tick"});
      c.place(fmt(g.spoiled_count, 1) + " of " + fmt(g.shipments, 0) + " spoiled", [[c.px(k), H - 8, "middle"]], {"class": "point-label"});
    });
    legend("cold-chain", [{label: "within tolerance", color: BLUE}, {label: "spoiled", color: RED}, {label: "tolerance", color: DARK, line: true}]);
    caption("cold-chain", "Cold-chain shipments (a sample) against their tolerance, per replication.");
  }

  // The time of the run in words: time 0 is Monday 00:00 of week 1 (docs/model.md), so the
  // weekday follows from the hour ("Fri, day 5, 18:00").
  var WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  function clock(hour) {
    var day = Math.floor(hour / 24), two = function (n) { return ("0" + n).slice(-2); };
    return WEEKDAYS[day % 7] + ", day " + (day + 1) + ", " + two(Math.floor(hour % 24)) + ":" + two(Math.floor((hour % 1) * 60));
  }

  // The replay: the chosen point's busiest day, hour by hour, each waiting shipment a dot.
  var replay = {timer: null, frame: 0, per_hour: 8};
  function replayFrames() {
    var q = data.points[chosen].figures.queues;
    return q ? Math.round(24 / q.step * replay.per_hour) : 0;
  }
  function drawReplay() {
    var svg = document.getElementById("replay-svg");
    var q = data.points[chosen].figures.queues;
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    document.getElementById("replay").className = q ? "replay" : "replay hidden";
    if (!q) { return; }
    var names = Object.keys(q.stations);
    var steps = 24 / q.step, f = replay.frame / replay.per_hour, base = q.day * steps;
    var k = Math.min(Math.floor(f), steps - 1), frac = f - Math.floor(f);
    var hour = q.day * 24 + f * q.step;
    svg.setAttribute("viewBox", "0 0 " + W + " " + (60 + names.length * 70));
    svg.setAttribute("data-frame", String(replay.frame));
    el("text", {x: 10, y: 30, "class": "clock"}, svg, clock(hour));
    el("rect", {x: 220, y: 18, width: 400, height: 10, fill: "#eee"}, svg);
    el("rect", {x: 220, y: 18, width: 400 * f / steps, height: 10, fill: ORANGE}, svg);
    names.forEach(function (name, j) {
      var s = q.stations[name], a = s.queue[base + k] || 0, b = s.queue[Math.min(base + k + 1, s.queue.length - 1)] || 0;
      var waiting = Math.round(a + (b - a) * frac), duty = s.duty[k] || 0;
      var y = 70 + j * 70;
      el("text", {x: 10, y: y + 6, "class": "station"}, svg, name);
      el("text", {x: 10, y: y + 26, "class": "station-sub"}, svg, waiting + " waiting \u00b7 " + fmt(duty, 0) + " on duty");
      var shown = Math.min(waiting, 60);
      for (var d = 0; d < shown; d++) {
        el("circle", {cx: 230 + (d % 30) * 13, cy: y - 4 + Math.floor(d / 30) * 14, r: 5, fill: PALETTE[j % PALETTE.length], "class": "shipment"}, svg);
      }
      if (waiting > shown) { el("text", {x: 230 + 30 * 13, y: y + 4, "class": "station-sub"}, svg, "+" + (waiting - shown)); }
    });
  }
  function stopReplay() {
    if (replay.timer !== null) { clearInterval(replay.timer); replay.timer = null; }
    document.getElementById("play").textContent = "\u25B6 Play";
  }
  function playReplay() {
    if (replay.frame >= replayFrames() - 1) { replay.frame = 0; }
    document.getElementById("play").textContent = "\u275A\u275A Pause";
    replay.timer = setInterval(function () {
      replay.frame += 1;
      if (replay.frame >= replayFrames() - 1) { replay.frame = replayFrames() - 1; stopReplay(); }
      drawReplay();
    }, 60);
  }
  document.getElementById("play").addEventListener("click", function () {
    if (replay.timer === null) { playReplay(); } else { stopReplay(); }
  });

  function show(i) {
    var p = data.points[i];
    if (!p) { return; }
    chosen = i;
    p.index.forEach(function (v, k) {
      sliders[k].value = String(v);
      text("now-" + k, data.levers[k].values[v]);
      sliders[k].setAttribute("aria-valuetext", data.levers[k].values[v]);
    });
    var n = p.numbers;
    text("hours", n.hours_text);
    text("hours-ci", n.hours_ci);
    text("hours-what", data.hours_what + (p.overloaded ?
      ": at least this, since shipments were still inside at the end" : ""));
    text("caught", n.caught_text);
    text("caught-ci", n.caught_ci);
    text("spoiled", fmt(n.spoiled, 1));
    text("spoiled-ci", n.spoiled_ci);
    text("more", "Released within 24 h: " + fmt(n.within24, 1) + "%  \u00b7  inspected: " +
      fmt(n.inspected, 1) + "%  \u00b7  illicit shipments released: " + fmt(n.leaks, 1) +
      "  \u00b7  still inside at the end: " + fmt(n.censored, 1) + "  \u00b7  " + p.replications +
      " replications");
    var badge = document.getElementById("pareto");
    badge.textContent = p.standing_text;
    badge.className = p.standing === "efficient" ? "badge" :
      (p.standing === "band" || p.standing === "overloaded") ? "badge " + p.standing :
      "badge off";
    var warn = document.getElementById("overload");
    warn.className = p.overloaded ? "overload" : "overload hidden";
    text("overload-why", p.overloaded ? p.overload + "." : "");
    tradeoff(i); trs(i); clearance(i); illicit(i); queues(i); coldChain(i);
    stopReplay();
    replay.frame = 0;
    drawReplay();
    document.title = data.name + ": " + p.words;
  }
  function current() {
    return byIndex[sliders.map(function (s) { return s.value; }).join(",")];
  }
  function nearest(changed) {
    var want = sliders.map(function (s) { return Number(s.value); });
    var best = 0, bestScore = Infinity;
    data.points.forEach(function (p, i) {
      var score = 0;
      p.index.forEach(function (v, k) { score += (k === changed ? 1000 : 1) * Math.abs(v - want[k]); });
      if (score < bestScore) { bestScore = score; best = i; }
    });
    return best;
  }
  sliders.forEach(function (s, k) {
    s.addEventListener("input", function () {
      var i = current();
      show(i === undefined ? nearest(k) : i);
    });
  });
  function step(delta) {
    var s = sliders[sliders.length - 1];
    s.value = String(Math.min(Number(s.max), Math.max(0, Number(s.value) + delta)));
    s.dispatchEvent(new Event("input"));
  }
  document.getElementById("prev").addEventListener("click", function () { step(-1); });
  document.getElementById("next").addEventListener("click", function () { step(1); });
  function present(on) {
    document.body.classList.toggle("present", on);
    document.documentElement.classList.toggle("present", on);
    document.getElementById("present").setAttribute("aria-pressed", on ? "true" : "false");
  }
  document.getElementById("present").addEventListener("click", function () {
    present(!document.body.classList.contains("present"));
  });
  document.documentElement.className = "js";
  present(/[?&]present\b/.test(window.location.search));
  show(chosen);
})();
