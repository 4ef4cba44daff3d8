// carevis: the GPU frame's fragment stage (see frame.vert.glsl). Drawing: the coverage rule
// of the CPU rasteriser, clamp(r + 0.5 - d, 0, 1) at pixel centres, premultiplied colour
// for "over" blending (ONE, ONE_MINUS_SRC_ALPHA). STATE_PASS: the dot's record as is.
precision highp float;
precision highp int;
#ifdef STATE_PASS
flat in uvec4 v_record;
out uvec4 o_record;
void main() { o_record = v_record; }
#else
uniform vec2 u_size;
uniform float u_radius;
uniform bool u_top_up;
in vec4 v_rgba;
in vec2 v_centre;
out vec4 o_colour;
void main() {
    // pixel centre, top-down
    vec2 c = vec2(gl_FragCoord.x, u_top_up ? gl_FragCoord.y : u_size.y - gl_FragCoord.y);
    float cov = clamp(u_radius + 0.5 - distance(c, v_centre), 0.0, 1.0);
    if (cov <= 0.0) discard;
    float a = v_rgba.a * cov;
    o_colour = vec4(v_rgba.rgb * a, a);
}
#endif
