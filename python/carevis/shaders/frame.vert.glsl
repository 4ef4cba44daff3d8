// carevis: the GPU frame. For time t, every dot's place, colour and state, computed from
// tables kept on the GPU: exactly what the Rust engine's Scene::frame_into computes
// (rust/src/scene.rs is the reference). GLSL ES 3.00: WebGL2 runs it as is, desktop GL 3.3+
// with ARB_ES3_compatibility. The host prepends "#version 300 es" and, for the pass that
// writes every dot's record into a texture (read back by tests), "#define STATE_PASS".
//
// Tables (integer textures, row-major, (1 << u_shift) texels a row):
//   u_dots   RGB32UI, one texel per dot and one more: first spell, gone (minute,
//            2147483647 if never), rest0 | rest1 << 7 | hidden << 14 | category << 16
//            (the last texel's first word: the spell count). A dot appears when its first
//            spell starts.
//   u_spells RGBA32UI, one texel per spell: start, end (2147483647 open), arrival,
//            state | flags << 16 (flags: 0x8000 appearance, low bits entries so far).
//   u_places RG32F, one texel per spell: the dot's place in that state's cluster, a point
//            of the unit disk.
//   u_lut    RGBA8UI, the colour table (one row).
// Times are whole minutes in the tables, and t arrives as whole minutes u_ti plus a
// fraction u_tf, so every comparison is an exact integer one and float32 only ever holds
// differences of times, never a time itself.
precision highp float;
precision highp int;
precision highp usampler2D;

uniform highp usampler2D u_dots;
uniform highp usampler2D u_spells;
uniform highp sampler2D u_places;
uniform highp usampler2D u_lut;
uniform int u_shift;
uniform int u_ti;            // floor(t), minutes since 1970
uniform float u_tf;          // t - floor(t)
uniform vec4 u_states[64];   // per state: centre x, centre y, cluster radius (world units)
uniform int u_mode;          // 0 time in care, 1 time in state, 2 entries, 3 category
uniform float u_lo;
uniform float u_scale;       // table entries per unit of the coloured value
uniform float u_top;         // the last table entry
uniform int u_lut_n;
uniform float u_alpha;       // opacity of a fully visible dot, as a factor
uniform float u_inv_fade;    // 1 / fade minutes (0: no fade)
uniform int u_highlight;     // the highlighted state, or -1 for none
uniform float u_dim;
uniform bool u_filtered;
#ifdef STATE_PASS
flat out uvec4 v_record;     // x bits, y bits, rgba, state + 1
#else
uniform vec4 u_map;          // sx, sy, tx, ty: world -> pixels of the target (row 0 at top)
uniform vec2 u_size;         // target width, height (pixels)
uniform float u_radius;      // dot radius, pixels
uniform bool u_top_up;       // rows bottom-up (GL's order; glReadPixels then gives rows top-down)
out vec4 v_rgba;
out vec2 v_centre;
#endif

const int OPEN = 2147483647;
const uint APPEAR = 0x8000u;
const uint ENTRIES = 0x7fffu;

ivec2 at(int i) { return ivec2(i & ((1 << u_shift) - 1), i >> u_shift); }
uvec4 spell(int i) { return texelFetch(u_spells, at(i), 0); }
vec2 place(int i, int state) {
    vec4 s = u_states[state];
    vec2 d = texelFetch(u_places, at(i), 0).xy;
    return vec2(s.x + s.z * d.x, s.y + s.z * d.y);
}
// t - m for a whole minute m, in float32 (exact up to the rounding of the result)
float since(int m) { return float(u_ti - m) + u_tf; }
float ease(float u) { return u * u * (3.0 - 2.0 * u); }
// When the leg into spell k sets off: its start, or the previous arrival if later.
int depart(int k, uvec4 r) {
    int s = int(r.x);
    return (r.w >> 16 & APPEAR) != 0u ? s : max(s, int(spell(k - 1).z));
}

// The dot's place, colour (0..255) and state (-1 for none) at t; false if it waits off
// screen (then only the place, its waiting cluster's centre, is set).
bool frame(int c, out vec2 p, out uvec4 rgba, out int cur) {
    uvec3 d = texelFetch(u_dots, at(c), 0).xyz;
    rgba = uvec4(0u);
    cur = -1;
    int a = int(d.x);
    uvec4 ri = spell(a);
    uint first = ri.x;
    // Waiting before its first spell or gone after its last: t < from <=> floor(t) < from.
    if (u_ti < int(first) || u_ti >= int(d.y)) {
        int w = int(u_ti < int(first) ? d.z & 127u : d.z >> 7 & 127u);
        p = u_states[w].xy;
        return false;
    }
    int b = int(texelFetch(u_dots, at(c + 1), 0).x);
    // The last spell begun by t: the only one that can hold t.
    int i = a;
    while (i + 1 < b) {
        uvec4 r = spell(i + 1);
        if (int(r.x) > u_ti) break;
        i += 1;
        ri = r;
    }
    int end_i = int(ri.y);
    cur = u_ti < end_i ? int(ri.w & 0xffffu) : -1;
    // The leg the dot is on: it can lag behind rapid steps (a same-day step is still seen
    // passing through its cluster), so step back to the latest leg that has set off.
    int k = i;
    uvec4 rk = ri;
    while (k > a && depart(k, rk) > u_ti) {
        k -= 1;
        rk = spell(k);
    }
    int arrive = int(rk.z);
    p = place(k, int(rk.w & 0xffffu));
    if (u_ti < arrive) {
        int dep = depart(k, rk);
        float u = ease(clamp(since(dep) / float(arrive - dep), 0.0, 1.0));
        vec2 f = place(k - 1, int(spell(k - 1).w & 0xffffu));
        p = vec2(f.x + (p.x - f.x) * u, f.y + (p.y - f.y) * u);
    }
    // Opacity: fade in after (re)appearing, fade out after leaving.
    float fade = 1.0;
    int leave = max(end_i, int(ri.z));
    if (u_inv_fade > 0.0) {
        if (since(int(rk.x)) * u_inv_fade < 1.0) {
            int q = k;
            uvec4 rq = rk;
            while (q > a && (rq.w >> 16 & APPEAR) == 0u) {
                q -= 1;
                rq = spell(q);
            }
            fade = since(int(rq.x)) * u_inv_fade;
        }
        if (cur < 0 && since(leave) > 0.0) {
            fade = min(fade, 1.0 - since(leave) * u_inv_fade);
        }
    } else if (cur < 0 && since(leave) > 0.0) {
        fade = 0.0;
    }
    fade = clamp(fade, 0.0, 1.0);
    // Colour: an entry of the table by the colour mode, opacity by fade and emphasis.
    uint e;
    if (u_mode == 3) {
        e = (d.z >> 16) % uint(u_lut_n);
    } else {
        float v = u_mode == 0 ? since(int(first)) * (1.0 / 1440.0)
                : u_mode == 1 ? since(int(ri.x)) * (1.0 / 1440.0)
                : float(ri.w >> 16 & ENTRIES);
        e = uint(min(max((v - u_lo) * u_scale + 0.5, 0.0), u_top));
    }
    rgba = texelFetch(u_lut, ivec2(int(e), 0), 0);
    float k_alpha = fade * u_alpha;
    if (u_filtered && (d.z & 0x4000u) != 0u) k_alpha = 0.0;
    if (u_highlight >= 0 && cur != u_highlight) k_alpha *= u_dim;
    rgba.a = uint(min(max(float(rgba.a) * k_alpha + 0.5, 0.0), 255.0));
    return true;
}

void main() {
    int c = gl_VertexID;
    vec2 p;
    uvec4 rgba;
    int cur;
    bool on = frame(c, p, rgba, cur);
#ifdef STATE_PASS
    v_record = uvec4(floatBitsToUint(p.x), floatBitsToUint(p.y),
                     rgba.r | rgba.g << 8 | rgba.b << 16 | rgba.a << 24, uint(cur + 1));
    ivec2 xy = at(c);
    vec2 size = vec2(float(1 << u_shift), float(textureSize(u_dots, 0).y));
    gl_Position = vec4((vec2(xy) + 0.5) / size * 2.0 - 1.0, 0.0, 1.0);
    gl_PointSize = 1.0;
#else
    // Dots waiting off screen, filtered out or faded away cost no more: out of the clip box.
    if (!on || rgba.a == 0u) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        gl_PointSize = 1.0;
        return;
    }
    vec2 q = p * u_map.xy + u_map.zw;
    v_centre = q;
    v_rgba = vec4(rgba) / 255.0;
    float y = q.y * 2.0 / u_size.y;
    gl_Position = vec4(q.x * 2.0 / u_size.x - 1.0, u_top_up ? y - 1.0 : 1.0 - y, 0.0, 1.0);
    // Pixels whose centres lie within r + 0.5 of the dot's are all it covers: a sprite of
    // side 2r + 1 holds them, and no fragment more is shaded or blended.
    gl_PointSize = 2.0 * u_radius + 1.0;
#endif
}
