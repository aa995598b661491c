// d2l's "Networks Using Blocks (VGG)" in C# with the NetBlocks packages: vgg_block, the network, the layer summary,
// a short training run, ONNX export, then inference of the exported file in ONNX Runtime.
// usage: dotnet run -- [OUT.onnx]     (exits 1 if ONNX Runtime's logits differ from NetBlocks' by more than 1e-4)
using Microsoft.ML.OnnxRuntime;
using NetBlocks.Analysis;
using NetBlocks.Autograd;
using NetBlocks.Functional;
using NetBlocks.Nn;
using NetBlocks.Onnx;
using NetBlocks.Optim;
using NetBlocks.Reporting;
using NetBlocks.Tensors;
using Tensor = NetBlocks.Tensors.Tensor;
using OrtTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;

const int Size = 32, Classes = 10;

// def vgg_block(num_convs, out_channels): (LazyConv2d(out, 3, padding=1), ReLU) × num_convs, MaxPool2d(2, 2).
// With batchNorm, a BatchNorm2d after each convolution (torchvision's vgg*_bn): it lets the short run below learn.
static Sequential VggBlock(int numConvs, int outChannels, bool batchNorm)
{
    var block = new Sequential();
    for (int i = 0; i < numConvs; i++)
    {
        block.Add(Conv2d.Lazy(outChannels, 3, padding: 1));
        if (batchNorm) block.Add(new BatchNorm2d());
        block.Add(new ReLU());
    }
    return block.Add(new MaxPool2d(2, 2));
}

// class VGG: the blocks of arch, then Flatten and the fully connected layers with dropout (here 64 units, not 4096).
static Sequential Vgg((int Convs, int Channels)[] arch, int hidden, int classes, bool batchNorm)
{
    var net = new Sequential();
    foreach (var (convs, channels) in arch) net.Add(VggBlock(convs, channels, batchNorm));
    return net.Add(new Flatten())
        .Add(Linear.Lazy(hidden)).Add(new ReLU()).Add(new Dropout(0.5f))
        .Add(Linear.Lazy(hidden)).Add(new ReLU()).Add(new Dropout(0.5f))
        .Add(Linear.Lazy(classes));
}

RandomGenerator.ManualSeed(0);
var net = Vgg([(1, 16), (1, 32), (2, 64), (2, 128), (2, 128)], hidden: 64, Classes, batchNorm: true); // VGG-11-BN, widths ÷ 4
net.Build(1, 1, Size, Size); // the shape pass materialises the lazy layers
foreach (var p in net.Parameters()) if (p.Rank > 1) Init.XavierUniform(p); // d2l's init_cnn

// d2l's layer_summary, richer: shapes, parameters, MACs per block.
Console.Write(AnalysisReport.Summary(ModelAnalyzer.Analyze(net, [1, 1, Size, Size], "vgg11-bn/4"), depth: 1));

// A short training run on a learnable synthetic set: the class decides which horizontal band is bright.
var rng = new RandomGenerator(1);
(Tensor X, int[] Y) Batch(int n)
{
    var x = new float[n * Size * Size];
    var y = new int[n];
    for (int i = 0; i < n; i++)
    {
        y[i] = rng.NextInt(Classes);
        for (int r = 0; r < Size; r++)
            for (int c = 0; c < Size; c++)
                x[(i * Size + r) * Size + c] = 0.15f + 0.1f * (float)rng.NextNormal() + (r * Classes / Size == y[i] ? 0.6f : 0f);
    }
    return (Tensor.FromArray(x, n, 1, Size, Size), y);
}
var opt = new Sgd(net.Parameters(), lr: 0.05f);
net.Train();
for (int step = 1; step <= 60; step++)
{
    var (x, y) = Batch(32);
    opt.ZeroGrad();
    var loss = F.CrossEntropy(net.Forward(x), y);
    float value = loss.Item();
    loss.Backward();
    opt.Step();
    if (step % 10 == 0) Console.WriteLine($"step {step}: loss {value:F4}");
}

// Export the trained network (eval mode: dropout leaves nothing behind) and check the file.
var path = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "vgg-chapter.onnx");
OnnxExporter.Save(net, [1, Size, Size], path, new OnnxExportOptions { GraphName = "vgg11-bn/4" });
var report = OnnxChecker.Check(path);
Console.WriteLine($"exported {path}: opset {report.Opset}, {report.NodeCount} nodes ({string.Join(", ", report.Operators.Select(o => o.Operator))}), {report.ParameterCount:N0} parameters");

// Inference of that file in ONNX Runtime, next to NetBlocks' own eval forward.
var (test, labels) = Batch(8);
net.Eval();
float[] expected;
using (GradMode.NoGrad()) expected = net.Forward(test).ToArray();
using var session = new InferenceSession(path);
using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", new OrtTensor(test.ToArray(), [8, 1, Size, Size]))]);
var actual = results.Single().AsTensor<float>().ToArray();
double maxDiff = actual.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
int correct = Enumerable.Range(0, 8).Count(i => ArgMax(actual.AsSpan(i * Classes, Classes)) == labels[i]);
Console.WriteLine($"ONNX Runtime: {correct}/8 test images right; largest logit difference from NetBlocks {maxDiff:E2}");
return maxDiff <= 1e-4 ? 0 : 1;

static int ArgMax(ReadOnlySpan<float> v)
{
    int best = 0;
    for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
    return best;
}
