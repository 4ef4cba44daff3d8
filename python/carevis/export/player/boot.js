// carevis page, part 4: start-up (unpack, build, first frame), the controls, the URL
// fragment (#t=YYYY-MM-DD&colour=NAME&play=1&overlay=0) and window.carevis for tests.
"use strict";

function controls(p) {
  const m = p.meta;
  const slider = $("slider");
  slider.min = Math.floor(m.range[0] / DAY);
  slider.max = Math.ceil(m.range[1] / DAY);
  slider.addEventListener("input", () => { p.t = +slider.value * DAY; p.frame(); });
  const ticks = $("ticks");
  const y0 = new Date(m.range[0] * 60000).getUTCFullYear(), y1 = new Date(m.range[1] * 60000).getUTCFullYear();
  for (let y = y0 + 1; y <= y1; y++) {
    const day = Date.UTC(y, 0, 1) / 86400000;
    const pos = (day - slider.min) / (slider.max - slider.min);
    const t = document.createElement("span");
    t.style.left = pos * 100 + "%";
    t.textContent = y;
    ticks.append(t);
  }
  $("play").addEventListener("click", () => (p.playing ? pause(p) : play(p)));
  $("speed").addEventListener("change", (e) => { p.speed = +e.target.value; });
  const colour = $("colour");
  m.colours.forEach((c, i) => colour.add(new Option(c.legend.title, i)));
  colour.addEventListener("change", () => { p.setColour(+colour.value); p.frame(); });
  for (const a of m.attributes) {
    const label = document.createElement("label");
    label.textContent = a.name.replace(/_/g, " ") + " ";
    const sel = document.createElement("select");
    sel.dataset.attribute = a.name;
    sel.add(new Option("All", -1));
    a.labels.forEach((l, i) => sel.add(new Option(l, i)));
    sel.addEventListener("change", () => { p.setFilter(a.name, +sel.value); p.frame(); });
    label.append(sel);
    $("filters").append(label);
  }
  const pic = $("stage");
  pic.addEventListener("mousemove", (e) => {
    const r = pic.getBoundingClientRect();
    p.hover(e.clientX - r.left, e.clientY - r.top);
  });
  pic.addEventListener("mouseleave", () => { $("tip").hidden = true; });
  window.addEventListener("resize", () => p.frame());
  window.addEventListener("hashchange", () => { fromHash(p); p.frame(); });
}

function play(p) {
  p.playing = true;
  $("play").textContent = "Pause";
  let last = performance.now();
  const step = (now) => {
    if (!p.playing) return;
    p.t = Math.min(p.t + ((now - last) / 1000) * p.speed * DAY, p.meta.range[1]);
    last = now;
    p.frame();
    if (p.t >= p.meta.range[1]) pause(p);
    else requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

function pause(p) {
  p.playing = false;
  $("play").textContent = "Play";
}

function fromHash(p) {
  const h = new URLSearchParams(location.hash.slice(1));
  const t = parseDate(h.get("t"));
  if (t !== null) p.t = t;
  const c = p.meta.colours.findIndex((x) => x.name === h.get("colour"));
  if (c >= 0) { $("colour").value = c; p.setColour(c); }
  document.body.classList.toggle("bare", h.get("overlay") === "0");
  if (h.get("play") === "1" && !p.playing) play(p);
}

async function boot() {
  const t0 = performance.now();
  const meta = JSON.parse($("carevis-meta").textContent);
  const timings = {};
  const lap = (name) => { timings[name] = performance.now() - t0; };
  const raw = await gunzipBase64($("carevis-data").textContent.trim());
  lap("unpacked");
  const sp = spellsOf(raw, meta);
  lap("spells");
  const canvas = $("picture");
  const probe = canvas.getContext("webgl2", { antialias: false, preserveDrawingBuffer: true, alpha: false });
  if (!probe) throw new Error("this browser has no WebGL2");
  const tables = gpuTables(sp, meta, probe.getParameter(probe.MAX_TEXTURE_SIZE));
  lap("tables");
  const gpu = new GpuFrame(canvas, meta, tables, $("frame-vert").textContent, $("frame-frag").textContent);
  const p = new Player(meta, raw, tables, sp, gpu);
  p.labels = meta.states.map((name) => {
    const el = document.createElement("div");
    el.className = "label";
    el.innerHTML = '<div class="name"></div><div class="count"></div>';
    el.querySelector(".name").textContent = name;
    $("labels").append(el);
    return el;
  });
  p.groupEls = Object.keys(meta.groups).map((name) => {
    const el = document.createElement("div");
    el.className = "group";
    el.textContent = name.toUpperCase();
    $("labels").append(el);
    return el;
  });
  $("title").textContent = meta.title || "";
  $("caption").textContent = meta.caption || "";
  // the legend's size key (scene/labels.size_note), one line under the other
  $("note").replaceChildren(...(meta.legend_note || []).map((t) => {
    const line = document.createElement("div");
    line.textContent = t;
    return line;
  }));
  controls(p);
  p.setColour(0);
  fromHash(p);
  lap("uploaded");
  p.frame();
  gpu.gl.readPixels(0, 0, 1, 1, gpu.gl.RGBA, gpu.gl.UNSIGNED_BYTE, new Uint8Array(4));
  lap("drawn");
  const firstFrameMs = performance.now() - t0;
  window.carevis = {
    player: p,
    firstFrameMs,
    timings,
    setTime(text) { p.t = typeof text === "number" ? text : parseDate(text); p.frame(); p.gpu.gl.finish(); },
    labels: () => p.labels.map((el, s) => ({ state: meta.states[s], count: el.querySelector(".count").textContent })),
    census: (text) => { const c = census(sp, p.ns, parseDate(text), p.shownFn()); return { count: Array.from(c.count), median: Array.from(c.median) }; },
    flags: () => (p.flags || []).map((f) => ({ state: meta.states[f.index], label: f.label })),
    tables: () => ({
      shift: tables.shift,
      dots: b64(tables.dots), spells: b64(tables.spells), places: b64(tables.places),
    }),
  };
  document.body.dataset.ready = "1";
  return window.carevis;
}

function b64(a) {
  const u = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = "";
  for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000));
  return btoa(s);
}

window.carevisReady = boot().catch((e) => {
  $("error").hidden = false;
  $("error").textContent = "carevis: " + e.message;
  document.body.dataset.ready = "error";
  throw e;
});
