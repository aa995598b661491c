#!/usr/bin/env python3
"""Writes src/NetBlocks/Kernels/Gemm.MicroKernel.cs: the GEMM register-block micro-kernels, fully unrolled.

    python3 tools/gen_gemm_microkernels.py            # the shapes below, written into the source tree
    python3 tools/gen_gemm_microkernels.py "[...]"    # other shapes, printed (for experiments)

A spec is (struct name, isa: avx512|avx2|v128, MR rows, NV vectors per row[, unroll, prefetch a, prefetch b, prefetch c]);
the block is MR x (NV * lanes). Edit the shapes here, never the generated file.
"""
import os
import sys

SPECS = [
    # The C tile is fetched at the start (pf_c): between two k blocks the whole block of C has been swept, so its
    # lines come from L3, and the loads in the epilogue stalled (8 % of the 8x32 kernel's time at 1024^3, 2-3 % with it).
    ('Avx512Kernel8x32', 'avx512', 8, 2, 1, 0, 0, True),
    ('Avx512Kernel16x16', 'avx512', 16, 1, 1, 0, 0, True),
    ('Avx2Kernel6x16', 'avx2', 6, 2),
    ('Vector128Kernel6x8', 'v128', 6, 2),
]

def kernel(name, isa, mr, nv, unroll=1, pf_a=0, pf_b=0, pf_c=False):
    if isa == 'avx512':
        V='Vector512<float>'; W=16; load='Vector512.Load'; store='Vector512.Store'
        bcast=lambda e: f'Vector512.Create({e})'
        fma=lambda a,b,c: f'Avx512F.FusedMultiplyAdd({a}, {b}, {c})'
        mul=lambda a,b: f'Avx512F.Multiply({a}, {b})'
        create='Vector512.Create'
    elif isa == 'avx2':
        V='Vector256<float>'; W=8; load='Avx.LoadVector256'; store='Vector256.Store'
        bcast=lambda e: f'Avx.BroadcastScalarToVector256({e})'
        fma=lambda a,b,c: f'Fma.MultiplyAdd({a}, {b}, {c})'
        mul=lambda a,b: f'Avx.Multiply({a}, {b})'
        create='Vector256.Create'
    elif isa == 'v128':
        V='Vector128<float>'; W=4; load='Vector128.Load'; store='Vector128.Store'
        bcast=lambda e: f'Vector128.Create({e})'
        fma=lambda a,b,c: f'Vector128.MultiplyAddEstimate({a}, {b}, {c})'
        mul=lambda a,b: f'{a} * {b}'
        create='Vector128.Create'
    nr = nv*W
    o=[]
    o.append(f'    /// <summary>{mr}×{nr} register block on {V} ({mr*nv} accumulators).</summary>')
    o.append(f'    private readonly struct {name} : IMicroKernel')
    o.append('    {')
    o.append(f'        public static int MR => {mr};')
    o.append(f'        public static int NR => {nr};')
    o.append('')
    o.append('        [MethodImpl(MethodImplOptions.AggressiveOptimization)]')
    o.append('        public static void Run(int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta)')
    o.append('        {')
    accs=[f'c{r}_{v}' for r in range(mr) for v in range(nv)]
    if pf_c:
        o.append('            // Fetch the C tile while the loop runs; it is read (beta != 0) or written at the end. Its last')
        o.append('            // value too: a row of C that is not 64-byte aligned (a managed array) spans one more cache line.')
        for r in range(mr):
            for off in list(range(0, nv*W, 16)) + [nv*W - 1]:
                o.append(f'            Sse.Prefetch0(c + {r} * ldc + {off});')
    o.append(f'            {V} ' + ', '.join(f'{x} = default' for x in accs) + ';')
    o.append(f'            {V} ' + ', '.join(f'b{v}' for v in range(nv)) + ', av;')
    def step(off_a, off_b, indent):
        s=[]
        for v in range(nv):
            s.append(f'{indent}b{v} = {load}(b + {off_b + v*W});')
        for r in range(mr):
            s.append(f'{indent}av = {bcast(f"a + {off_a + r}" if isa=="avx2" else f"a[{off_a + r}]")};')
            for v in range(nv):
                s.append(f'{indent}c{r}_{v} = {fma("av", f"b{v}", f"c{r}_{v}")};')
        return s
    ind='                '
    if unroll > 1:
        o.append(f'            int p = 0;')
        o.append(f'            for (; p <= kc - {unroll}; p += {unroll})')
        o.append('            {')
        for u in range(unroll):
            o += step(u*mr, u*nr, ind)
        if pf_a: o.append(f'{ind}Sse.Prefetch0(a + {pf_a});')
        if pf_b: o.append(f'{ind}Sse.Prefetch0(b + {pf_b});')
        o.append(f'{ind}a += {unroll*mr};')
        o.append(f'{ind}b += {unroll} * ldb;')
        o.append('            }')
        o.append(f'            for (; p < kc; p++)')
    else:
        o.append(f'            for (int p = 0; p < kc; p++)')
    o.append('            {')
    o += step(0, 0, ind)
    o.append(f'{ind}a += {mr};')
    o.append(f'{ind}b += ldb;')
    o.append('            }')
    o.append('')
    o.append(f'            {V} va = {create}(alpha);')
    o.append('            if (beta == 0f)')
    o.append('            {')
    for r in range(mr):
        for v in range(nv):
            o.append(f'                {store}({mul("va", f"c{r}_{v}")}, c + {r} * ldc + {v*W});')
    o.append('            }')
    o.append('            else')
    o.append('            {')
    o.append(f'                {V} vb = {create}(beta);')
    for r in range(mr):
        for v in range(nv):
            addr=f'c + {r} * ldc + {v*W}'
            o.append(f'                {store}({fma("va", f"c{r}_{v}", mul("vb", f"{load}({addr})"))}, {addr});')
    o.append('            }')
    o.append('        }')
    o.append('    }')
    return '\n'.join(o)

hdr='''// <auto-generated> by tools/gen_gemm_microkernels.py from its register-block shapes; edit the shapes there, not this code. </auto-generated>
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetBlocks.Kernels;

public static unsafe partial class Gemm
{
'''
if __name__ == '__main__':
    if len(sys.argv) > 1:
        print(hdr + '\n\n'.join(kernel(*s) for s in eval(sys.argv[1])) + '\n}')
    else:
        out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'NetBlocks', 'Kernels', 'Gemm.MicroKernel.cs')
        with open(out, 'w') as f:
            f.write(hdr + '\n\n'.join(kernel(*s) for s in SPECS) + '\n}\n')
