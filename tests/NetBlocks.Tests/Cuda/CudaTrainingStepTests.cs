using NetBlocks.Cuda;
using NetBlocks.Functional;
using NetBlocks.Kernels;
using NetBlocks.Optim;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// The kernels composed into one whole training step of a small network — conv 3×3 (bias) → batch norm + ReLU (fused,
/// training) → max pool 2×2 → linear (a 1×1 convolution on a 1×1 plane) → cross-entropy, the backward through all of
/// them, and SGD with momentum and weight decay — entirely on the device (one download for the loss), against the same
/// step through the engine's F ops, autograd and <see cref="Sgd"/>: the loss, every updated parameter and the running
/// statistics within 1e-4. What the IBackend adapter will do, minus the adapter.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaTrainingStepTests(CudaFixture fixture)
{
    private readonly CudaContext _gpu = fixture.Context;

    [Fact]
    public void OneTrainingStepOnTheDeviceMatchesTheCpuStep()
    {
        const int n = 4, c = 2, h = 6, w = 6, k = 4, classes = 10, features = k * 3 * 3;
        const float lr = 0.1f, momentum = 0.9f, weightDecay = 5e-4f, bnMomentum = 0.1f, eps = 1e-5f;
        var x = CudaAssert.Random(n * c * h * w, 90);
        int[] labels = [1, 7, 3, 1];
        var w1 = CudaAssert.Random(k * c * 3 * 3, 91, 0.4f);
        var b1 = CudaAssert.Random(k, 92, 0.1f);
        var gamma = CudaAssert.Random(k, 93, 0.2f).Select(v => 1f + v).ToArray();
        var beta = CudaAssert.Random(k, 94, 0.1f);
        var w3 = CudaAssert.Random(classes * features, 95, 0.2f);
        var b3 = CudaAssert.Random(classes, 96, 0.1f);

        // The CPU step: F ops, autograd, Sgd.
        int[][] shapes = [[k, c, 3, 3], [k], [k], [k], [classes, features], [classes]];
        var cpuParameters = new[] { w1, b1, gamma, beta, w3, b3 }.Select((p, i) => Tensor.FromArray((float[])p.Clone(), shapes[i])).ToArray();
        var (tw1, tw3) = (cpuParameters[0], cpuParameters[4]);
        foreach (var p in cpuParameters) p.RequiresGrad = true;
        var runningMean = Tensor.Zeros(k); var runningVar = Tensor.Ones(k);
        var conv = F.Conv2d(Tensor.FromArray((float[])x.Clone(), n, c, h, w), tw1, cpuParameters[1], stride: 1, padding: 1);
        var normalized = F.BatchNorm2d(conv, runningMean, runningVar, cpuParameters[2], cpuParameters[3], training: true, bnMomentum, eps, relu: true);
        var pooled = F.MaxPool2d(normalized, 2);
        var logits = F.Linear(F.Flatten(pooled), tw3, cpuParameters[5]);
        var loss = F.CrossEntropy(logits, labels);
        loss.Backward();
        var cpuGradients = cpuParameters.Select(p => p.Grad!.Span.ToArray()).ToArray();
        new Sgd(cpuParameters, lr, momentum, weightDecay).Step();

        // The same step on the device.
        var convGeometry = new ConvGeometry(n, c, h, w, k, 3, 3, 1, 1, 1);
        var poolGeometry = new PoolGeometry(n * k, h, w, 2, 2, 0);
        var linearGeometry = new ConvGeometry(n, features, 1, 1, classes, 1, 1, 1, 0, 1);
        int s = h * w;
        var parameters = new[] { w1, b1, gamma, beta, w3, b3 }.Select(p => _gpu.Upload(p)).ToArray();
        var gradients = parameters.Select(p => _gpu.Rent<float>(p.Length)).ToArray();
        var momenta = parameters.Select(p => _gpu.Rent<float>(p.Length)).ToArray();
        using var dX = _gpu.Upload(x);
        using var dLabels = _gpu.Upload(labels);
        using var dConv = _gpu.Rent<float>(n * k * s);
        using var batchMean = _gpu.Rent<double>(k);
        using var batchVariance = _gpu.Rent<double>(k);
        using var mean = _gpu.Rent<float>(k);
        using var invstd = _gpu.Rent<float>(k);
        using var dRunningMean = _gpu.Upload(new float[k]);
        using var dRunningVar = _gpu.Upload(Enumerable.Repeat(1f, k).ToArray());
        using var dNormalized = _gpu.Rent<float>(n * k * s);
        using var dPooled = _gpu.Rent<float>(n * features);
        using var argmax = _gpu.Rent<int>(n * features);
        using var dLogits = _gpu.Rent<float>(n * classes);
        using var logp = _gpu.Rent<float>(n * classes);
        using var dLoss = _gpu.Rent<float>(1);
        using var one = _gpu.Upload(new[] { 1f });
        using var gLogits = _gpu.Rent<float>(n * classes);
        using var gPooled = _gpu.Rent<float>(n * features);
        using var gNormalized = _gpu.Rent<float>(n * k * s);
        using var gConv = _gpu.Rent<float>(n * k * s);
        try
        {
            _gpu.Convolution.Forward(dX.View, parameters[0].View, parameters[1].View, dConv.View, convGeometry);
            _gpu.BatchNorm.Statistics(dConv.View, n, k, s, batchMean.View, batchVariance.View);
            _gpu.BatchNorm.Parameters(batchMean.View, batchVariance.View, k, (long)n * s, eps, mean.View, invstd.View,
                dRunningMean.View, dRunningVar.View, bnMomentum);
            _gpu.BatchNorm.Normalize(dConv.View, n, k, s, mean.View, invstd.View, parameters[2].View, parameters[3].View, dNormalized.View, relu: true);
            _gpu.Pooling.MaxForward(dNormalized.View, dPooled.View, argmax.View, poolGeometry);
            _gpu.Convolution.Forward(dPooled.View, parameters[4].View, parameters[5].View, dLogits.View, linearGeometry);
            _gpu.Softmax.CrossEntropy(dLogits.View, dLabels.View, logp.View, dLoss.View, n, classes);

            _gpu.Softmax.CrossEntropyBackward(logp.View, dLabels.View, one.View, gLogits.View, n, classes);
            _gpu.Convolution.BackwardData(gLogits.View, parameters[4].View, gPooled.View, linearGeometry);
            _gpu.Convolution.BackwardWeight(gLogits.View, dPooled.View, gradients[4].View, gradients[5].View, linearGeometry);
            _gpu.Pooling.MaxBackward(gPooled.View, argmax.View, gNormalized.View, poolGeometry);
            _gpu.BatchNorm.Backward(dConv.View, gNormalized.View, dNormalized.View, n, k, s, mean.View, invstd.View, parameters[2].View,
                useBatchStats: true, gConv.View, gradients[2].View, gradients[3].View);
            _gpu.Convolution.BackwardWeight(gConv.View, dX.View, gradients[0].View, gradients[1].View, convGeometry);
            string[] names = ["conv weight", "conv bias", "bn weight", "bn bias", "linear weight", "linear bias"];
            for (int i = 0; i < parameters.Length; i++) CudaAssert.Close(cpuGradients[i], gradients[i].Download(), names[i] + " gradient");
            for (int i = 0; i < parameters.Length; i++)
                _gpu.Sgd.Step(parameters[i].View, gradients[i].View, momenta[i].View, lr, momentum, weightDecay, nesterov: false, firstStep: true);

            CudaAssert.Close([loss.Span[0]], dLoss.Download(), "loss");
            for (int i = 0; i < parameters.Length; i++) CudaAssert.Close(cpuParameters[i].Span, parameters[i].Download(), names[i]);
            CudaAssert.Close(runningMean.Span, dRunningMean.Download(), "running mean");
            CudaAssert.Close(runningVar.Span, dRunningVar.Download(), "running variance");
        }
        finally
        {
            foreach (var buffer in parameters.Concat(gradients).Concat(momenta)) buffer.Dispose();
        }
    }
}
