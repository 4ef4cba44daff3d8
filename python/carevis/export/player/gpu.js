// carevis page, part 2: the GPU frame in WebGL2, with the very shader the Python GPU frame
// runs (carevis/shaders/frame.vert.glsl and frame.frag.glsl, put in the page as they are).
"use strict";

class GpuFrame {
  constructor(canvas, meta, tables, vertSource, fragSource) {
    const gl = canvas.getContext("webgl2", {
      antialias: false, premultipliedAlpha: true, preserveDrawingBuffer: true, alpha: false,
    });
    if (!gl) throw new Error("this browser has no WebGL2");
    this.gl = gl;
    this.meta = meta;
    this.tables = tables;
    this.n = meta.spells.n;
    this.program = this.link("#version 300 es\n" + vertSource, "#version 300 es\n" + fragSource);
    this.loc = {};
    const width = 1 << tables.shift;
    this.textures = [
      this.texture(0, tables.dots, width, gl.RGB32UI, gl.RGB_INTEGER, gl.UNSIGNED_INT),
      this.texture(1, tables.spells, width, gl.RGBA32UI, gl.RGBA_INTEGER, gl.UNSIGNED_INT),
      this.texture(2, tables.places, width, gl.RG32F, gl.RG, gl.FLOAT),
      null,
    ];
    this.vao = gl.createVertexArray();
    // The dots not waiting off screen, listed each frame (in dot order, so drawn in the
    // same order as every other renderer): the shader would drop the others, but each
    // vertex costs even so, most of a frame where GL runs on the CPU.
    this.elements = gl.createBuffer();
    this.list = new Uint32Array(this.n);
    // per dot the minute it appears (its first spell's start) and is gone
    const d = new Int32Array(tables.dots.buffer), s = new Int32Array(tables.spells.buffer);
    this.appears = new Int32Array(this.n);
    this.gone = new Int32Array(this.n);
    for (let c = 0; c < this.n; c++) {
      this.appears[c] = s[4 * d[3 * c]];
      this.gone[c] = d[3 * c + 1];
    }
    this.filtered = false;
    this.codes = null;
    this.states = new Float32Array(64 * 4);
  }

  link(vs, fs) {
    const gl = this.gl;
    const compile = (kind, src) => {
      const sh = gl.createShader(kind);
      gl.shaderSource(sh, src);
      gl.compileShader(sh);
      if (!gl.getShaderParameter(sh, gl.COMPILE_STATUS)) {
        throw new Error("GPU frame shader: " + gl.getShaderInfoLog(sh));
      }
      return sh;
    };
    const prog = gl.createProgram();
    gl.attachShader(prog, compile(gl.VERTEX_SHADER, vs));
    gl.attachShader(prog, compile(gl.FRAGMENT_SHADER, fs));
    gl.linkProgram(prog);
    if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) {
      throw new Error("GPU frame program: " + gl.getProgramInfoLog(prog));
    }
    return prog;
  }

  texture(unit, data, width, internal, format, type) {
    const gl = this.gl;
    const tex = gl.createTexture();
    gl.activeTexture(gl.TEXTURE0 + unit);
    gl.bindTexture(gl.TEXTURE_2D, tex);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 4);
    const per = internal === gl.RG32F ? 2 : internal === gl.RGB32UI ? 3 : 4;
    gl.texImage2D(gl.TEXTURE_2D, 0, internal, width, data.length / per / width, 0, format, type, data);
    return tex;
  }

  // A colour mode: its table (one row) and uniforms; categories go into the dots' table.
  setColour(mode, codes) {
    const gl = this.gl;
    if (this.textures[3]) gl.deleteTexture(this.textures[3]);
    const lut = new Uint8Array(mode.lut);
    this.textures[3] = this.texture(3, lut, lut.length / 4, gl.RGBA8UI, gl.RGBA_INTEGER, gl.UNSIGNED_BYTE);
    this.mode = mode;
    // the dots' table holds no category until one is asked for: no rewrite needed then
    if (!codes && !this.codes) return;
    this.codes = codes;
    this.rewriteDots((w, c) => (w & 0xffff) | ((codes ? codes[c] : 0) << 16));
  }

  // Filter: `shown(c)` false hides dot c (bit 14 of its third word).
  setFilter(shown) {
    this.filtered = !!shown;
    this.rewriteDots((w, c) => (shown && !shown(c) ? w | 0x4000 : w & ~0x4000));
  }

  rewriteDots(fn) {
    const d = this.tables.dots, gl = this.gl;
    for (let c = 0; c < this.n; c++) d[3 * c + 2] = fn(d[3 * c + 2], c) >>> 0;
    const width = 1 << this.tables.shift;
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.textures[0]);
    gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, width, d.length / 3 / width, gl.RGB_INTEGER, gl.UNSIGNED_INT, d);
  }

  u(name) {
    if (!(name in this.loc)) this.loc[name] = this.gl.getUniformLocation(this.program, name);
    return this.loc[name];
  }

  // Draws the frame at `minutes` with the clusters' radii, the world->pixel map and the
  // dot radius (pixels), over `background` (0..255 RGB).
  draw(minutes, radii, vp, radius, background, highlight, dim) {
    const gl = this.gl, m = this.meta, mode = this.mode;
    const w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
    gl.viewport(0, 0, w, h);
    gl.clearColor(background[0] / 255, background[1] / 255, background[2] / 255, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.useProgram(this.program);
    gl.bindVertexArray(this.vao);
    ["u_dots", "u_spells", "u_places", "u_lut"].forEach((name, unit) => {
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(gl.TEXTURE_2D, this.textures[unit]);
      gl.uniform1i(this.u(name), unit);
    });
    const ti = Math.floor(minutes);
    gl.uniform1i(this.u("u_shift"), this.tables.shift);
    gl.uniform1i(this.u("u_ti"), Math.min(Math.max(ti, -(2 ** 31)), 2 ** 31 - 1));
    gl.uniform1f(this.u("u_tf"), minutes - ti);
    for (let s = 0; s < radii.length; s++) {
      this.states[4 * s] = m.centres[2 * s];
      this.states[4 * s + 1] = m.centres[2 * s + 1];
      this.states[4 * s + 2] = radii[s];
    }
    gl.uniform4fv(this.u("u_states"), this.states);
    gl.uniform1i(this.u("u_mode"), mode.mode);
    gl.uniform1f(this.u("u_lo"), mode.lo);
    gl.uniform1f(this.u("u_scale"), mode.scale);
    gl.uniform1f(this.u("u_top"), mode.top);
    gl.uniform1i(this.u("u_lut_n"), mode.lut.length / 4);
    let alpha = Math.fround(m.alpha8 * Math.fround(1 / 255));
    if (m.projected_from != null && minutes >= m.projected_from) {
      alpha = Math.fround(alpha * Math.fround(m.projected_alpha)); // as the core's frame
    }
    gl.uniform1f(this.u("u_alpha"), alpha);
    gl.uniform1f(this.u("u_inv_fade"), m.fade > 0 ? Math.fround(1 / m.fade) : 0);
    gl.uniform1i(this.u("u_highlight"), highlight);
    gl.uniform1f(this.u("u_dim"), dim);
    gl.uniform1i(this.u("u_filtered"), this.filtered ? 1 : 0);
    gl.uniform4f(this.u("u_map"), vp.sx, vp.sy, vp.tx, vp.ty);
    gl.uniform2f(this.u("u_size"), w, h);
    gl.uniform1f(this.u("u_radius"), radius);
    gl.uniform1i(this.u("u_top_up"), 0);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    const k = this.onScreen(Math.min(Math.max(ti, -(2 ** 31)), 2 ** 31 - 1));
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.elements);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, this.list.subarray(0, k), gl.STREAM_DRAW);
    gl.drawElements(gl.POINTS, k, gl.UNSIGNED_INT, 0);
  }

  // Lists the dots whose first spell has begun and who are not yet gone at minute ti
  // (the shader's own test); returns how many.
  onScreen(ti) {
    const from = this.appears, gone = this.gone, list = this.list;
    let k = 0;
    for (let c = 0; c < this.n; c++) {
      if (ti >= from[c] && ti < gone[c]) list[k++] = c;
    }
    return k;
  }
}
