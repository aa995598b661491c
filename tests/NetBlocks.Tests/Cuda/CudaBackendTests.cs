using NetBlocks.Functional;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// Tensors on a CUDA device through the engine: <see cref="NetBlocks.Cuda.CudaBackend"/> registered for cuda:9 over
/// ILGPU's CPU accelerator. Moving tensors, releasing device memory, the errors for mixed devices, and F ops (every op of
/// the seam has a kernel) with their gradients against the same graph on the CPU within 1e-4.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaBackendTests(CudaFixture fixture)
{
    private readonly Device _device = fixture.Backend.Device;

    private Tensor OnDevice(Tensor t) => t.To(_device);

    [Fact]
    public void Cross_entropy_checks_labels_on_the_host_whether_they_come_as_an_array_or_on_the_device()
    {
        var logits = OnDevice(Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2));
        const string expected = "cross_entropy: label 2 at index 1 is out of range: the logits have 2 classes, labels must be in [0, 1]";
        Assert.Equal(expected, Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, new[] { 1, 2 })).Message);
        Assert.Equal(expected, Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, OnDevice(Tensor.FromArray(new[] { 1, 2 }, 2)))).Message);
        Assert.Equal(expected, Assert.Throws<ArgumentException>(() => F.CrossEntropy(Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2), new[] { 1, 2 })).Message);
        var cpu = F.CrossEntropy(Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2), new[] { 1, 0 }).Item();
        Assert.Equal(cpu, F.CrossEntropy(logits, new[] { 1, 0 }).Item(), 1e-6);
    }

    [Fact]
    public void Tensors_upload_download_and_refuse_spans_on_the_device()
    {
        var cpu = Tensor.FromArray([1f, -2f, 3f, 4f, 5f, -6f], 2, 3);
        var d = OnDevice(cpu);
        Assert.Equal(_device, d.Device);
        Assert.Same(fixture.Backend, d.Backend);
        Assert.Equal(cpu.ToArray(), d.ToArray());
        var back = d.To(Device.Cpu);
        Assert.Equal(Device.Cpu, back.Device);
        Assert.Equal(cpu.ToArray(), back.ToArray());
        Assert.Equal(-6f, OnDevice(Tensor.FromArray([-6f], 1)).Item());
        var labels = OnDevice(Tensor.FromArray([3, 0, 7], 3));
        Assert.Equal(DType.Int32, labels.DType);
        Assert.Equal([3, 0, 7], labels.ToInt32Array());
        Assert.Equal([3, 0, 7], labels.Clone().ToInt32Array());
        d.CopyFrom([6f, 5f, 4f, 3f, 2f, 1f]);
        Assert.Equal([6f, 5f, 4f, 3f, 2f, 1f], d.ToArray());
        var e = Assert.Throws<InvalidOperationException>(() => d.WriteRow(0, 0, static (_, _) => { }));
        Assert.Equal("this tensor (shape (2, 3)) lives on cuda:9: a span of its elements exists on the cpu only " +
                     "(copy it with To(Device.Cpu), or read it with ToArray())", e.Message);
        Assert.Equal("tensor(..., device='cuda:9', shape=(2, 3))", d.ToString());
    }

    [Fact]
    public void Releasing_a_device_tensor_gives_its_buffer_back_to_the_pool_at_once()
    {
        var pool = fixture.Context.Memory;
        long before = pool.InUseBytes;
        var t = Tensor.Empty(_device, 1000);
        var view = t.Detach(); // shares the buffer
        Assert.Equal(before + DeviceMemoryPoolSize(1000 * sizeof(float)), pool.InUseBytes);
        t.Release();
        Assert.Equal(before + DeviceMemoryPoolSize(1000 * sizeof(float)), pool.InUseBytes);
        view.Release();
        Assert.Equal(before, pool.InUseBytes);
    }

    private static long DeviceMemoryPoolSize(long bytes) => NetBlocks.Cuda.DeviceMemoryPool.SizeClass(bytes);

    [Fact]
    public void Mixing_devices_in_one_op_names_the_op_and_both_devices()
    {
        var x = Tensor.Ones(1, 2, 4, 4);
        var w = OnDevice(Tensor.Ones(3, 2, 3, 3));
        var e = Assert.Throws<ArgumentException>(() => F.Conv2d(x, w));
        Assert.Equal("conv2d: expected all tensors on the same device, found cpu and cuda:9 (move them with To(device) first)", e.Message);
        var a = Assert.Throws<ArgumentException>(() => F.Add(OnDevice(Tensor.Ones(2)), Tensor.Ones(2)));
        Assert.Equal("add: expected all tensors on the same device, found cuda:9 and cpu (move them with To(device) first)", a.Message);
        var ce = Assert.Throws<ArgumentException>(() => F.CrossEntropy(OnDevice(Tensor.Ones(2, 3)), Tensor.FromArray([0, 1], 2)));
        Assert.StartsWith("cross_entropy: expected all tensors on the same device, found cuda:9 and cpu", ce.Message);
    }

    /// <summary>
    /// The ops that once had no kernel, through F and autograd: broadcast sums, differences, products and quotients
    /// (a channel vector, a scalar, leading dimensions) with their reduced gradients, sigmoid, a transposed matrix in a
    /// product, the maximum along a middle dimension with its gradient, the maximum of everything and argmax along the
    /// first dimension; forward values and every leaf's gradient on both devices.
    /// </summary>
    [Fact]
    public void Broadcasting_sigmoid_transpose_and_maxima_with_their_gradients_on_the_device_match_the_cpu()
    {
        var cpu = RunBroadcasting(Device.Cpu);
        var dev = RunBroadcasting(_device);
        Assert.Equal(cpu.Count, dev.Count);
        foreach (var (name, values) in cpu) CudaAssert.Close(values, dev[name], name);
        Assert.Equal(cpu["argmax dim 0"], dev["argmax dim 0"]);
        Assert.Equal(cpu["max value"], dev["max value"]);
    }

    private static Dictionary<string, float[]> RunBroadcasting(Device device)
    {
        Tensor Leaf(float[] values, params int[] shape)
        {
            var t = Tensor.FromArray(values, shape).To(device);
            t.RequiresGrad = true;
            return t;
        }
        var x = Leaf(CudaAssert.Random(2 * 3 * 5 * 3, 21), 2, 3, 5, 3);
        var channel = Leaf(CudaAssert.Random(3, 22).Select(v => 1.5f + v).ToArray(), 1, 3, 1, 1);
        var scalar = Leaf([0.75f]);
        var row = Leaf(CudaAssert.Random(3, 23), 3);
        var matrix = Leaf(CudaAssert.Random(4 * 3, 24), 4, 3);

        var scaled = F.Div(F.Mul(x, channel), scalar);                  // (2, 3, 5, 3)
        var shifted = F.Sub(F.Add(scaled, row), F.Sigmoid(scaled));     // (2, 3, 5, 3)
        var maxima = F.Max(shifted, 2);                                  // (2, 3, 3): along a middle dimension
        var flat = F.Transpose(F.Reshape(maxima, 6, 3));                  // (3, 6)
        var product = F.MatMul(matrix, flat);                            // (4, 6)
        var loss = F.Sum(F.Sigmoid(product));
        var results = new Dictionary<string, float[]>
        {
            ["shifted"] = shifted.ToArray(),
            ["maxima"] = maxima.ToArray(),
            ["product"] = product.ToArray(),
            ["argmax dim 0"] = F.ArgMax(shifted, 0).ToInt32Array().Select(i => (float)i).ToArray(),
            ["max value"] = [F.MaxValue(shifted)],
        };
        loss.Backward();
        results["loss"] = [loss.Item()];
        foreach (var (name, t) in new[] { ("x", x), ("channel", channel), ("scalar", scalar), ("row", row), ("matrix", matrix) })
            results["grad " + name] = t.Grad!.ToArray();
        return results;
    }

    [Fact]
    public void A_label_out_of_range_is_refused_on_the_device_as_on_the_cpu()
    {
        var e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(OnDevice(Tensor.Ones(2, 3)), [1, 3]));
        Assert.Equal("cross_entropy: label 3 at index 1 is out of range: the logits have 3 classes, labels must be in [0, 2]", e.Message);
    }

    /// <summary>
    /// One graph through every op the backend has a kernel for — grouped strided convolution with bias, fused batch
    /// norm + ReLU in training (running statistics updated), ReLU, products, sums, differences, affine, max, average and
    /// adaptive pooling, flatten, linear, log-softmax, cross-entropy, argmax — forward and backward on both devices.
    /// </summary>
    [Fact]
    public void F_ops_and_their_gradients_on_the_device_match_the_cpu()
    {
        var cpu = Run(Device.Cpu);
        var dev = Run(_device);
        Assert.Equal(cpu.Count, dev.Count);
        foreach (var (name, values) in cpu) CudaAssert.Close(values, dev[name], name);
        Assert.Equal(cpu["argmax"], dev["argmax"]);
    }

    private static Dictionary<string, float[]> Run(Device device)
    {
        Tensor Leaf(float[] values, params int[] shape)
        {
            var t = Tensor.FromArray(values, shape).To(device);
            t.RequiresGrad = true;
            return t;
        }
        const int n = 3, c = 4, h = 9, w = 7, oc = 6, classes = 5;
        var x = Leaf(CudaAssert.Random(n * c * h * w, 11), n, c, h, w);
        var weight = Leaf(CudaAssert.Random(oc * 2 * 3 * 3, 12, 0.5f), oc, 2, 3, 3);
        var bias = Leaf(CudaAssert.Random(oc, 13, 0.1f), oc);
        var gamma = Leaf(CudaAssert.Random(oc, 14, 0.2f).Select(v => 1 + v).ToArray(), oc);
        var beta = Leaf(CudaAssert.Random(oc, 15, 0.1f), oc);
        var linearWeight = Leaf(CudaAssert.Random(classes * oc * 2, 16, 0.3f), classes, oc * 2);
        var linearBias = Leaf(CudaAssert.Random(classes, 17, 0.1f), classes);
        var runningMean = Tensor.Zeros(oc).To(device);
        var runningVar = Tensor.Ones(oc).To(device);

        var conv = F.Conv2d(x, weight, bias, stride: 2, padding: 1, groups: 2);               // (3, 6, 5, 4)
        var normalized = F.BatchNorm2d(conv, runningMean, runningVar, gamma, beta, training: true, relu: true);
        var mixed = F.Sub(F.Add(F.Mul(normalized, F.Relu(conv)), normalized), F.Affine(conv, 0.5f, 0.25f));
        var pooled = F.MaxPool2d(mixed, 2, 1);                                                 // (3, 6, 4, 3)
        var averaged = F.AvgPool2d(pooled, 2, 1, 1);                                           // (3, 6, 5, 4)
        var adaptive = F.AdaptiveAvgPool2d(averaged, 2, 1);                                    // (3, 6, 2, 1)
        var logits = F.Linear(F.Flatten(adaptive), linearWeight, linearBias);                  // (3, 5)
        var logp = F.LogSoftmax(logits);                                                        // its backward runs too:
        var loss = F.CrossEntropy(logp, [4, 0, 2]);                                            // log softmax is idempotent here
        var results = new Dictionary<string, float[]>
        {
            ["logits"] = logits.ToArray(),
            ["logp"] = logp.ToArray(),
            ["argmax"] = F.ArgMax(logits).ToInt32Array().Select(i => (float)i).ToArray(),
        };
        loss.Backward();
        results["loss"] = [loss.Item()];
        foreach (var (name, t) in new[] { ("x", x), ("weight", weight), ("bias", bias), ("gamma", gamma), ("beta", beta), ("linear weight", linearWeight), ("linear bias", linearBias) })
            results["grad " + name] = t.Grad!.ToArray();
        results["running mean"] = runningMean.ToArray();
        results["running var"] = runningVar.ToArray();
        return results;
    }
}
