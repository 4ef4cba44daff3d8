// carevis page, part 3: the player. Time, cluster sizes and counts from the daily
// occupancy (as Scene::radii), labels with counts (halo, never overlapping), the date, the
// legend, the caption, hover, colour modes, filters, congestion flags, play/pause/speed.
"use strict";

const DAY = 1440;
const ASPECT = 16 / 9;
const $ = (id) => document.getElementById(id);

function viewport(w, h) {  // carevis.viewport.Viewport.fit
  const s = Math.min(w / ASPECT, h);
  return { width: w, height: h, sx: s, sy: s, tx: w / 2 - (ASPECT / 2) * s, ty: h / 2 - 0.5 * s };
}

function dateText(minutes) {
  const d = new Date(Math.floor(minutes) * 60000);
  const month = d.toLocaleString("en-GB", { month: "long", timeZone: "UTC" });
  return `${d.getUTCDate()} ${month} ${d.getUTCFullYear()}`;
}

function parseDate(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) / 60000 : null;
}

class Occupancy {  // rust/src/occupancy.rs: counts at t0 + i * step, interpolated
  constructor(raw, meta) {
    const o = meta.occupancy, ns = meta.states.length;
    const d = section(raw, meta, "occupancy");
    this.t0 = o.t0; this.step = o.step; this.steps = o.steps;
    this.counts = new Int32Array(ns * o.steps);
    for (let s = 0; s < ns; s++) {
      let run = 0;
      for (let i = 0; i < o.steps; i++) {
        run += unzig(d[s * o.steps + i]);
        this.counts[s * o.steps + i] = run;
      }
    }
  }
  at(s, t) {
    const u = Math.min(Math.max((t - this.t0) / this.step, 0), this.steps - 1);
    const i = Math.floor(u), f = Math.fround(u - i);
    const a = this.counts[s * this.steps + i];
    const b = this.counts[s * this.steps + Math.min(i + 1, this.steps - 1)];
    return Math.fround(a + Math.fround(Math.fround(b - a) * f));
  }
  // children in state s at t (spells whole days: the sample at or before t)
  count(s, t) {
    if (t < this.t0) return 0;
    const i = Math.min(Math.floor((t - this.t0) / this.step), this.steps - 1);
    return this.counts[s * this.steps + i];
  }
}

class Player {
  constructor(meta, raw, tables, sp, gpu) {
    this.meta = meta; this.sp = sp; this.gpu = gpu;
    this.occ = new Occupancy(raw, meta);
    this.codes = {};
    for (const a of meta.attributes) this.codes[a.name] = section(raw, meta, "attr:" + a.name);
    this.ns = meta.states.length;
    this.t = meta.opening ?? meta.range[0];  // rules.opening_minutes: a year-end
    this.playing = false;
    this.speed = 30;  // days per second
    this.filters = {};
    this.census = null;
    this.highlight = -1;
    this.background = meta.background;
    this.showOverlay = true;
  }

  radii(t) {  // Scene::radii: area proportional to the children, at least base_radius
    const m = this.meta, out = new Float32Array(this.ns);
    for (let s = 0; s < this.ns; s++) {
      out[s] = Math.max(m.base_radius, Math.fround(m.spacing * Math.fround(Math.sqrt(this.occ.at(s, t)))));
    }
    return out;
  }

  shownFn() {
    const active = Object.entries(this.filters).filter(([, v]) => v >= 0);
    if (!active.length) return null;
    return (c) => active.every(([name, v]) => this.codes[name][c] === v);
  }

  // Counts (and medians) for the labels: the occupancy while nothing is filtered; the
  // census of the dots shown otherwise (recounted when the day changes).
  counts(t) {
    const shown = this.shownFn();
    if (!shown) return Array.from({ length: this.ns }, (_, s) => this.occ.count(s, t));
    return Array.from(this.censusAt(t, false).count);
  }

  censusAt(t, force) {
    const ti = Math.floor(t);
    const key = ti + "|" + JSON.stringify(this.filters);
    const now = performance.now();
    // a census reads every spell: at most every 2 s while playing (0.4 s when still)
    const every = this.playing ? 2000 : 400;
    if (this.census && (this.census.key === key || (!force && now - this.census.when < every))) {
      return this.census;
    }
    this.census = { key, when: now, ...census(this.sp, this.ns, ti, this.shownFn()) };
    return this.census;
  }

  // A label's figure (carevis.scene.labels.format_value): the count, its share of the
  // children in states whose counts are shown (percentBase), or both; a suppressed count
  // shows no percentage.
  countText(n, base) {
    const k = this.meta.suppress_below, values = this.meta.label_values;
    if (k && n > 0 && n < k) return `<${k}`;
    const count = n.toLocaleString("en-GB");
    if ((values !== "percent" && values !== "both") || base === undefined) return count;
    const share = percentText(n, base);
    return values === "percent" ? share : `${count} (${share})`;
  }

  percentBase(counts) {  // carevis.scene.labels.percent_base
    const k = this.meta.suppress_below;
    let base = 0;
    for (const c of counts) if (!k || c === 0 || c >= k) base += c;
    return base;
  }

  setColour(index) {
    const mode = this.meta.colours[index];
    this.colour = mode;
    this.gpu.setColour(mode, mode.attribute ? this.codes[mode.attribute] : null);
    drawLegend(mode.legend, $("legend"));
  }

  setFilter(name, value) {
    this.filters[name] = value;
    this.gpu.setFilter(this.shownFn());
    this.census = null;
  }

  size() {
    const c = $("picture"), dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr)), h = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    return { w, h, dpr };
  }

  frame() {
    const { w, h, dpr } = this.size();
    const vp = viewport(w, h);
    const radius = this.meta.dot_radius || Math.max(0.6, (1.25 * h) / 1080);
    const radii = this.radii(this.t);
    this.gpu.draw(this.t, radii, vp, radius, this.background, this.highlight, 0.2);
    this.overlay(vp, radii, dpr);
  }

  overlay(vp, radii, dpr) {
    const m = this.meta;
    const unit = Math.min(vp.width, (vp.height * 16) / 9) / 110 / dpr;
    document.documentElement.style.setProperty("--unit", unit + "px");
    // Past a projection's date the date line says so (as the label model's shown_date).
    const projected = m.projected_from != null && this.t >= m.projected_from;
    $("date").textContent = dateText(this.t) + (projected ? " (projected)" : "");
    $("slider").value = Math.floor(this.t / DAY);
    const counts = this.counts(this.t);
    this.shown = counts;
    const base = this.percentBase(counts);
    const boxes = [];
    // the fixed texts at the bottom (the size key, bottom left, and the legend): a label
    // that would run into one goes up above it, as the pictures' label layout does
    const fixed = this.fixedBoxes();
    for (let s = 0; s < this.ns; s++) {
      const el = this.labels[s];
      const cx = (m.centres[2 * s] * vp.sx + vp.tx) / dpr;
      const cy = (m.centres[2 * s + 1] * vp.sy + vp.ty) / dpr;
      let top = cy + (radii[s] * vp.sx) / dpr + 0.5 * unit;
      el.querySelector(".count").textContent = this.countText(counts[s], base);
      const wl = el.offsetWidth, hl = el.offsetHeight;
      // never over another label: move down past any it would overlap; once a fixed
      // text is in the way, move up instead (above it and past any label there)
      const hits = (b) => cx - wl / 2 < b[2] && b[0] < cx + wl / 2 && top < b[3] && b[1] < top + hl;
      let up = false;
      for (let moved = true, n = 0; moved && n < 200; n++) {
        moved = false;
        for (const b of fixed) if (hits(b)) { top = b[1] - hl - 1; up = moved = true; }
        for (const b of boxes) {
          if (hits(b)) { top = up ? b[1] - hl - 1 : b[3] + 1; moved = true; }
        }
      }
      boxes.push([cx - wl / 2, top, cx + wl / 2, top + hl]);
      el.style.transform = `translate(${cx - wl / 2}px, ${top}px)`;
    }
    const groups = Object.entries(m.groups);
    if (groups.length) {
      const ys = groups.flatMap(([, ss]) => ss.map((s) => (m.centres[2 * s + 1] * vp.sy + vp.ty) / dpr));
      const top = Math.min(...ys) - 4.2 * unit;
      groups.forEach(([, ss], k) => {
        const gx = ss.reduce((a, s) => a + (m.centres[2 * s] * vp.sx + vp.tx) / dpr, 0) / ss.length;
        const el = this.groupEls[k];
        el.style.transform = `translate(${gx - el.offsetWidth / 2}px, ${top}px)`;
      });
    }
    this.drawCongestion(vp, radii, dpr, unit);
  }

  // The boxes (x0, y0, x1, y1 in the labels' CSS pixels) of the size key and the legend.
  fixedBoxes() {
    const origin = this.labels.length && this.labels[0].offsetParent;
    if (!origin) return [];
    const o = origin.getBoundingClientRect();
    return ["note", "legend"].map((id) => $(id).getBoundingClientRect())
      .filter((r) => r.width > 0 && r.height > 0)
      .map((r) => [r.left - o.left, r.top - o.top, r.right - o.left, r.bottom - o.top]);
  }

  drawCongestion(vp, radii, dpr, unit) {
    const cv = $("marks"), ctx = cv.getContext("2d");
    cv.width = vp.width; cv.height = vp.height;
    ctx.clearRect(0, 0, cv.width, cv.height);
    // the flags are about all the children: none while a filter shows only some
    this.flags = [];
    if (!this.meta.congestion || this.shownFn()) return;
    const flags = congested(this, this.t);
    const u = unit * dpr, halo = this.meta.congestion.halo;
    ctx.strokeStyle = ctx.fillStyle = `rgba(${halo[0]},${halo[1]},${halo[2]},${halo[3] / 255})`;
    ctx.lineWidth = Math.max(2, Math.round(0.35 * u));
    ctx.font = `bold ${Math.round(1.25 * u)}px sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    for (const f of flags) {
      const cx = this.meta.centres[2 * f.index] * vp.sx + vp.tx;
      const cy = this.meta.centres[2 * f.index + 1] * vp.sy + vp.ty;
      const r = Math.max(radii[f.index] * vp.sx, u) + 0.6 * u;
      ctx.beginPath();
      ctx.arc(cx, cy, r, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.fillText(f.label, cx, cy - r - 0.4 * u);
    }
    this.flags = flags;
  }

  hover(px, py) {
    const { dpr } = this.size();
    const vp = viewport($("picture").width, $("picture").height);
    const radii = this.radii(this.t), x = px * dpr, y = py * dpr;
    let best = -1, bestD = Infinity;
    for (let s = 0; s < this.ns; s++) {
      const cx = this.meta.centres[2 * s] * vp.sx + vp.tx, cy = this.meta.centres[2 * s + 1] * vp.sy + vp.ty;
      const d = Math.hypot(x - cx, y - cy);
      if (d < Math.max(radii[s] * vp.sx, 8 * dpr) + 4 * dpr && d < bestD) { best = s; bestD = d; }
    }
    const tip = $("tip");
    if (best < 0) { tip.hidden = true; return null; }
    const c = this.censusAt(this.t, true);
    const all = this.counts(this.t), n = all[best], base = this.percentBase(all);
    const k = this.meta.suppress_below;
    const med = c.median[best];
    const wait = k && c.count[best] < k ? "not shown for so few children"
      : Number.isNaN(med) ? "no one there" : `${Math.round(med / DAY).toLocaleString("en-GB")} days`;
    tip.hidden = false;
    tip.querySelector(".state").textContent = this.meta.states[best];
    tip.querySelector(".n").textContent = this.countText(n, base);
    tip.querySelector(".median").textContent = wait;
    tip.style.transform = `translate(${px + 14}px, ${py + 14}px)`;
    return { state: this.meta.states[best], count: this.countText(n, base), median: wait };
  }
}

// scene/congestion.py's flags, computed by the package every `step` minutes (a day) from
// `t0` (the one rule), held as the steps where they change: those of the latest change
// at or before the step of `now`
function congested(p, now) {
  const c = p.meta.congestion, k = Math.floor((now - c.t0) / c.step);
  const ch = c.changes;
  if (k < 0 || !ch.length || ch[0][0] > k) return [];
  let lo = 0, hi = ch.length - 1;  // the last change at or before step k
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ch[mid][0] <= k) lo = mid; else hi = mid - 1;
  }
  return ch[lo][1].map(([index, label]) => ({ index, label }));
}

function percentText(n, base) {  // carevis.scene.labels.format_percent
  if (base <= 0 || n <= 0) return "0%";
  const p = (100.0 * n) / base;
  const tenths = Math.floor(p * 10 + 0.5);
  if (tenths >= 100) return `${Math.floor(p + 0.5)}%`;
  return tenths >= 1 ? `${(tenths / 10).toFixed(1)}%` : "<0.1%";
}

function drawLegend(legend, el) {
  el.replaceChildren();
  const title = document.createElement("div");
  title.className = "title";
  title.textContent = legend.title;
  el.append(title);
  if (legend.kind === "continuous") {
    const ramp = document.createElement("canvas");
    ramp.width = 256; ramp.height = 1; ramp.className = "ramp";
    const ctx = ramp.getContext("2d"), img = ctx.createImageData(256, 1);
    for (let i = 0; i < 256; i++) {
      const c = legend.colours[Math.round((i / 255) * (legend.colours.length - 1))];
      img.data.set([c[0], c[1], c[2], 255], 4 * i);
    }
    ctx.putImageData(img, 0, 0);
    const ticks = document.createElement("div");
    ticks.className = "ticks";
    for (const [pos, label] of legend.ticks) {
      const t = document.createElement("span");
      t.style.left = pos * 100 + "%";
      t.textContent = label;
      ticks.append(t);
    }
    el.append(ramp, ticks);
  } else {
    // scene/labels.py's LEGEND_ROWS x LEGEND_COLUMNS: down each column of 12 in turn
    const ROWS = 12, MOST = 2 * ROWS, shown = legend.categories.slice(0, MOST);
    const grid = document.createElement("div");
    grid.className = "categories";
    grid.style.display = "grid";
    grid.style.gridAutoFlow = "column";
    grid.style.gridTemplateRows = `repeat(${Math.min(shown.length, ROWS)}, auto)`;
    grid.style.columnGap = "calc(1.5 * var(--unit))";
    shown.forEach((label, i) => {
      const row = document.createElement("div");
      const c = legend.colours[i];
      row.innerHTML = '<i class="swatch"></i><span></span>';
      row.querySelector("i").style.background = `rgb(${c[0]},${c[1]},${c[2]})`;
      row.querySelector("span").textContent = label;
      grid.append(row);
    });
    el.append(grid);
    if (legend.categories.length > MOST) {
      const more = document.createElement("div");
      more.textContent = `and ${legend.categories.length - MOST} more`;
      el.append(more);
    }
  }
}
