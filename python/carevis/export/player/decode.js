// carevis page, part 1: the packed journeys unpacked into the GPU frame's tables, exactly
// as Scene::gpu_tables writes them (rust/src/scene.rs: Schedule::replay, disk, mix64).
"use strict";

const OPEN = 2147483647;
const APPEAR = 0x8000;
const ENTRIES = 0x7fff;

async function gunzipBase64(text) {
  let bytes;
  if (Uint8Array.fromBase64) {
    bytes = Uint8Array.fromBase64(text);
  } else {
    const bin = atob(text);
    bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  }
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// One section of byte planes back into 32-bit values.
function section(raw, meta, name) {
  const s = meta.sections[name];
  const out = new Uint32Array(s.n);
  for (let k = 0; k < s.width; k++) {
    const plane = raw.subarray(s.at + k * s.n, s.at + (k + 1) * s.n);
    const shift = 8 * k;
    for (let i = 0; i < s.n; i++) out[i] |= plane[i] << shift;
  }
  return out;
}

const unzig = (v) => (v >>> 1) ^ -(v & 1);

// The spells back in minutes: start, end (OPEN), state; CSR offsets per dot.
function spellsOf(raw, meta) {
  const sp = meta.spells;
  const count = section(raw, meta, "count");
  const first = section(raw, meta, "first");
  const state = section(raw, meta, "state");
  const length = section(raw, meta, "length");
  const gap = section(raw, meta, "gap");
  const n = sp.n, m = sp.m, unit = sp.unit;
  const offsets = new Uint32Array(n + 1);
  const start = new Int32Array(m), end = new Int32Array(m);
  let i = 0, g = 0;
  for (let c = 0; c < n; c++) {
    offsets[c] = i;
    for (let j = 0; j < count[c]; j++, i++) {
      if (j === 0) start[i] = sp.base + first[c] * unit;
      else {
        const prev = end[i - 1] === OPEN ? start[i - 1] : end[i - 1];
        start[i] = prev + unzig(gap[g++]) * unit;
      }
      end[i] = length[i] === 0 ? OPEN : start[i] + (length[i] - 1) * unit;
    }
  }
  offsets[n] = i;
  return { n, m, offsets, start, end, state };
}

// --- splitmix64's finaliser on 32-bit halves, results in (H, L): no allocation per call ---
let H = 0, L = 0;
function mul64(ah, al, bh, bl) {  // (H, L) = a * b mod 2^64, in 32-bit integer steps
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
  const m1 = a1 * b0, m2 = a0 * b1;  // each < 2^32
  const carry = (((a0 * b0) >>> 16) + (m1 & 0xffff) + (m2 & 0xffff)) >>> 16;
  const hi = a1 * b1 + (m1 >>> 16) + (m2 >>> 16) + carry;  // al * bl >> 32
  L = Math.imul(al, bl) >>> 0;
  H = (hi + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}
function mix64(h, l) {
  l = (l ^ ((l >>> 30) | (h << 2))) >>> 0; h = (h ^ (h >>> 30)) >>> 0;
  mul64(h, l, 0xbf58476d, 0x1ce4e5b9); h = H; l = L;
  l = (l ^ ((l >>> 27) | (h << 5))) >>> 0; h = (h ^ (h >>> 27)) >>> 0;
  mul64(h, l, 0x94d049bb, 0x133111eb); h = H; l = L;
  L = (l ^ ((l >>> 31) | (h << 1))) >>> 0; H = (h ^ (h >>> 31)) >>> 0;
}

const ANGLES = 4096;
function unitCircle() {
  const c = new Float32Array(2 * ANGLES);
  for (let i = 0; i < ANGLES; i++) {
    const a = (i + 0.5) * (2 * Math.PI) / ANGLES;
    c[2 * i] = Math.cos(a);
    c[2 * i + 1] = Math.sin(a);
  }
  return c;
}

// The GPU frame's tables (see frame.vert.glsl), rows of (1 << shift) texels.
function gpuTables(sp, meta, maxSize) {
  const n = sp.n, m = sp.m;
  const need = Math.max(n + 1, m, 1);
  let shift = Math.max(6, Math.ceil(Math.log2(need) / 2));
  const rows = (k) => Math.ceil(k / (1 << shift));
  while ((1 << shift) < maxSize && rows(need) > maxSize) shift++;
  if (rows(need) > maxSize || (1 << shift) > maxSize) {
    throw new Error(`${need} records do not fit this GPU's ${maxSize}-texel textures`);
  }
  const width = 1 << shift;
  const dots = new Uint32Array(rows(n + 1) * width * 3);
  const spells = new Uint32Array(Math.max(rows(m), 1) * width * 4);
  const places = new Float32Array(Math.max(rows(m), 1) * width * 2);
  const di = new Int32Array(dots.buffer), si = new Int32Array(spells.buffer);
  const transit = meta.transit, fade = meta.fade;
  const toMinute = (v) => (v >= OPEN - 1 ? OPEN - 1 : Math.ceil(v));
  const endF = (e) => (e === OPEN ? Infinity : e);
  const { offsets, start, end, state } = sp;
  const seed = BigInt(meta.seed);
  const sh = Number((seed >> 32n) & 0xffffffffn), sl = Number(seed & 0xffffffffn);
  const circle = unitCircle();
  const inv24 = Math.fround(1 / 16777216);
  for (let c = 0; c < n; c++) {
    const a = offsets[c], b = offsets[c + 1];
    for (let i = a; i < b; i++) {
      si[4 * i] = start[i];
      si[4 * i + 1] = end[i];
    }
    let arrive = start[a];
    let prevEnd = endF(end[a]);
    let entries = 1;
    si[4 * a + 2] = start[a];
    spells[4 * a + 3] = state[a] | ((APPEAR | 1) << 16);
    for (let i = a + 1; i < b; i++) {
      const s = start[i];
      const gap = s > prevEnd;
      if (gap) entries = Math.min(entries + 1, ENTRIES);
      const teleport = gap && s - Math.max(prevEnd, arrive) >= fade;
      arrive = toMinute(teleport ? s : Math.max(s, arrive) + transit);
      si[4 * i + 2] = arrive;
      spells[4 * i + 3] = (state[i] | ((entries | (teleport ? APPEAR : 0)) << 16)) >>> 0;
      prevEnd = endF(end[i]);
    }
    // (a dot appears when its first spell starts: not stored)
    di[3 * c] = a;
    di[3 * c + 1] = prevEnd === Infinity ? OPEN : toMinute(Math.max(prevEnd, arrive) + fade + 1);
    dots[3 * c + 2] = state[a] | (state[b - 1] << 7);
    // each spell's place in its cluster: disk(c, state, seed)
    mul64(0, c, 0x9e3779b9, 0x7f4a7c15);
    const kh = H, kl = L;
    for (let i = a; i < b; i++) {
      mix64((sh ^ kh ^ (state[i] << 16)) >>> 0, (sl ^ kl) >>> 0);
      const r = Math.fround(Math.sqrt(Math.fround(Math.fround((H >>> 8) + 0.5) * inv24)));
      const k = L & (ANGLES - 1);
      places[2 * i] = Math.fround(r * circle[2 * k]);
      places[2 * i + 1] = Math.fround(r * circle[2 * k + 1]);
    }
  }
  dots[3 * n] = offsets[n];
  return { shift, dots, spells, places };
}

// Children in each state at minute t (start <= t < end), the lower median of their time
// there so far (minutes), counting only dots `shown` allows: Scene.counts, stats_waits.
function census(sp, nStates, t, shown) {
  const n = sp.n, { offsets, start, end, state } = sp;
  const count = new Int32Array(nStates);
  for (let c = 0; c < n; c++) {
    if (shown && !shown(c)) continue;
    for (let i = offsets[c]; i < offsets[c + 1]; i++) {
      if (start[i] <= t && t < end[i]) count[state[i]]++;
    }
  }
  const at = new Int32Array(nStates + 1);
  for (let s = 0; s < nStates; s++) at[s + 1] = at[s] + count[s];
  const fill = at.slice(0, nStates);
  const waits = new Float64Array(at[nStates]);
  for (let c = 0; c < n; c++) {
    if (shown && !shown(c)) continue;
    for (let i = offsets[c]; i < offsets[c + 1]; i++) {
      if (start[i] <= t && t < end[i]) waits[fill[state[i]]++] = t - start[i];
    }
  }
  const median = new Float64Array(nStates).fill(NaN);
  for (let s = 0; s < nStates; s++) {
    if (!count[s]) continue;
    const part = waits.subarray(at[s], at[s + 1]).sort();
    median[s] = part[(count[s] - 1) >> 1];
  }
  return { count, median };
}
