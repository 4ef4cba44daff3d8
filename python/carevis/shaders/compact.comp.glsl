// carevis: the GPU frame's compaction (desktop GL 4.3+; not part of the GLSL ES 3.00
// frame, which runs without it). Lists, in dot order, the dots not waiting off screen at
// t (first spell begun, not gone), so that the draw submits those alone: the graphics
// pipeline's cost per point submitted, not the shader, bounds a frame of many dots on
// GPUs with few raster units. Three passes over groups of 1024 dots: COUNT (each group's
// count), SCAN (every group's offset, and the draw's count), WRITE (the indices).
// The host prepends "#version 430" and one of COUNT, SCAN, WRITE.
layout(local_size_x = 1024) in;
uniform highp usampler2D u_dots;
uniform highp usampler2D u_spells;
uniform int u_shift;
uniform int u_ti;
uniform int u_n;
uniform int u_groups;
layout(std430, binding = 0) buffer Counts { uint counts[]; };
layout(std430, binding = 1) buffer Indices { uint indices[]; };
// glDrawElementsIndirect's command: count, instances, first index, base vertex, base instance
layout(std430, binding = 2) buffer Command { uint command[5]; };
shared uint scan[1024];

ivec2 at(int i) { return ivec2(i & ((1 << u_shift) - 1), i >> u_shift); }

// Before its first spell starts, or gone (see frame.vert.glsl's tables).
bool waiting(int c) {
    uvec4 d = texelFetch(u_dots, at(c), 0);
    return u_ti >= int(d.y) || u_ti < int(texelFetch(u_spells, at(int(d.x)), 0).x);
}

// Inclusive scan of scan[] over the group (Hillis-Steele).
void scan_group(uint i) {
    for (uint k = 1u; k < 1024u; k <<= 1) {
        barrier();
        uint v = i >= k ? scan[i - k] : 0u;
        barrier();
        scan[i] += v;
    }
    barrier();
}

void main() {
    uint i = gl_LocalInvocationID.x;
#ifdef SCAN
    // one group: thread i sums a run of group counts, the runs are scanned, then each
    // thread writes its run's exclusive offsets
    uint per = (uint(u_groups) + 1023u) / 1024u;
    uint a = min(i * per, uint(u_groups));
    uint b = min(a + per, uint(u_groups));
    uint sum = 0u;
    for (uint g = a; g < b; g++) sum += counts[g];
    scan[i] = sum;
    scan_group(i);
    uint run = scan[i] - sum;
    for (uint g = a; g < b; g++) {
        uint v = counts[g];
        counts[g] = run;
        run += v;
    }
    if (i == 1023u) {
        command[0] = scan[1023];
        command[1] = 1u;
        command[2] = 0u;
        command[3] = 0u;
        command[4] = 0u;
    }
#else
    int c = int(gl_WorkGroupID.x) * 1024 + int(i);
    uint on = c < u_n && !waiting(c) ? 1u : 0u;
    scan[i] = on;
    scan_group(i);
#ifdef COUNT
    if (i == 1023u) counts[gl_WorkGroupID.x] = scan[1023];
#else
    if (on == 1u) indices[counts[gl_WorkGroupID.x] + scan[i] - 1u] = uint(c);
#endif
#endif
}
