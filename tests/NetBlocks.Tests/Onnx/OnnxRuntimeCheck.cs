using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NetBlocks.Autograd;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tensors;
using Tensor = NetBlocks.Tensors.Tensor;

namespace NetBlocks.Tests.Onnx;

/// <summary>Runs an exported graph in ONNX Runtime and compares its logits with NetBlocks' own eval forward.</summary>
internal static class OnnxRuntimeCheck
{
    /// <summary>The largest |ORT − NetBlocks| over the logits of a random batch of <paramref name="batch"/> inputs.</summary>
    public static double MaxDifference(byte[] onnx, Module model, int[] inputChw, int batch, ulong seed = 11)
    {
        var x = Tensor.Normal([batch, .. inputChw], generator: new RandomGenerator(seed));
        float[] expected;
        bool training = model.Training;
        model.Eval();
        using (GradMode.NoGrad()) expected = model.Forward(x).ToArray();
        model.Train(training);
        var actual = Run(onnx, x.ToArray(), [batch, .. inputChw], out var shape);
        Assert.Equal(expected.Length, actual.Length);
        Assert.Equal(batch, shape[0]);
        double max = 0;
        for (int i = 0; i < actual.Length; i++) max = Math.Max(max, Math.Abs(actual[i] - expected[i]));
        return max;
    }

    /// <summary>The graph's only output for one float input named "x".</summary>
    public static float[] Run(byte[] onnx, float[] input, int[] shape, out int[] outputShape, string inputName = "x")
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(onnx, options);
        var tensor = new DenseTensor<float>(input, shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        var output = results.Single().AsTensor<float>();
        outputShape = [.. output.Dimensions];
        return [.. output];
    }

    /// <summary>A preset or spec materialised for (1, C, H, W), with batch norms given non-trivial statistics and affine
    /// parameters, so that the comparison exercises every term of BatchNormalization.</summary>
    public static Module Model(string spec, int[] inputChw, ulong seed = 3)
    {
        RandomGenerator.ManualSeed(seed);
        var model = ModelZoo.CreateBuilt(spec, [1, .. inputChw]);
        var g = new RandomGenerator(seed + 1);
        model.Apply(m =>
        {
            if (m is not BatchNorm2d bn) return;
            foreach (var t in new[] { bn.Weight!, bn.Bias!, bn.RunningMean! })
                for (int i = 0; i < t.Numel; i++) t.Span[i] = (float)(0.5 * g.NextNormal()) + (t == bn.Weight ? 1f : 0f);
            for (int i = 0; i < bn.RunningVar!.Numel; i++) bn.RunningVar.Span[i] = (float)(0.5 + g.NextDouble());
        });
        return model.Eval();
    }
}
