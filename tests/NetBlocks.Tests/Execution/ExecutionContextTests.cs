using System.Reflection;
using NetBlocks.Functional;
using NetBlocks.Kernels;
using NetBlocks.Nn;
using NetBlocks.Tensors;
using NetBlocks.Training;

namespace NetBlocks.Tests.Execution;

/// <summary>
/// The execution context: what is in force where (the caller's thread, its kernels' workers), that two contexts used at
/// once keep their thread counts, policies, worker threads and profiles apart, that kernels under a context of k threads
/// compute what they computed with k threads before, and that the process-wide knobs are gone.
/// </summary>
public class ExecutionContextTests
{
    private struct RecordContext : IParallelBody
    {
        public ExecutionContext?[] Seen;
        public int[] ThreadIds;

        public readonly void Invoke(int index)
        {
            Seen[index] = ExecutionContext.Current;
            ThreadIds[index] = Environment.CurrentManagedThreadId;
            Thread.SpinWait(2000); // long enough items that a woken worker takes some
        }
    }

    private static RecordContext Record(int count) => new() { Seen = new ExecutionContext?[count], ThreadIds = new int[count] };

    [Fact]
    public void Without_a_context_entered_the_default_is_in_force_and_Enter_nests_and_restores()
    {
        Assert.Same(ExecutionContext.Default, ExecutionContext.Current);
        Assert.Equal(Environment.ProcessorCount, ExecutionContext.Default.Threads);
        Assert.Same(KernelPolicy.Default, ExecutionContext.Default.Policy);
        Assert.Equal(Device.Cpu, ExecutionContext.Default.Device);
        using var outer = new ExecutionContext(3);
        using var inner = new ExecutionContext(1);
        using (outer.Enter())
        {
            Assert.Same(outer, ExecutionContext.Current);
            using (inner.Enter()) Assert.Same(inner, ExecutionContext.Current);
            Assert.Same(outer, ExecutionContext.Current);
        }
        Assert.Same(ExecutionContext.Default, ExecutionContext.Current);
        Assert.Equal(Environment.ProcessorCount, new ExecutionContext(0).Threads); // 0: one per core
    }

    [Fact]
    public void Worker_threads_run_the_loop_bodies_under_the_callers_context()
    {
        using var context = new ExecutionContext(3);
        using (context.Enter())
        {
            for (int rep = 0; rep < 20; rep++)
            {
                var body = Record(12);
                Threading.For(12, ref body);
                Assert.All(body.Seen, seen => Assert.Same(context, seen));
            }
        }
        Assert.Equal(2, context.Workers.WorkerCount); // threads − 1 workers beside the caller, started on demand
    }

    [Fact]
    public void A_context_of_one_thread_runs_its_loops_on_the_calling_thread_and_starts_no_worker()
    {
        using var context = new ExecutionContext(1);
        using (context.Enter())
        {
            var body = Record(16);
            Threading.For(16, ref body);
            Assert.All(body.ThreadIds, id => Assert.Equal(Environment.CurrentManagedThreadId, id));
        }
        Assert.Equal(0, context.Workers.WorkerCount);
    }

    [Fact]
    public void Two_contexts_used_at_once_from_two_threads_keep_their_threads_policies_and_profiles()
    {
        using var one = new ExecutionContext(1, new KernelPolicy { DirectConvolution = false, BlockColumns = 64 });
        using var two = new ExecutionContext(2, new KernelPolicy { DirectConvolution = true, WeightGradientUnitsPerThread = 7 });
        one.Profiler.Enabled = true;
        two.Profiler.Enabled = true;
        using var bothRunning = new Barrier(2);
        const int Rounds = 30;

        void Use(ExecutionContext context, bool? direct, Func<Tensor, Tensor> op, List<string> failures)
        {
            var x = Tensor.Normal([4, 64], generator: new RandomGenerator(5));
            using (context.Enter())
            {
                for (int round = 0; round < Rounds; round++)
                {
                    bothRunning.SignalAndWait();
                    var body = Record(8);
                    Threading.For(8, ref body);
                    if (body.Seen.Any(seen => !ReferenceEquals(seen, context))) failures.Add($"round {round}: a loop body saw another context");
                    if (ExecutionContext.Current.Threads != context.Threads) failures.Add($"round {round}: {ExecutionContext.Current.Threads} threads");
                    if (Convolution.ForceDirect != direct) failures.Add($"round {round}: direct convolution {Convolution.ForceDirect}");
                    op(x).Release();
                }
            }
        }

        var failuresOne = new List<string>();
        var failuresTwo = new List<string>();
        var a = new Thread(() => Use(one, false, F.Relu, failuresOne));
        var b = new Thread(() => Use(two, true, F.Sigmoid, failuresTwo));
        a.Start(); b.Start();
        a.Join(); b.Join();

        Assert.Empty(failuresOne);
        Assert.Empty(failuresTwo);
        Assert.Equal(1, one.Threads);
        Assert.Equal(2, two.Threads);
        Assert.Equal(64, one.Policy.BlockColumns);
        Assert.Equal(7, two.Policy.WeightGradientUnitsPerThread);
        Assert.Equal(0, one.Workers.WorkerCount);
        Assert.Equal(1, two.Workers.WorkerCount);
        Assert.Equal([("Relu", (long)Rounds)], one.Profiler.Snapshot().Select(t => (t.Op, t.Calls)));
        Assert.Equal([("Sigmoid", (long)Rounds)], two.Profiler.Snapshot().Select(t => (t.Op, t.Calls)));
        Assert.False(ExecutionContext.Default.Profiler.Enabled);
    }

    [Fact]
    public void A_context_that_does_not_profile_records_nothing()
    {
        using var context = new ExecutionContext(1);
        using (context.Enter())
        {
            Assert.False(OpProfiler.Enabled);
            F.Relu(Tensor.Full([8], -1f)).Release();
        }
        Assert.Empty(context.Profiler.Snapshot());
        context.Profiler.Enabled = true;
        using (context.Enter())
        {
            Assert.True(OpProfiler.Enabled);
            F.Relu(Tensor.Full([8], -1f)).Release();
        }
        Assert.Equal(1, context.Profiler.Snapshot().Single(t => t.Op == "Relu").Calls);
        context.Profiler.Reset();
        Assert.Empty(context.Profiler.Snapshot());
    }

    /// <summary>The kernels' own thread count is the context's: the same bits as the explicit count (today's k threads).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Kernels_under_a_context_of_k_threads_compute_what_k_threads_computed(int threads)
    {
        var rng = new RandomGenerator(11);
        float[] Rand(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = rng.NextFloat() - 0.5f; return a; }

        // im2col convolution (the direct kernels off), whose weight gradient splits its batch over the threads
        var g = new ConvGeometry(N: 8, C: 4, H: 10, W: 10, OC: 8, KH: 3, KW: 3, Stride: 1, Padding: 1, Groups: 1);
        float[] x = Rand(g.N * g.C * g.H * g.W), w = Rand(g.OC * g.PatchSize), bias = Rand(g.OC), dy = Rand(g.N * g.OC * g.OutPlane);
        var policy = new KernelPolicy { DirectConvolution = false, DirectWeightGradient = false };
        var (y, dx, dw, db) = (new float[dy.Length], new float[x.Length], new float[w.Length], new float[g.OC]);
        var (yk, dxk, dwk, dbk) = (new float[dy.Length], new float[x.Length], new float[w.Length], new float[g.OC]);
        // GEMM above the single-thread cut-off, and batch-norm statistics
        int m = 160, n = 160, k = 160;
        float[] ga = Rand(m * k), gb = Rand(k * n), gc = new float[m * n], gck = new float[m * n];
        float[] bn = Rand(8 * 6 * 50);
        double[] mean = new double[6], variance = new double[6], meank = new double[6], variancek = new double[6];

        int gemmThreads;
        using (var context = new ExecutionContext(threads, policy))
        using (context.Enter())
        {
            gemmThreads = Gemm.ThreadsFor(m, n, k);
            Convolution.Forward(x, 0, w, 0, bias, 0, y, 0, g);
            Convolution.BackwardData(dy, 0, w, 0, dx, 0, g);
            Convolution.BackwardWeight(dy, 0, x, 0, dw, 0, db, 0, g);
            Gemm.Sgemm(false, false, m, n, k, 1f, ga, k, gb, n, 0f, gc, n);
            BatchNorm.Statistics(bn, 8, 6, 50, mean, variance);
        }
        using (var explicitThreads = new ExecutionContext(4, policy))
        using (explicitThreads.Enter())
        {
            Convolution.Forward(x, 0, w, 0, bias, 0, yk, 0, g, threads);
            Convolution.BackwardData(dy, 0, w, 0, dxk, 0, g, threads);
            Convolution.BackwardWeight(dy, 0, x, 0, dwk, 0, dbk, 0, g, threads);
            Gemm.Sgemm(GemmPath.Auto, threads, false, false, m, n, k, 1f, ga, k, gb, n, 0f, gck, n);
            BatchNorm.Statistics(bn, 8, 6, 50, meank, variancek, threads);
        }
        Assert.Equal(yk, y);
        Assert.Equal(dxk, dx);
        Assert.Equal(dwk, dw);
        Assert.Equal(dbk, db);
        Assert.Equal(gck, gc);
        Assert.Equal(meank, mean);
        Assert.Equal(variancek, variance);
        Assert.Equal(threads, gemmThreads);
    }

    [Fact]
    public void A_tensors_buffer_goes_back_to_the_pool_it_came_from()
    {
        using var a = new ExecutionContext(1);
        using var b = new ExecutionContext(1);
        Tensor t;
        using (a.Enter()) t = Tensor.Zeros(TensorPool.SegmentedLength * 2);
        long aRetained = a.Pool.RetainedBytes, bRetained = b.Pool.RetainedBytes;
        Assert.Equal(0, b.Pool.AllocatedBytes);
        using (b.Enter()) t.Release();
        Assert.Equal(aRetained + 4L * TensorPool.SegmentedLength * 2, a.Pool.RetainedBytes);
        Assert.Equal(bRetained, b.Pool.RetainedBytes);
    }

    [Fact]
    public void Bad_contexts_and_misuse_fail_with_clear_errors()
    {
        Assert.Contains("at least 1", Assert.Throws<ArgumentOutOfRangeException>(() => new ExecutionContext(-1)).Message);
        Assert.Contains("device meta", Assert.Throws<ArgumentException>(() => new ExecutionContext(1, device: Device.Meta)).Message);
        Assert.Contains("BlockColumns must be at least 1", Assert.Throws<ArgumentOutOfRangeException>(() => new KernelPolicy { BlockColumns = 0 }).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new KernelPolicy { GemmBlocking = new Gemm.Blocking(0, 16) });
        Assert.Contains("lives as long as the process", Assert.Throws<InvalidOperationException>(() => ExecutionContext.Default.Dispose()).Message);

        var disposed = new ExecutionContext(2);
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => disposed.Enter());

        using var first = new ExecutionContext(1);
        using var second = new ExecutionContext(1);
        var outer = first.Enter();
        var inner = second.Enter();
        Assert.Contains("reverse order", Assert.Throws<InvalidOperationException>(() => outer.Dispose()).Message);
        inner.Dispose();
        outer.Dispose();
        Assert.Same(ExecutionContext.Default, ExecutionContext.Current);
    }

    [Fact]
    public void A_disposed_context_stops_its_workers_and_its_loops_still_run_every_item()
    {
        var context = new ExecutionContext(3);
        using (context.Enter())
        {
            var warm = Record(6);
            Threading.For(6, ref warm);
        }
        context.Dispose();
        context.Dispose(); // twice is fine
        var body = Record(6);
        context.Workers.For(6, ref body, 3);
        Assert.All(body.ThreadIds, id => Assert.Equal(Environment.CurrentManagedThreadId, id));
    }

    [Fact]
    public void A_trainer_refuses_a_context_whose_thread_count_is_not_its_settings()
    {
        var model = new Sequential(new Flatten(), Linear.Lazy(3));
        model.Build(1, 1, 4, 4);
        using var context = new ExecutionContext(3);
        var e = Assert.Throws<ArgumentException>(() => new Trainer(model, new TrainingSettings { Model = "mlp:8", Threads = 2 }, context));
        Assert.Contains("runs 3 thread(s) but the settings say --threads 2", e.Message);
    }

    /// <summary>The knobs that used to be process-wide settings have no setter left, public or not.</summary>
    [Fact]
    public void No_static_setting_is_left_in_the_kernels_tensors_or_ops()
    {
        var engine = typeof(ExecutionContext).Assembly;
        string[] namespaces = ["NetBlocks", "NetBlocks.Kernels", "NetBlocks.Tensors", "NetBlocks.Functional"];
        var settable = engine.GetTypes()
            .Where(t => namespaces.Contains(t.Namespace))
            .SelectMany(t => t.GetProperties(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(p => p.SetMethod is not null)
                .Select(p => $"{t.Name}.{p.Name}"))
            .ToList();
        var mutableFields = engine.GetTypes()
            .Where(t => namespaces.Contains(t.Namespace) && !t.Name.Contains("<"))
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(f => !f.IsInitOnly && !f.IsLiteral && !f.IsDefined(typeof(ThreadStaticAttribute)) && !f.Name.Contains('<'))
                .Select(f => $"{t.Name}.{f.Name}"))
            .ToList();
        Assert.Empty(settable);
        Assert.Empty(mutableFields);
        Assert.Null(typeof(Threading).GetProperty("Threads", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic));
    }
}
