using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetBlocks.Kernels;

/// <summary>Which micro-kernel family <see cref="Gemm"/> runs. Tests force each one on any machine that supports it.</summary>
internal enum GemmPath
{
    /// <summary>The best path the machine supports.</summary>
    Auto = 0,
    /// <summary>AVX-512F: 8×32 register block of Vector512 (16×16 when n ≤ 16).</summary>
    Avx512,
    /// <summary>AVX2 + FMA: 6×16 register block of Vector256.</summary>
    Avx2,
    /// <summary>Portable Vector128 (SSE, AdvSimd, ...): 6×8 register block.</summary>
    Vector128,
    /// <summary>Plain scalar code: 4×4 register block.</summary>
    Scalar,
}

/// <summary>
/// Single-precision general matrix multiply, row-major, in the GotoBLAS/BLIS style: op(A) and op(B) are
/// packed into MR-row and NR-column micro-panels (zero padded at the edges) in cache-sized blocks, and a
/// register-blocked SIMD micro-kernel computes MR×NR tiles of C from them; partial tiles go through a small
/// buffer. B is read in place instead when packing it would not pay (few rows of A), and m == 1 or n == 1
/// runs as a matrix-vector product. Work is split in coarse blocks of C over <see cref="Threading"/> (the current
/// <see cref="ExecutionContext"/>'s threads).
/// </summary>
public static unsafe partial class Gemm
{
    /// <summary>The path of the current context's policy (<see cref="KernelPolicy"/>) for calls through the public API; <see cref="GemmPath.Auto"/> means the best supported.</summary>
    internal static GemmPath ForcedPath => ExecutionContext.Current.Policy.GemmPath;

    /// <summary>The fastest path this machine supports.</summary>
    internal static GemmPath BestPath { get; } =
        IsSupported(GemmPath.Avx512) ? GemmPath.Avx512 :
        IsSupported(GemmPath.Avx2) ? GemmPath.Avx2 :
        IsSupported(GemmPath.Vector128) ? GemmPath.Vector128 : GemmPath.Scalar;

    internal static bool IsSupported(GemmPath path) => path switch
    {
        GemmPath.Auto or GemmPath.Scalar => true,
        GemmPath.Avx512 => Avx512F.IsSupported && Avx.IsSupported,
        GemmPath.Avx2 => Fma.IsSupported && Avx2.IsSupported,
        GemmPath.Vector128 => Vector128.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>Below this many flops (2·m·n·k) a call runs on the calling thread only.</summary>
    internal const double ParallelFlopThreshold = 4e6;

    /// <summary>
    /// C[m×n] = alpha · op(A) · op(B) + beta · C.  Row-major. op(A) is m×k: A is m×k (lda ≥ k) or, when transA, A is k×m (lda ≥ m).
    /// op(B) is k×n: B is k×n (ldb ≥ n) or, when transB, B is n×k (ldb ≥ k). C is m×n with ldc ≥ n.
    /// beta == 0 means C is overwritten (never read, so NaN garbage in C must not propagate).
    /// </summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
        => Sgemm(ForcedPath, ThreadsFor(m, n, k), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>Span form of <see cref="Sgemm(bool, bool, int, int, int, float, float*, int, float*, int, float, float*, int)"/>; checks the spans are long enough.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Sgemm(ForcedPath, ThreadsFor(m, n, k), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>The span form on the best supported path with an explicit thread count (the GEMM benchmark).</summary>
    public static void Sgemm(int threads, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Sgemm(GemmPath.Auto, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>The span form with an explicit path and thread count (benchmarks): sizes and span lengths are checked before the kernel runs.</summary>
    internal static void Sgemm(GemmPath path, int threads, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        CheckArgs(transA, transB, m, n, k, lda, ldb, ldc);
        CheckLength(nameof(a), a.Length, transA ? k : m, transA ? m : k, lda);
        CheckLength(nameof(b), b.Length, transB ? n : k, transB ? k : n, ldb);
        CheckLength(nameof(c), c.Length, m, n, ldc);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
            Sgemm(path, threads, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /// <summary>C[m×n] = A[m×k] · B[k×n], all dense row-major.</summary>
    public static void Sgemm(int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c)
        => Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);

    /// <summary>Threads worth using for a problem: small ones run on the calling thread only, others on the current context's.</summary>
    internal static int ThreadsFor(int m, int n, int k)
        => 2.0 * m * n * k < ParallelFlopThreshold ? 1 : ExecutionContext.Current.Threads;

    /// <summary>
    /// The entry point with an explicit path and thread count, used as given (no small-problem cut-off), so tests and
    /// benchmarks can exercise every path and split. packCap and kChunkMax shrink the packed chunks (tests of the chunk
    /// loops); directB forces reading B in place (true) or packing it (false) instead of the heuristic.
    /// </summary>
    internal static void Sgemm(GemmPath path, int threads, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc,
        int packCap = PackCapFloats, int kChunkMax = KChunkMax, bool? directB = null)
    {
        CheckArgs(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0) return;
        if (c == null) throw new ArgumentNullException(nameof(c));
        if (k == 0 || alpha == 0f)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        if (a == null) throw new ArgumentNullException(nameof(a));
        if (b == null) throw new ArgumentNullException(nameof(b));
        if (path == GemmPath.Auto) path = BestPath;
        if (!IsSupported(path)) throw new PlatformNotSupportedException($"GEMM path {path} is not supported on this machine.");
        if (threads < 1) threads = 1;

        var p = new Problem
        {
            TransA = transA, TransB = transB, M = m, N = n, K = k, Alpha = alpha, Beta = beta,
            A = a, Lda = lda, B = b, Ldb = ldb, C = c, Ldc = ldc, Threads = threads,
            PackCap = Math.Max(1, packCap), KChunkMax = Math.Max(1, kChunkMax), DirectB = directB,
        };
        if (m == 1 || n == 1)
        {
            Gemv(ref p, path);
            return;
        }
        var blocking = ExecutionContext.Current.Policy.GemmBlocking; // null: each path's own
        switch (path)
        {
            case GemmPath.Avx512:
                // 8 rows fit the usual channel and batch counts (multiples of 8); narrow products (a linear
                // layer with few outputs) waste less of a 16-wide block than of a 32-wide one.
                if (n <= 16) Driver<Avx512Kernel16x16>.Run(ref p, blocking ?? Blocking.Avx512);
                else Driver<Avx512Kernel8x32>.Run(ref p, blocking ?? Blocking.Avx512);
                break;
            case GemmPath.Avx2: Driver<Avx2Kernel6x16>.Run(ref p, blocking ?? Blocking.Avx2); break;
            case GemmPath.Vector128: Driver<Vector128Kernel6x8>.Run(ref p, blocking ?? Blocking.Vector128); break;
            default: Driver<ScalarKernel4x4>.Run(ref p, blocking ?? Blocking.Scalar); break;
        }
    }

    private static void CheckArgs(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "must be non-negative");
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "must be non-negative");
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "must be non-negative");
        if (lda < Math.Max(1, transA ? m : k)) throw new ArgumentOutOfRangeException(nameof(lda), lda, "leading dimension of A too small");
        if (ldb < Math.Max(1, transB ? k : n)) throw new ArgumentOutOfRangeException(nameof(ldb), ldb, "leading dimension of B too small");
        if (ldc < Math.Max(1, n)) throw new ArgumentOutOfRangeException(nameof(ldc), ldc, "leading dimension of C too small");
    }

    private static void CheckLength(string name, int length, int rows, int cols, int ld)
    {
        if (rows == 0 || cols == 0) return;
        long needed = Sizes.Multiply(rows - 1, ld, name, "gemm") + cols;
        if (length < needed) throw new ArgumentException($"{name} has {length} elements; needs at least {needed}", name);
    }

    /// <summary>C = beta·C; beta == 0 writes zeros without reading C.</summary>
    private static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (nint)i * ldc, n);
            if (beta == 0f) row.Clear();
            else for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }

    /// <summary>
    /// One micro-kernel: C[MR×NR] = alpha·(Apanel·Bpanel) + beta·C (beta == 0: C not read). The A micro-panel is
    /// packed (MR values per step of k); the B micro-panel holds NR values per step, ldb apart (NR when packed).
    /// </summary>
    internal interface IMicroKernel
    {
        static abstract int MR { get; }
        static abstract int NR { get; }
        static abstract void Run(int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta);
    }

    /// <summary>
    /// Cache blocking. KC: depth of the packed panels (a KC×NR micro-panel of B stays in L1 while the
    /// micro-kernel sweeps the A micro-panels of a block); MC: rows of an A block (MC×KC floats, kept in L2).
    /// A context's <see cref="KernelPolicy"/> may give others (the gemm-quick benchmark's --blk KC,MC).
    /// </summary>
    internal readonly record struct Blocking(int KC, int MC)
    {
        public static readonly Blocking Avx512 = new(KC: 256, MC: 144);
        public static readonly Blocking Avx2 = new(KC: 256, MC: 144);
        public static readonly Blocking Vector128 = new(KC: 256, MC: 96);
        public static readonly Blocking Scalar = new(KC: 128, MC: 64);
    }

    private struct Problem
    {
        public bool TransA, TransB;
        public int M, N, K, Lda, Ldb, Ldc, Threads, PackCap, KChunkMax;
        public bool? DirectB;
        public float Alpha, Beta;
        public float* A, B, C;
    }

    /// <summary>Largest packed chunk of op(B), in floats (4 MiB): it is reread for every block of rows, so it should stay in L3.</summary>
    private const int PackCapFloats = 1 << 20;

    /// <summary>The deepest k range packed at once.</summary>
    private const int KChunkMax = 4096;

    /// <summary>
    /// Loop structure: op(B) is packed in chunks (k-deep first, as few as possible) shared by all threads; then
    /// each work item, a block of C rows × a range of C columns, packs its own MC×KC blocks of op(A) into a
    /// buffer of its thread (so they stay in L2) and sweeps the B micro-panels (each kept in L1 across the
    /// block's A micro-panels) with the micro-kernel.
    /// </summary>
    private static class Driver<TK> where TK : struct, IMicroKernel
    {
        public static void Run(ref Problem p, Blocking blk)
        {
            int NR = TK.NR;
            // Shorten the k range first (down to KC) so that each chunk keeps all columns, then split columns.
            int nPadded = RoundUp(p.N, NR);
            int kChunk = Math.Min(p.K, p.KChunkMax);
            if ((long)kChunk * nPadded > p.PackCap)
                kChunk = Math.Min(kChunk, Math.Max(blk.KC, p.PackCap / nPadded / blk.KC * blk.KC));
            kChunk = Math.Max(1, Math.Min(kChunk, p.KChunkMax));
            int nChunk = Math.Min(p.N, Math.Max(NR, p.PackCap / kChunk / NR * NR));
            for (int k0 = 0; k0 < p.K; k0 += kChunk)
            {
                int kc = Math.Min(kChunk, p.K - k0);
                float beta = k0 == 0 ? p.Beta : 1f;
                for (int j0 = 0; j0 < p.N; j0 += nChunk)
                    RunChunk(ref p, blk, j0, Math.Min(nChunk, p.N - j0), k0, kc, beta);
            }
        }

        /// <summary>C[:, j0:j0+nc] = alpha · op(A)[:, k0:k0+kc] · op(B)[k0:k0+kc, j0:j0+nc] + beta · C[:, j0:j0+nc].</summary>
        private static void RunChunk(ref Problem p, Blocking blk, int j0, int nc, int k0, int kc, float beta)
        {
            int MR = TK.MR, NR = TK.NR;
            int threads = p.Threads;
            int panelsB = CeilDiv(nc, NR);

            // op(B)(q, j) = B[q*sp + j*sr]. When few A micro-panels share each B micro-panel, packing B would
            // cost more than it saves: the micro-kernel then reads B's rows in place (full panels only).
            bool directB = !p.TransB && (p.DirectB ?? DirectB(p.M, p.Ldb, MR));
            float* bPacked = null;
            if (!directB)
            {
                bPacked = PackBuffers.Shared((nint)panelsB * NR * kc);
                var pack = new PackBody
                {
                    KC = blk.KC, Kc = kc, BPacked = bPacked, PanelsB = panelsB, NR = NR, ColsB = nc,
                    BSrc = p.TransB ? p.B + (nint)j0 * p.Ldb + k0 : p.B + (nint)k0 * p.Ldb + j0,
                    BSp = p.TransB ? 1 : p.Ldb, BSr = p.TransB ? p.Ldb : 1,
                    ItemsB = Math.Min(panelsB, threads == 1 ? 1 : 4 * threads),
                };
                Threading.For(pack.ItemsB, ref pack, threads);
            }

            // Row blocks of about MC rows, their count a multiple of the thread count (balance) when there are
            // several; if that leaves fewer than two items per thread, split the columns (each split repacks its
            // A blocks) or shrink the row blocks (each block rereads B), whichever is cheaper.
            int m = p.M;
            int blocks = CeilDiv(m, blk.MC);
            if (threads > 1 && blocks > 1) blocks = RoundUp(blocks, threads);
            int mBlock = Math.Min(RoundUp(CeilDiv(m, blocks), MR), RoundUp(m, MR));
            int mBlocks = CeilDiv(m, mBlock), nSplit = 1;
            while (threads > 1 && mBlocks * nSplit < 2 * threads)
            {
                bool canSplit = nSplit < panelsB, canShrink = mBlock > MR;
                if (canSplit && (!canShrink || nc / nSplit >= mBlock)) nSplit++;
                else if (canShrink)
                {
                    mBlock = RoundUp(CeilDiv(mBlock, 2), MR);
                    mBlocks = CeilDiv(m, mBlock);
                }
                else break;
            }

            var compute = new ComputeBody
            {
                ASrc = p.TransA ? p.A + (nint)k0 * p.Lda : p.A + k0,
                ASp = p.TransA ? p.Lda : 1, ASr = p.TransA ? 1 : p.Lda,
                BPacked = bPacked, BDirect = directB ? p.B + (nint)k0 * p.Ldb + j0 : null, Ldb = p.Ldb,
                C = p.C + j0, Ldc = p.Ldc,
                M = m, Nc = nc, Kc = kc, KC = blk.KC, NPadded = panelsB * NR, PanelsB = panelsB,
                MBlock = mBlock, NSplit = nSplit, Alpha = p.Alpha, Beta = beta,
            };
            Threading.For(mBlocks * nSplit, ref compute, threads);
        }

        private struct ComputeBody : IParallelBody
        {
            public float* ASrc, BPacked, BDirect, C;
            public nint ASp, ASr, Ldb;
            public int Ldc, M, Nc, Kc, KC, NPadded, PanelsB, MBlock, NSplit;
            public float Alpha, Beta;

            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            public readonly void Invoke(int item)
            {
                int MR = TK.MR, NR = TK.NR;
                int block = item / NSplit, split = item % NSplit;
                int rowStart = block * MBlock, rows = Math.Min(MBlock, M - rowStart);
                int colStart = (int)((long)PanelsB * split / NSplit) * NR;
                int colEnd = Math.Min(Nc, (int)((long)PanelsB * (split + 1) / NSplit) * NR);
                int panelsA = CeilDiv(rows, MR);
                int aFloats = RoundUp(panelsA * MR * Math.Min(KC, Kc), 16);
                float* aBlock = PackBuffers.Local(aFloats + (BDirect != null ? Math.Min(KC, Kc) * NR : 0));
                float* bEdge = aBlock + aFloats; // direct B: the partial last panel, packed with zero padding
                float* edge = stackalloc float[MR * NR];
                nint ldc = Ldc;
                float* cBlock = C + rowStart * ldc;
                for (int pc = 0; pc < Kc; pc += KC)
                {
                    int kc = Math.Min(KC, Kc - pc);
                    float beta = pc == 0 ? Beta : 1f;
                    PackPanels(aBlock, ASrc + rowStart * ASr + pc * ASp, ASp, ASr, MR, rows, 0, 0, panelsA, kc, kc);
                    // Packed B: for each KC block, all panels back to back, each kc×NR.
                    float* bBlock = BPacked + (nint)pc * NPadded + (nint)colStart * kc;
                    for (int jr = colStart; jr < colEnd; jr += NR)
                    {
                        int nr = Math.Min(NR, colEnd - jr);
                        float* bPanel;
                        nint ldb = NR;
                        if (BDirect == null) bPanel = bBlock + (nint)(jr - colStart) * kc;
                        else if (nr == NR)
                        {
                            bPanel = BDirect + pc * Ldb + jr;
                            ldb = Ldb;
                        }
                        else
                        {
                            PackPanel(bEdge, NR, BDirect + pc * Ldb + jr, Ldb, 1, kc, nr);
                            bPanel = bEdge;
                        }
                        float* cCol = cBlock + jr;
                        for (int ir = 0; ir < rows; ir += MR)
                        {
                            int mr = Math.Min(MR, rows - ir);
                            float* aPanel = aBlock + (nint)ir * kc;
                            float* cTile = cCol + ir * ldc;
                            if (mr == MR && nr == NR)
                            {
                                TK.Run(kc, aPanel, bPanel, ldb, cTile, ldc, Alpha, beta);
                            }
                            else
                            {
                                TK.Run(kc, aPanel, bPanel, ldb, edge, NR, 1f, 0f);
                                WriteEdge(edge, NR, cTile, ldc, mr, nr, Alpha, beta);
                            }
                        }
                    }
                }
            }
        }

        /// <summary>
        /// Whether the micro-kernel should read op(B) = B in place rather than packed. Packing costs a copy of B
        /// per call, repaid only when many rows of A reuse each packed panel; but rows of B a multiple of 4 KiB
        /// apart fall into the same few cache sets, so then only very short reuse goes without packing.
        /// </summary>
        private static bool DirectB(int m, int ldb, int mr)
        {
            if (m <= 2 * mr) return true;
            bool aliasing = ((long)ldb * sizeof(float)) % 4096 == 0;
            return !aliasing && m <= 512;
        }
    }

    /// <summary>C[mr×nr] = alpha·tile + beta·C for a partial tile (beta == 0: C not read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteEdge(float* tile, int ldt, float* c, nint ldc, int mr, int nr, float alpha, float beta)
    {
        for (int i = 0; i < mr; i++)
        {
            float* t = tile + i * ldt;
            float* ci = c + i * ldc;
            if (beta == 0f)
                for (int j = 0; j < nr; j++) ci[j] = alpha * t[j];
            else
                for (int j = 0; j < nr; j++) ci[j] = alpha * t[j] + beta * ci[j];
        }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    private static int CeilDiv(int x, int d) => (x + d - 1) / d;

    /// <summary>
    /// Packing buffers, 64-byte aligned, per thread, grown on demand and reused across calls: Shared holds the
    /// packed op(B) of a call (read by all its threads), Local the packed A block of the item a thread works on.
    /// </summary>
    private sealed class PackBuffers
    {
        [ThreadStatic] private static PackBuffers? t_buffers;

        private float* _shared, _local;
        private nint _sharedCap, _localCap;

        public static float* Shared(nint floats)
        {
            var b = t_buffers ??= new PackBuffers();
            if (b._sharedCap < floats) Grow(ref b._shared, ref b._sharedCap, floats);
            return b._shared;
        }

        public static float* Local(nint floats)
        {
            var b = t_buffers ??= new PackBuffers();
            if (b._localCap < floats) Grow(ref b._local, ref b._localCap, floats);
            return b._local;
        }

        private static void Grow(ref float* buffer, ref nint capacity, nint floats)
        {
            if (buffer != null) NativeMemory.AlignedFree(buffer);
            buffer = null;
            capacity = 0;
            nint cap = (floats + 0x3FFF) & ~(nint)0x3FFF; // whole 64 KiB
            buffer = (float*)NativeMemory.AlignedAlloc((nuint)cap * sizeof(float), 64);
            capacity = cap;
        }

        ~PackBuffers()
        {
            if (_shared != null) NativeMemory.AlignedFree(_shared);
            if (_local != null) NativeMemory.AlignedFree(_local);
        }
    }
}
