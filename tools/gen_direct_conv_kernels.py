#!/usr/bin/env python3
"""Writes src/NetBlocks/Kernels/DirectConvolution.Kernels.cs: the direct-convolution register tiles, fully unrolled.

    python3 tools/gen_direct_conv_kernels.py

A tile is NB blocks of 16 output channels (one Vector512<float> each) by R output rows by T output columns: NB*R*T
accumulators. Per tap (ci, kh, kw) it loads NB weight vectors and broadcasts one input value per column. The stride is a
generic struct parameter so that the column offsets are constants. Edit the shapes here, never the generated file.
"""
import os

from avx512_transpose import transpose16

TMAX = {1: 24, 2: 12}
# rows per tile beyond 1 only for narrow outputs (width up to MULTIROW_MAXT): R*T <= TMAX[nb]
MULTIROW_MAXT = 7

def shapes(nb):
    for t in range(1, TMAX[nb] + 1):
        for r in range(1, (TMAX[nb] // t if t <= MULTIROW_MAXT else 1) + 1):
            yield r, t

def kernel(nb, r, t):
    o = []
    accs = [f'a{i}_{j}_{v}' for i in range(r) for j in range(t) for v in range(nb)]
    o.append(f'    [MethodImpl(MethodImplOptions.AggressiveOptimization)]')
    o.append(f'    private static void Tile{nb}_{r}x{t}<S>(float* x, nint ciStride, nint rowStride, int cin, int kh, int kw, float* w, nint wSkip, float* o)')
    o.append(f'        where S : struct, IStride')
    o.append('    {')
    o.append('        Vector512<float> ' + ', '.join(f'{a} = default' for a in accs) + ';')
    o.append('        Vector512<float> ' + ', '.join(f'w{v}' for v in range(nb)) + ', b;')
    if r > 1:
        o.append('        nint rs = S.Value * rowStride;')
    o.append('        for (int c = 0; c < cin; c++)')
    o.append('        {')
    o.append('            float* xr = x;')
    o.append('            for (int k = 0; k < kh; k++)')
    o.append('            {')
    o.append('                for (float* xp = xr, xe = xr + kw; xp < xe; xp++)')
    o.append('                {')
    for v in range(nb):
        o.append(f'                    w{v} = Vector512.Load(w + {16 * v});')
    for i in range(r):
        row = 'xp' if i == 0 else f'q{i}'
        if i > 0:
            o.append(f'                    float* q{i} = xp + {i} * rs;')
        for j in range(t):
            o.append(f'                    b = Vector512.Create({row}[{j} * S.Value]);')
            for v in range(nb):
                o.append(f'                    a{i}_{j}_{v} = Avx512F.FusedMultiplyAdd(b, w{v}, a{i}_{j}_{v});')
    o.append(f'                    w += {16 * nb};')
    o.append('                }')
    o.append('                xr += rowStride;')
    o.append('            }')
    o.append('            x += ciStride;')
    o.append('            w += wSkip;')
    o.append('        }')
    for i in range(r):
        for j in range(t):
            for v in range(nb):
                o.append(f'        Vector512.Store(a{i}_{j}_{v}, o + {((i * t + j) * nb + v) * 16});')
    o.append('    }')
    return o

def transpose():
    """StoreTransposed: 16 rows of 16 floats (src, srcStride apart) transposed in registers (four rounds of two-source
    permutes swapping the off-diagonal blocks of 8, 4, 2, 1), plus bias[l] on row l, then max(·, 0) with relu (the
    inference plan's fused ReLU), stored as 16 rows of `cols` floats."""
    o = []
    o.append('    /// <summary>')
    o.append('    /// y[l·yStride + j] = src[j·srcStride + l] + bias[l] for l &lt; 16, j &lt; cols (bias may be null): a 16×16 transpose in')
    o.append('    /// registers. With <paramref name="relu"/>, max(·, 0) of that sum as <see cref="Vector512.Max{T}"/> takes it (F.Relu\'s')
    o.append('    /// rule: −0 becomes +0, a NaN stays the same NaN). Reads all 16 source rows (the ones past cols only feed masked-off lanes).')
    o.append('    /// </summary>')
    o.append('    [MethodImpl(MethodImplOptions.AggressiveOptimization)]')
    o.append('    private static void StoreTransposed(float* src, nint srcStride, float* y, nint yStride, float* bias, int cols, bool relu)')
    o.append('    {')
    o.append('        Vector512<float> ' + ', '.join(f'r{j} = Vector512.Load(src + {j} * srcStride)' for j in range(16)) + ';')
    o.append('        Vector512<float> t;')
    o.extend(transpose16())
    o.append('        if (bias != null)')
    o.append('        {')
    for r in range(16):
        o.append(f'            r{r} = Avx512F.Add(r{r}, Vector512.Create(bias[{r}]));')
    o.append('        }')
    o.append('        if (relu)')
    o.append('        {')
    for r in range(16):
        o.append(f'            r{r} = Vector512.Max(r{r}, Vector512<float>.Zero);')
    o.append('        }')
    o.append('        if (cols == 16)')
    o.append('        {')
    for r in range(16):
        o.append(f'            Vector512.Store(r{r}, y + {r} * yStride);')
    o.append('        }')
    o.append('        else')
    o.append('        {')
    o.append('            Vector512<float> m = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cols)).AsSingle();')
    for r in range(16):
        o.append(f'            Avx512F.MaskStore(y + {r} * yStride, m, r{r});')
    o.append('        }')
    o.append('    }')
    o.append('')
    return o

def main():
    o = ['// <auto-generated> by tools/gen_direct_conv_kernels.py; edit the shapes there, not this code. </auto-generated>',
         'using System.Runtime.CompilerServices;',
         'using System.Runtime.Intrinsics;',
         'using System.Runtime.Intrinsics.X86;',
         '',
         'namespace NetBlocks.Kernels;',
         '',
         'internal static unsafe partial class DirectConvolution',
         '{']
    for nb in (1, 2):
        o.append(f'    /// <summary>Largest tile width for {nb} block(s) of 16 output channels.</summary>')
        o.append(f'    internal const int MaxTile{nb} = {TMAX[nb]};')
    o.append(f'    /// <summary>Widest tile that may span several output rows.</summary>')
    o.append(f'    internal const int MultiRowMaxWidth = {MULTIROW_MAXT};')
    o.append('')
    for nb in (1, 2):
        o.append(f'    /// <summary>')
        o.append(f'    /// Runs the {nb}-block tile of r rows by t columns (r·t ≤ {TMAX[nb]}; r > 1 only for t ≤ {MULTIROW_MAXT}); o receives')
        o.append(f'    /// r·t × {16 * nb} floats, row by row and column by column. Returns false for a shape that has no kernel.')
        o.append(f'    /// </summary>')
        o.append(f'    private static bool Tile{nb}<S>(int r, int t, float* x, nint ciStride, nint rowStride, int cin, int kh, int kw, float* w, nint wSkip, float* o)')
        o.append('        where S : struct, IStride')
        o.append('    {')
        o.append('        switch (r * 64 + t)')
        o.append('        {')
        for r, t in shapes(nb):
            o.append(f'            case {r * 64 + t}: Tile{nb}_{r}x{t}<S>(x, ciStride, rowStride, cin, kh, kw, w, wSkip, o); return true;')
        o.append('            default: return false;')
        o.append('        }')
        o.append('    }')
        o.append('')
    o += transpose()
    for nb in (1, 2):
        for r, t in shapes(nb):
            o += kernel(nb, r, t)
            o.append('')
    o[-1] = '}'
    path = os.path.join(os.path.dirname(__file__), '..', 'src', 'NetBlocks', 'Kernels', 'DirectConvolution.Kernels.cs')
    with open(path, 'w') as f:
        f.write('\n'.join(o) + '\n')

if __name__ == '__main__':
    main()
