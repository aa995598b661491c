#!/usr/bin/env python3
"""Writes src/NetBlocks/Kernels/DirectWeightGradient.Kernels.cs: the weight-gradient register tiles, fully unrolled.

    python3 tools/gen_direct_dw_kernels.py

A tile is NB blocks of 16 output channels (one Vector512<float> each) by C input channels by R kernel rows by T kernel
columns: NB*C*R*T accumulators. Per output pixel it loads NB vectors of the transposed output gradient ([pixel][16*NB])
and broadcasts one input value per (c, r, t), the input read from the pixel's receptive field. Edit TILES here, never the
generated file.
"""
import os

from avx512_transpose import transpose16

# (NB, C, R, T): only the tiles that DirectWeightGradient.Plan picks
TILES = [
    (1, 2, 3, 3), (1, 1, 3, 3),   # 16 channels per group, 3x3 (RegNet)
    (2, 1, 3, 3),                 # 32 per group, 3x3
    (4, 2, 1, 3), (4, 1, 1, 3),   # 64k per group, 3x3 (NiN 256->384)
    (2, 2, 1, 5), (2, 1, 1, 5),   # 32 per group, 5x5
    (4, 1, 1, 5),                 # 64k per group, 5x5 (NiN 96->256)
    (1, 1, 5, 5),                 # 16 per group, 5x5
]

def name(nb, c, r, t):
    return f'Tile{nb}_{c}x{r}x{t}'

def kernel(nb, c, r, t):
    o = []
    w = 16 * nb
    acc = lambda ci, ri, ti, v: f'a{ci}_{ri}_{ti}_{v}'
    accs = [(ci, ri, ti, v) for ci in range(c) for ri in range(r) for ti in range(t) for v in range(nb)]
    o.append('    [MethodImpl(MethodImplOptions.AggressiveOptimization)]')
    o.append(f'    private static void {name(nb, c, r, t)}(float* x, nint* offsets, int pixels, nint xCi, nint rs, float* dy, float* acc, nint accCi, nint accRow)')
    o.append('    {')
    for ci in range(c):
        for ri in range(r):
            base = ' + '.join(p for p in (f'{ci} * accCi' if ci else '', f'{ri} * accRow' if ri else '') if p) or '0'
            o.append(f'        float* p{ci}_{ri} = acc + {base};')
    for (ci, ri, ti, v) in accs:
        o.append(f'        Vector512<float> {acc(ci, ri, ti, v)} = Vector512.Load(p{ci}_{ri} + {ti * w + v * 16});')
    o.append('        Vector512<float> ' + ', '.join(f'd{v}' for v in range(nb)) + ', b;')
    for ci in range(c):
        for ri in range(r):
            if ci or ri:
                off = ' + '.join(p for p in (f'{ci} * xCi' if ci else '', f'{ri} * rs' if ri else '') if p)
                o.append(f'        nint o{ci}_{ri} = {off};')
    o.append(f'        for (nint* end = offsets + pixels; offsets < end; offsets++, dy += {w})')
    o.append('        {')
    o.append('            float* q = x + *offsets;')
    for v in range(nb):
        o.append(f'            d{v} = Vector512.Load(dy + {16 * v});')
    for ci in range(c):
        for ri in range(r):
            for ti in range(t):
                idx = (f'o{ci}_{ri} + ' if ci or ri else '') + f'{ti}'
                o.append(f'            b = Vector512.Create(q[{idx}]);')
                for v in range(nb):
                    a = acc(ci, ri, ti, v)
                    o.append(f'            {a} = Avx512F.FusedMultiplyAdd(b, d{v}, {a});')
    o.append('        }')
    for (ci, ri, ti, v) in accs:
        o.append(f'        Vector512.Store({acc(ci, ri, ti, v)}, p{ci}_{ri} + {ti * w + v * 16});')
    o.append('    }')
    return o

def transpose():
    """TransposeIn: 16 rows (channels) of up to 16 floats (pixels), srcStride apart, to `cols` rows of 16 (pixel-major)."""
    o = []
    o.append('    /// <summary>')
    o.append('    /// dst[j·dstStride + l] = src[l·srcStride + j] for l &lt; 16, j &lt; cols ≤ 16: a 16×16 transpose in registers (four')
    o.append('    /// rounds of two-source permutes). Reads only the first cols floats of each source row.')
    o.append('    /// </summary>')
    o.append('    [MethodImpl(MethodImplOptions.AggressiveOptimization)]')
    o.append('    private static void TransposeIn(float* src, nint srcStride, float* dst, nint dstStride, int cols)')
    o.append('    {')
    o.append('        Vector512<float> ' + ', '.join(f'r{j}' for j in range(16)) + ';')
    o.append('        if (cols == 16)')
    o.append('        {')
    for j in range(16):
        o.append(f'            r{j} = Vector512.Load(src + {j} * srcStride);')
    o.append('        }')
    o.append('        else')
    o.append('        {')
    o.append('            Vector512<float> m = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cols)).AsSingle();')
    for j in range(16):
        o.append(f'            r{j} = Avx512F.MaskLoad(src + {j} * srcStride, m, Vector512<float>.Zero);')
    o.append('        }')
    o.append('        Vector512<float> t;')
    o.extend(transpose16())
    o.append('        if (cols == 16)')
    o.append('        {')
    for r in range(16):
        o.append(f'            Vector512.Store(r{r}, dst + {r} * dstStride);')
    o.append('            return;')
    o.append('        }')
    for r in range(16):
        o.append(f'        Vector512.Store(r{r}, dst + {r} * dstStride); if (cols == {r + 1}) return;')
    o.append('    }')
    o.append('')
    return o

def main():
    o = ['// <auto-generated> by tools/gen_direct_dw_kernels.py; edit the tiles there, not this code. </auto-generated>',
         'using System.Runtime.CompilerServices;',
         'using System.Runtime.Intrinsics;',
         'using System.Runtime.Intrinsics.X86;',
         '',
         'namespace NetBlocks.Kernels;',
         '',
         'internal static unsafe partial class DirectWeightGradient',
         '{',
         '    /// <summary>Whether there is a tile of nb 16-channel blocks by c input channels by r kernel rows by t kernel columns.</summary>',
         '    private static bool HasTile(int nb, int c, int r, int t) => (nb * 4096 + c * 256 + r * 16 + t) switch',
         '    {',
         '        ' + ' or '.join(str(nb * 4096 + c * 256 + r * 16 + t) for nb, c, r, t in TILES) + ' => true,',
         '        _ => false,',
         '    };',
         '',
         '    /// <summary>',
         '    /// Runs the tile (nb, c, r, t) over `pixels` output pixels: acc[c·accCi + r·accRow + t·16nb + 16v] (accumulated in',
         '    /// place) += Σₚ dy[16nb·p + 16v ..] · x[offsets[p] + c·xCi + r·rs + t], 16 lanes at a time.',
         '    /// </summary>',
         '    private static void Tile(int nb, int c, int r, int t, float* x, nint* offsets, int pixels, nint xCi, nint rs, float* dy, float* acc,',
         '        nint accCi, nint accRow)',
         '    {',
         '        switch (nb * 4096 + c * 256 + r * 16 + t)',
         '        {']
    for nb, c, r, t in TILES:
        o.append(f'            case {nb * 4096 + c * 256 + r * 16 + t}: {name(nb, c, r, t)}(x, offsets, pixels, xCi, rs, dy, acc, accCi, accRow); return;')
    o.append('            default: throw new InvalidOperationException($"no {nb}x{c}x{r}x{t} weight-gradient tile");')
    o.append('        }')
    o.append('    }')
    o.append('')
    o += transpose()
    for tile in TILES:
        o += kernel(*tile)
        o.append('')
    o[-1] = '}'
    path = os.path.join(os.path.dirname(__file__), '..', 'src', 'NetBlocks', 'Kernels', 'DirectWeightGradient.Kernels.cs')
    with open(path, 'w') as f:
        f.write('\n'.join(o) + '\n')

if __name__ == '__main__':
    main()
