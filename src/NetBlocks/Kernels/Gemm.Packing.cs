using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetBlocks.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Packs a chunk of op(B) into NR-column micro-panels. Layout: for each KC-deep block of k, all panels back to
    /// back; panel q of a block of depth kc holds element (p, j) at [q·kc·NR + p·NR + j], columns past the edge zero.
    /// Each item packs a range of panels.
    /// </summary>
    private struct PackBody : IParallelBody
    {
        public int KC, Kc;
        public float* BPacked, BSrc;
        public nint BSp, BSr;
        public int PanelsB, NR, ColsB, ItemsB;

        public readonly void Invoke(int item)
        {
            int first = (int)((long)PanelsB * item / ItemsB), last = (int)((long)PanelsB * (item + 1) / ItemsB);
            PackPanels(BPacked, BSrc, BSp, BSr, NR, ColsB, (nint)PanelsB * NR, first, last, Kc, KC);
        }
    }

    /// <summary>
    /// Packs panels [first, last) of a chunk of depth kTotal in blocks of depth KC: element (p, r) of the chunk is
    /// src[p·sp + r·sr]; the block starting at depth pc starts at dst + pc·padded, panel q of it at q·R·kc.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackPanels(float* dst, float* src, nint sp, nint sr, int R, int extent, nint padded,
        int first, int last, int kTotal, int KC)
    {
        if (sr == 1 && sp != 1)
        {
            // The panels' values lie along the source lines. Walk the lines in strips of a few panels (2 KiB of
            // each line, at most 16 panels): reads stay sequential (per-panel reads of short runs at a large stride
            // would thrash one L1 set and the TLB; 2 KiB runs cost less than the 512-byte ones of before on Zen 5),
            // and panels a power-of-two apart are not written in many interleaved streams.
            int strip = Math.Clamp(512 / R, 1, 16);
            int fullEnd = Math.Min(last, extent / R);
            for (int pc = 0; pc < kTotal; pc += KC)
            {
                int kc = Math.Min(KC, kTotal - pc);
                float* blockDst = dst + pc * padded;
                float* blockSrc = src + pc * sp;
                for (int q0 = first; q0 < last; q0 += strip)
                {
                    int q1 = Math.Min(last, q0 + strip), qFull = Math.Min(q1, Math.Max(q0, fullEnd));
                    // Eight lines at a time, so that each panel gets 8·R consecutive values (whole cache lines).
                    for (int p0 = 0; p0 < kc; p0 += 8)
                    {
                        int p1 = Math.Min(kc, p0 + 8);
                        for (int q = q0; q < q1; q++)
                        {
                            float* d = blockDst + (nint)q * R * kc + p0 * R;
                            float* line = blockSrc + p0 * sp + q * R;
                            if (q < qFull)
                                for (int p = p0; p < p1; p++, d += R, line += sp) CopyLine(d, line, R);
                            else
                                for (int p = p0; p < p1; p++, d += R, line += sp) CopyLinePadded(d, line, extent - q * R, R);
                        }
                    }
                }
            }
            return;
        }
        for (int q = first; q < last; q++)
        {
            int r0 = q * R;
            int rows = Math.Min(R, extent - r0);
            for (int pc = 0; pc < kTotal; pc += KC)
            {
                int kc = Math.Min(KC, kTotal - pc);
                PackPanel(dst + pc * padded + (nint)r0 * kc, R, src + r0 * sr + pc * sp, sp, sr, kc, rows);
            }
        }
    }

    /// <summary>d[0..R) = s[0..R).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyLine(float* d, float* s, int R)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= R; i += 8) Vector256.Store(Vector256.Load(s + i), d + i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= R; i += 4) Vector128.Store(Vector128.Load(s + i), d + i);
        for (; i < R; i++) d[i] = s[i];
    }

    /// <summary>d[0..rows) = s[0..rows), d[rows..R) = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyLinePadded(float* d, float* s, int rows, int R)
    {
        int i = 0;
        for (; i < rows; i++) d[i] = s[i];
        for (; i < R; i++) d[i] = 0f;
    }

    /// <summary>dst[p·R + r] = src[p·sp + r·sr] for p &lt; kc, r &lt; rows; zero for rows ≤ r &lt; R.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackPanel(float* dst, int R, float* src, nint sp, nint sr, int kc, int rows)
    {
        if (sr == 1) PackRowsContiguous(dst, R, src, sp, kc, rows);
        else if (sp == 1) PackColumnsContiguous(dst, R, src, sr, kc, rows);
        else
        {
            for (int p = 0; p < kc; p++)
            {
                float* d = dst + p * R;
                for (int r = 0; r < rows; r++) d[r] = src[p * sp + r * sr];
                for (int r = rows; r < R; r++) d[r] = 0f;
            }
        }
    }

    /// <summary>Each of the kc source lines holds the panel's R values contiguously: a copy per line.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRowsContiguous(float* dst, int R, float* src, nint sp, int kc, int rows)
    {
        if (rows == R)
        {
            if (Vector256.IsHardwareAccelerated && R % 8 == 0)
            {
                for (int p = 0; p < kc; p++, src += sp, dst += R)
                    for (int r = 0; r < R; r += 8)
                        Vector256.Store(Vector256.Load(src + r), dst + r);
                return;
            }
            if (Vector128.IsHardwareAccelerated && R % 4 == 0)
            {
                for (int p = 0; p < kc; p++, src += sp, dst += R)
                    for (int r = 0; r < R; r += 4)
                        Vector128.Store(Vector128.Load(src + r), dst + r);
                return;
            }
        }
        for (int p = 0; p < kc; p++, src += sp, dst += R)
        {
            int r = 0;
            if (Vector128.IsHardwareAccelerated)
                for (; r + 4 <= rows; r += 4)
                    Vector128.Store(Vector128.Load(src + r), dst + r);
            for (; r < rows; r++) dst[r] = src[r];
            for (; r < R; r++) dst[r] = 0f;
        }
    }

    /// <summary>
    /// Each of the panel's rows lies contiguously along p: a transpose. With AVX, 8 columns at a time in one pass
    /// over all rows (8×8 and 4×8 register transposes, the last 1-3 rows scalar), so that the destination is
    /// written sequentially and each source row is read sequentially.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackColumnsContiguous(float* dst, int R, float* src, nint sr, int kc, int rows)
    {
        int p = 0;
        if (Avx.IsSupported)
        {
            // Blocks of 16 columns: each source row contributes one whole cache line per block, used at once
            // (rows a power-of-two stride apart share an L1 set, so a line kept for a later block is often gone).
            for (; p + 8 <= kc; p += 16)
            {
                int width = Math.Min(16, kc - p) & ~7; // 16, or 8 at the end
                float* d = dst + (nint)p * R;
                float* s = src + p;
                int r = 0;
                for (; r + 8 <= rows; r += 8)
                {
                    Transpose8x8(s + r * sr, sr, d + r, R);
                    if (width == 16) Transpose8x8(s + r * sr + 8, sr, d + 8 * R + r, R);
                }
                if (r + 4 <= rows)
                {
                    Transpose4x8(s + r * sr, sr, d + r, R);
                    if (width == 16) Transpose4x8(s + r * sr + 8, sr, d + 8 * R + r, R);
                    r += 4;
                }
                if (r + 2 <= rows)
                {
                    Transpose2x8(s + r * sr, sr, d + r, R);
                    if (width == 16) Transpose2x8(s + r * sr + 8, sr, d + 8 * R + r, R);
                    r += 2;
                }
                if (r < rows)
                {
                    float* line = s + r * sr;
                    for (int j = 0; j < width; j++) d[j * R + r] = line[j];
                }
                if (rows < R)
                    for (int j = 0; j < width; j++)
                        new Span<float>(d + j * R + rows, R - rows).Clear();
                if (width == 8) p -= 8;
            }
        }
        for (; p < kc; p++)
        {
            float* d = dst + (nint)p * R;
            for (int r = 0; r < rows; r++) d[r] = src[r * sr + p];
            for (int r = rows; r < R; r++) d[r] = 0f;
        }
    }

    /// <summary>d[j·ldd + i] = s[i·lds + j] for a 2×8 block (2 source rows, 8 columns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose2x8(float* s, nint lds, float* d, nint ldd)
    {
        Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + lds);
        // Pairs (r0[j], r1[j]) as 64-bit lanes: lo holds columns 0, 1, 4, 5 and hi columns 2, 3, 6, 7.
        Vector256<double> lo = Avx.UnpackLow(r0, r1).AsDouble(), hi = Avx.UnpackHigh(r0, r1).AsDouble();
        *(double*)d = lo.GetElement(0);
        *(double*)(d + ldd) = lo.GetElement(1);
        *(double*)(d + 2 * ldd) = hi.GetElement(0);
        *(double*)(d + 3 * ldd) = hi.GetElement(1);
        *(double*)(d + 4 * ldd) = lo.GetElement(2);
        *(double*)(d + 5 * ldd) = lo.GetElement(3);
        *(double*)(d + 6 * ldd) = hi.GetElement(2);
        *(double*)(d + 7 * ldd) = hi.GetElement(3);
    }

    /// <summary>d[j·ldd + i] = s[i·lds + j] for a 4×8 block (4 source rows, 8 columns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x8(float* s, nint lds, float* d, nint ldd)
    {
        Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + lds),
            r2 = Avx.LoadVector256(s + 2 * lds), r3 = Avx.LoadVector256(s + 3 * lds);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1),
            t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        // u_j holds column j in its low half and column j + 4 in its high half.
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE),
            u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector128.Store(u0.GetLower(), d);
        Vector128.Store(u1.GetLower(), d + ldd);
        Vector128.Store(u2.GetLower(), d + 2 * ldd);
        Vector128.Store(u3.GetLower(), d + 3 * ldd);
        Vector128.Store(u0.GetUpper(), d + 4 * ldd);
        Vector128.Store(u1.GetUpper(), d + 5 * ldd);
        Vector128.Store(u2.GetUpper(), d + 6 * ldd);
        Vector128.Store(u3.GetUpper(), d + 7 * ldd);
    }

    /// <summary>d[j·ldd + i] = s[i·lds + j] for an 8×8 block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* s, nint lds, float* d, nint ldd)
    {
        Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + lds),
            r2 = Avx.LoadVector256(s + 2 * lds), r3 = Avx.LoadVector256(s + 3 * lds),
            r4 = Avx.LoadVector256(s + 4 * lds), r5 = Avx.LoadVector256(s + 5 * lds),
            r6 = Avx.LoadVector256(s + 6 * lds), r7 = Avx.LoadVector256(s + 7 * lds);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1),
            t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3),
            t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5),
            t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE),
            u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE),
            u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE),
            u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }
}
