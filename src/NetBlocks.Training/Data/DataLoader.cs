using System.Runtime.ExceptionServices;
using NetBlocks.Functional;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Data;

/// <summary>
/// One mini-batch: <see cref="Images"/> is (B, 1, H, W) float32 on the device of the <see cref="ExecutionContext"/> it
/// was made under (from the pool on the CPU; resized on the device otherwise), <see cref="Labels"/> its B class
/// indices, <see cref="Indices"/> the dataset index of each sample. <see cref="Index"/> is the batch's position in epoch
/// <see cref="Epoch"/>. The consumer owns <see cref="Images"/> (a trainer gives it back to the pool when done with it;
/// a dropped batch is simply collected).
/// </summary>
public sealed record ImageBatch(Tensor Images, int[] Labels, int[] Indices, int Epoch, int Index)
{
    public int Size => Labels.Length;
}

/// <summary>Options of a <see cref="DataLoader"/>; the defaults are d2l's training loader (batch 128, shuffled).</summary>
public sealed record DataLoaderOptions
{
    public int BatchSize { get; init; } = 128;

    /// <summary>Shuffle every epoch (the order of epoch e is a function of (<see cref="Seed"/>, e) only).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Seeds the shuffle and the augmentation.</summary>
    public ulong Seed { get; init; }

    public ImageTransform Transform { get; init; } = new();

    /// <summary>Use only the first N samples of the dataset (quick runs); null = all.</summary>
    public int? Limit { get; init; }

    /// <summary>Batches made ahead of the consumer by background workers; 0 = make each batch on the consumer's thread when asked.</summary>
    public int Prefetch { get; init; } = 3;

    /// <summary>Background workers when prefetching; 0 = automatic (a quarter of the current <see cref="ExecutionContext"/>'s threads, 1 to 4).</summary>
    public int Workers { get; init; }
}

/// <summary>
/// Turns an <see cref="ImageDataset"/> into mini-batches, as PyTorch's <c>DataLoader(dataset, batch_size, shuffle)</c>
/// with d2l's transforms: the last partial batch is kept; the order and the augmentation of epoch e are functions of
/// (seed, e) only, so a resumed run sees the same batches (<see cref="Epoch(int, int, CancellationToken)"/> can start
/// mid-epoch). With prefetch, background workers fill a bounded window of ready batches; the consumer still receives
/// them in order and bit-identical to the synchronous path, whatever the timing. Under a context whose device is not
/// the CPU (a CUDA run), batches are made on that device, by the prefetch workers when prefetching: the source images
/// are uploaded at their own size and resized there (<see cref="F.ResampleImages"/>), bit for bit the CPU's batches.
/// </summary>
public sealed class DataLoader : IDisposable
{
    private const ulong ShuffleStream = 0x5348_5546_464C_4531; // "SHUFFLE1"
    private const ulong AugmentStream = 0x4155_474D_454E_5431; // "AUGMENT1"

    private readonly ImagePipeline _pipeline;
    private readonly object _gate = new();
    private readonly HashSet<PrefetchEnumerator> _active = [];
    private (int Epoch, int[] Order)? _lastOrder;
    private bool _disposed;

    [ThreadStatic] private static ImagePipeline.Scratch? t_scratch;

    public DataLoader(ImageDataset dataset, DataLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        options ??= new DataLoaderOptions();
        if (options.BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be positive");
        if (options.Limit is < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Limit, "Limit must not be negative");
        if (options.Prefetch < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Prefetch, "Prefetch must not be negative");
        if (options.Workers < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Workers, "Workers must not be negative");
        Dataset = options.Limit is int limit ? dataset.Take(limit) : dataset;
        Options = options;
        _pipeline = options.Transform.Compile(dataset.Height, dataset.Width);
    }

    /// <summary>The samples used (after <see cref="DataLoaderOptions.Limit"/>).</summary>
    public ImageDataset Dataset { get; }

    public DataLoaderOptions Options { get; }

    /// <summary>Number of samples per epoch.</summary>
    public int Count => Dataset.Count;

    /// <summary>Batches per epoch, the last one possibly partial: ceil(Count / BatchSize).</summary>
    public int BatchesPerEpoch => (Count + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>Shape of a full batch: (BatchSize, 1, H, W).</summary>
    public int[] BatchShape => [Options.BatchSize, 1, _pipeline.OutHeight, _pipeline.OutWidth];

    /// <summary>Background workers a prefetching epoch uses.</summary>
    public int WorkerCount => Options.Workers > 0 ? Options.Workers : Math.Clamp(ExecutionContext.Current.Threads / 4, 1, 4);

    /// <summary>The dataset indices of epoch <paramref name="epoch"/> in the order they are served.</summary>
    public int[] Order(int epoch)
    {
        lock (_gate)
            if (_lastOrder is { } last && last.Epoch == epoch) return last.Order;
        int[] order;
        if (Options.Shuffle)
            order = new RandomGenerator(DeriveSeed(Options.Seed, ShuffleStream, epoch)).Permutation(Count);
        else
        {
            order = new int[Count];
            for (int i = 0; i < order.Length; i++) order[i] = i;
        }
        lock (_gate) _lastOrder = (epoch, order);
        return order;
    }

    /// <summary>Batch <paramref name="index"/> of epoch <paramref name="epoch"/>, made on this thread (using the kernel threads).</summary>
    public ImageBatch GetBatch(int epoch, int index) => Build(epoch, index, Order(epoch), parallel: true);

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> from batch <paramref name="startBatch"/> on (a resumed run passes the
    /// position it stopped at). Prefetching starts on the first MoveNext; disposing the enumerator (foreach does)
    /// or cancelling <paramref name="cancellationToken"/> stops and joins the workers.
    /// </summary>
    public IEnumerable<ImageBatch> Epoch(int epoch, int startBatch = 0, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "must not be negative");
        if (startBatch < 0 || startBatch > BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(startBatch), startBatch, $"an epoch has {BatchesPerEpoch} batches");
        return Options.Prefetch == 0
            ? Synchronous(epoch, startBatch, cancellationToken)
            : new PrefetchEpoch(this, epoch, startBatch, cancellationToken);
    }

    private IEnumerable<ImageBatch> Synchronous(int epoch, int startBatch, CancellationToken ct)
    {
        for (int b = startBatch; b < BatchesPerEpoch; b++)
        {
            ct.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(_disposed, this);
            yield return GetBatch(epoch, b);
        }
    }

    /// <summary>Stops every prefetching epoch of this loader and joins its workers.</summary>
    public void Dispose()
    {
        PrefetchEnumerator[] active;
        lock (_gate)
        {
            _disposed = true;
            active = [.. _active];
        }
        foreach (var e in active) e.Dispose();
    }

    /// <summary>
    /// A seed for one stream (shuffle, augmentation) of one epoch (and batch), independent of every other: each part is
    /// folded in through SplitMix64's finaliser.
    /// </summary>
    internal static ulong DeriveSeed(ulong seed, ulong stream, long epoch, long batch = -1)
    {
        ulong h = Mix(seed ^ Mix(stream));
        h = Mix(h ^ Mix((ulong)epoch + 0x9E3779B97F4A7C15UL));
        return Mix(h ^ Mix((ulong)batch + 0x632BE59BD9B4E019UL));
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Makes one batch. <paramref name="parallel"/>: spread the images over the kernel threads (consumer thread only).</summary>
    private ImageBatch Build(int epoch, int index, int[] order, bool parallel)
    {
        if ((uint)index >= (uint)BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"an epoch has {BatchesPerEpoch} batches");
        int first = index * Options.BatchSize;
        int size = Math.Min(Options.BatchSize, Count - first);
        var indices = order.AsSpan(first, size).ToArray();
        var labels = new int[size];
        for (int i = 0; i < size; i++) labels[i] = Dataset.Labels[indices[i]];

        // The random choices are drawn up front, in sample order, so they do not depend on which thread runs which image.
        var augment = new ImagePipeline.Augmentation[size];
        if (_pipeline.Transform.IsRandom)
        {
            var rng = new RandomGenerator(DeriveSeed(Options.Seed, AugmentStream, epoch, index));
            for (int i = 0; i < size; i++) augment[i] = _pipeline.Draw(rng);
        }

        var device = ExecutionContext.Current.Device;
        if (!device.IsCpu && !device.IsMeta) return new ImageBatch(OnDevice(device, indices, augment, parallel), labels, indices, epoch, index);
        var x = Tensor.Empty(size, 1, _pipeline.OutHeight, _pipeline.OutWidth);
        Fill(x, indices, augment, parallel);
        return new ImageBatch(x, labels, indices, epoch, index);
    }

    /// <summary>Transforms each image into its row of <paramref name="x"/> (a CPU tensor), on the kernel threads when <paramref name="parallel"/>.</summary>
    private void Fill(Tensor x, int[] indices, ImagePipeline.Augmentation[] augment, bool parallel)
    {
        var body = new BatchBody(this, indices, augment, x,
                                 chunk: Math.Max(1, (1 << 16) / _pipeline.OutSize));
        int chunks = (indices.Length + body.Chunk - 1) / body.Chunk;
        if (parallel) Threading.For(chunks, ref body);
        else for (int c = 0; c < chunks; c++) body.Invoke(c);
    }

    /// <summary>
    /// A batch made on <paramref name="device"/> (the current context's: a prefetch thread runs under its consumer's).
    /// Pillow's resize runs there: the augmented source images are uploaded at their own size as int32 byte values
    /// (28×28: 3 KiB an image, where a 224×224 float image is 196 KiB) and <see cref="F.ResampleImages"/> resizes,
    /// converts and normalises them on the device, with the CPU path's taps and table, so the batch is the CPU's bit for
    /// bit. The bilinear (PyTorch) mode has no device twin: it is made on the CPU as before and uploaded here.
    /// The staging buffers are released before returning; the consumer owns the device batch.
    /// </summary>
    private Tensor OnDevice(Device device, int[] indices, ImagePipeline.Augmentation[] augment, bool parallel)
    {
        int size = indices.Length;
        if (_pipeline.Resample is not { } resample)
        {
            var host = Tensor.Empty(size, 1, _pipeline.OutHeight, _pipeline.OutWidth);
            try
            {
                Fill(host, indices, augment, parallel);
                return host.To(device);
            }
            finally { host.Release(); }
        }
        int pixels = _pipeline.InHeight * _pipeline.InWidth;
        var values = new int[size * pixels];
        var scratch = t_scratch ??= new ImagePipeline.Scratch();
        for (int i = 0; i < size; i++)
            _pipeline.Pixels(Dataset.Image(indices[i]), values.AsSpan(i * pixels, pixels), scratch, augment[i]);
        var staged = Tensor.FromArray(values, size, 1, _pipeline.InHeight, _pipeline.InWidth);
        Tensor? uploaded = null;
        try
        {
            uploaded = staged.To(device);
            return F.ResampleImages(uploaded, resample);
        }
        finally
        {
            staged.Release();
            uploaded?.Release();
        }
    }

    private readonly struct BatchBody(DataLoader loader, int[] indices, ImagePipeline.Augmentation[] augment,
                                      Tensor output, int chunk) : IParallelBody
    {
        public int Chunk => chunk;

        public void Invoke(int c)
        {
            var scratch = t_scratch ??= new ImagePipeline.Scratch();
            int end = Math.Min(indices.Length, (c + 1) * chunk);
            // each image is written straight into its row of the batch: rows are disjoint, so threads never share one
            for (int i = c * chunk; i < end; i++)
                output.WriteRow(i, (Loader: loader, Index: indices[i], Scratch: scratch, Augment: augment[i]),
                    static (row, s) => s.Loader._pipeline.Apply(s.Loader.Dataset.Image(s.Index), row, s.Scratch, s.Augment));
        }
    }

    private sealed class PrefetchEpoch(DataLoader loader, int epoch, int startBatch, CancellationToken ct) : IEnumerable<ImageBatch>
    {
        public IEnumerator<ImageBatch> GetEnumerator() => new PrefetchEnumerator(loader, epoch, startBatch, ct);
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>
    /// Workers claim batch numbers in order and may run at most <c>Prefetch</c> batches ahead of the consumer; batch b
    /// waits in slot b mod Prefetch until the consumer takes it, so the consumer sees batches in order however the
    /// workers interleave.
    /// </summary>
    internal sealed class PrefetchEnumerator : IEnumerator<ImageBatch>
    {
        private readonly DataLoader _loader;
        private readonly int _epoch, _end, _depth;
        private readonly CancellationToken _ct;
        private readonly object _gate = new();
        private readonly (ImageBatch? Batch, ExceptionDispatchInfo? Error, bool Full)[] _slots;
        private Thread[] _workers = [];
        private CancellationTokenRegistration _registration;
        private int[]? _order;
        private ExecutionContext? _context;
        private int _next;      // the batch the consumer takes next
        private int _claimed;   // the batch the next idle worker makes
        private bool _stopped;
        private ImageBatch? _current;

        public PrefetchEnumerator(DataLoader loader, int epoch, int startBatch, CancellationToken ct)
        {
            _loader = loader;
            _epoch = epoch;
            _end = loader.BatchesPerEpoch;
            _next = _claimed = startBatch;
            _depth = loader.Options.Prefetch;
            _slots = new (ImageBatch?, ExceptionDispatchInfo?, bool)[_depth];
            _ct = ct;
        }

        /// <summary>The worker threads (for tests: none may be alive after Dispose).</summary>
        internal IReadOnlyList<Thread> Workers => _workers;

        public ImageBatch Current => _current ?? throw new InvalidOperationException("MoveNext has not been called");
        object System.Collections.IEnumerator.Current => Current;

        public bool MoveNext()
        {
            _ct.ThrowIfCancellationRequested();
            if (_next >= _end)
            {
                _current = null;
                Dispose();
                return false;
            }
            if (_order is null) Start();
            int slot = _next % _depth;
            (ImageBatch? Batch, ExceptionDispatchInfo? Error, bool Full) item;
            lock (_gate)
            {
                while (!_slots[slot].Full && !_stopped) Monitor.Wait(_gate);
                if (!_slots[slot].Full)
                {
                    _ct.ThrowIfCancellationRequested();
                    throw new ObjectDisposedException(nameof(DataLoader), "the data loader was disposed during the epoch");
                }
                item = _slots[slot];
                _slots[slot] = default;
                _next++;
                Monitor.PulseAll(_gate);
            }
            if (item.Error is not null)
            {
                Dispose();
                item.Error.Throw();
            }
            _current = item.Batch;
            return true;
        }

        private void Start()
        {
            lock (_loader._gate)
            {
                ObjectDisposedException.ThrowIf(_loader._disposed, _loader);
                _loader._active.Add(this);
            }
            _order = _loader.Order(_epoch);
            _registration = _ct.Register(static s => ((PrefetchEnumerator)s!).Stop(), this);
            int n = Math.Min(_loader.WorkerCount, _end - _next);
            // the workers make their batches under the consumer's context (its pool), as the consumer would
            _context = ExecutionContext.Current;
            _workers = new Thread[n];
            for (int i = 0; i < n; i++)
            {
                _workers[i] = new Thread(Work, maxStackSize: 1 << 20) { IsBackground = true, Name = $"NetBlocks data {i + 1}" };
                _workers[i].Start();
            }
        }

        private void Work()
        {
            while (true)
            {
                int b;
                lock (_gate)
                {
                    while (!_stopped && _claimed < _end && _claimed >= _next + _depth) Monitor.Wait(_gate);
                    if (_stopped || _claimed >= _end) return;
                    b = _claimed++;
                }
                ImageBatch? batch = null;
                ExceptionDispatchInfo? error = null;
                try
                {
                    using (_context!.Enter()) // a context disposed meanwhile fails this batch, not the thread
                        batch = _loader.Build(_epoch, b, _order!, parallel: false);
                }
                catch (Exception e)
                {
                    error = ExceptionDispatchInfo.Capture(e);
                }
                lock (_gate)
                {
                    if (_stopped)
                    {
                        batch?.Images.Release();
                        return;
                    }
                    _slots[b % _depth] = (batch, error, true);
                    Monitor.PulseAll(_gate);
                }
            }
        }

        private void Stop()
        {
            lock (_gate)
            {
                _stopped = true;
                Monitor.PulseAll(_gate);
            }
        }

        public void Reset() => throw new NotSupportedException("start a new epoch with DataLoader.Epoch");

        /// <summary>Stops the workers, waits for them, and gives unconsumed batches back to the pool.</summary>
        public void Dispose()
        {
            Stop();
            _registration.Dispose();
            foreach (var t in _workers)
                if (t != Thread.CurrentThread) t.Join();
            lock (_gate)
            {
                for (int i = 0; i < _slots.Length; i++)
                {
                    _slots[i].Batch?.Images.Release();
                    _slots[i] = default;
                }
            }
            lock (_loader._gate) _loader._active.Remove(this);
        }
    }
}
