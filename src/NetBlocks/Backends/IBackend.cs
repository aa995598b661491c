using NetBlocks.Kernels;
using NetBlocks.Tensors;
using static NetBlocks.Kernels.Broadcasting;

namespace NetBlocks.Backends;

/// <summary>
/// The operations below <see cref="Functional.F"/>: the one seam between the math and the device. Every op takes
/// tensors (and the geometry records of the kernels), never raw arrays; outputs are allocated by the caller, with the
/// shape the op documents, and overwritten. The backend of a tensor is <see cref="Tensor.Backend"/> (the backend of
/// its <see cref="Tensor.Device"/>, <see cref="Backend.For"/>). Shapes are validated above (F); a backend checks only
/// what it needs to compute safely, and refuses tensors of the wrong dtype naming the op.
/// </summary>
public interface IBackend
{
    /// <summary>The device whose tensors this backend computes on.</summary>
    Device Device { get; }

    // ---------------------------------------------------------------- convolution and GEMM

    /// <summary>y (N, OC, OH, OW) = conv(x, w) + bias, with groups.</summary>
    void Conv2d(Tensor x, Tensor weight, Tensor? bias, Tensor y, ConvGeometry g);

    /// <summary>
    /// The ready form of <paramref name="weight"/> for forwards of layer g (an inference plan makes it once and passes it
    /// to every <see cref="Conv2dForInference"/>), or null when this backend's convolution reads the weights as they are.
    /// </summary>
    PackedWeights? PrepareConv2d(Tensor weight, ConvGeometry g);

    /// <summary>
    /// y = conv(x, w) + bias as <see cref="Conv2d"/>, then with <paramref name="relu"/> y = max(y, 0) (as <see cref="Relu"/>
    /// computes it); <paramref name="prepared"/>, when given, is <see cref="PrepareConv2d"/> of this very weight and may
    /// stand in for it. Inference only: nothing is kept for a backward.
    /// </summary>
    void Conv2dForInference(Tensor x, Tensor weight, Tensor? bias, Tensor y, ConvGeometry g, PackedWeights? prepared, bool relu);

    /// <summary>dx (N, C, H, W) from dy: the transposed convolution with the weight.</summary>
    void Conv2dBackwardData(Tensor dy, Tensor weight, Tensor dx, ConvGeometry g);

    /// <summary>dweight (OC, C/groups, KH, KW) and dbias (OC; may be null) from dy and the input x.</summary>
    void Conv2dBackwardWeight(Tensor dy, Tensor x, Tensor dweight, Tensor? dbias, ConvGeometry g);

    /// <summary>c = op(a) · op(b) for matrices, op = transpose when asked; c is (rows of op(a), columns of op(b)).</summary>
    void MatMul(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c);

    /// <summary>y (rows, n) += row (n) on every row, in place (a linear layer's bias).</summary>
    void AddRowsInPlace(Tensor y, Tensor row);

    /// <summary>y (cols, rows) = xᵀ for a matrix x (rows, cols).</summary>
    void Transpose(Tensor x, Tensor y);

    // ---------------------------------------------------------------- elementwise

    /// <summary>y = max(x, 0); y may be x.</summary>
    void Relu(Tensor x, Tensor y);

    /// <summary>
    /// y = max(a + b, 0) for a and b of one shape (no broadcasting): a residual sum and its ReLU in one pass; y may be a
    /// or b (in place).
    /// </summary>
    void AddRelu(Tensor a, Tensor b, Tensor y);

    /// <summary>dx = dy where y &gt; 0, else 0; dx may be dy.</summary>
    void ReluBackward(Tensor y, Tensor dy, Tensor dx);

    /// <summary>y = 1 / (1 + e^−x).</summary>
    void Sigmoid(Tensor x, Tensor y);

    /// <summary>dx = dy · y · (1 − y).</summary>
    void SigmoidBackward(Tensor y, Tensor dy, Tensor dx);

    /// <summary>y = a · x + b; y may be x (scaling in place).</summary>
    void Affine(Tensor x, float a, float b, Tensor y);

    /// <summary>z = x · y for tensors of the same element count (no broadcasting).</summary>
    void Multiply(Tensor x, Tensor y, Tensor z);

    /// <summary>z = x ∘ y with NumPy broadcasting; z has the broadcast shape.</summary>
    void Binary(BinaryOp op, Tensor x, Tensor y, Tensor z);

    /// <summary>result = g summed over the dimensions that broadcasting added or repeated to reach g's shape.</summary>
    void ReduceTo(Tensor g, Tensor result);

    /// <summary>target += source, in place (gradient accumulation).</summary>
    void AddInPlace(Tensor target, Tensor source);

    // ---------------------------------------------------------------- reductions

    /// <summary>
    /// y = Σ (or the mean) of x over <paramref name="dim"/>, summed in double; a negative dim sums everything into the
    /// one element of y.
    /// </summary>
    void Sum(Tensor x, int dim, bool mean, Tensor y);

    /// <summary>dx = dy broadcast back over <paramref name="dim"/> (÷ the count for the mean); negative: over everything.</summary>
    void SumBackward(Tensor dy, int dim, bool mean, Tensor dx);

    /// <summary>
    /// The first maximum along <paramref name="dim"/>: its index into <paramref name="indices"/> (int32) and, when
    /// <paramref name="values"/> is not null, its value. Both have x's shape without that dimension.
    /// </summary>
    void MaxAlong(Tensor x, int dim, Tensor? values, Tensor indices);

    /// <summary>dx = dy at the indices <see cref="MaxAlong"/> found along <paramref name="dim"/>, 0 elsewhere.</summary>
    void MaxAlongBackward(Tensor dy, Tensor indices, int dim, Tensor dx);

    /// <summary><paramref name="total"/> + Σ x², summed in double in element order (a global norm over several tensors).</summary>
    double SumOfSquares(Tensor x, double total);

    // ---------------------------------------------------------------- pooling

    void MaxPool2d(Tensor x, Tensor y, PoolGeometry g);

    /// <summary>dx from dy, each window's maximum found again in x (no indices are kept between the passes).</summary>
    void MaxPool2dBackward(Tensor x, Tensor dy, Tensor dx, PoolGeometry g);

    void AvgPool2d(Tensor x, Tensor y, PoolGeometry g);

    void AvgPool2dBackward(Tensor dy, Tensor dx, PoolGeometry g);

    /// <summary>Adaptive average pooling of x (N, C, H, W) to y (N, C, OH, OW).</summary>
    void AdaptiveAvgPool2d(Tensor x, Tensor y);

    void AdaptiveAvgPool2dBackward(Tensor dy, Tensor dx);

    // ---------------------------------------------------------------- batch normalisation

    /// <summary>
    /// Training statistics of x (N, C, H, W): the batch mean and invstd = 1/√(σ² + ε) per channel (biased variance),
    /// and, when given, the running statistics updated in place as PyTorch (unbiased variance).
    /// </summary>
    void BatchNormStatistics(Tensor x, float momentum, float eps, Tensor mean, Tensor invstd, Tensor? runningMean, Tensor? runningVar);

    /// <summary>Evaluation statistics: mean = running mean, invstd = 1/√(running variance + ε).</summary>
    void BatchNormRunningStatistics(Tensor runningMean, Tensor runningVar, float eps, Tensor mean, Tensor invstd);

    /// <summary>y = (x − mean) · invstd · γ + β per channel (γ, β may be null), then max(y, 0) when <paramref name="relu"/>.</summary>
    void BatchNormNormalize(Tensor x, Tensor mean, Tensor invstd, Tensor? weight, Tensor? bias, Tensor y, bool relu);

    /// <summary>
    /// dx, dγ, dβ (each may be null) of batch norm; with <paramref name="reluOutput"/> (the fused op's output), dy counts
    /// only where that output is positive.
    /// </summary>
    void BatchNormBackward(Tensor x, Tensor dy, Tensor? reluOutput, Tensor mean, Tensor invstd, Tensor? weight, bool training,
        Tensor? dx, Tensor? dweight, Tensor? dbias);

    // ---------------------------------------------------------------- softmax and loss

    /// <summary>y = log softmax over the last dimension of x (rows, cols).</summary>
    void LogSoftmax(Tensor x, Tensor y);

    void LogSoftmaxBackward(Tensor y, Tensor dy, Tensor dx);

    /// <summary>
    /// logp = log softmax(logits (N, K)); loss (one element) = −(1/N) Σᵢ logp[i, labels[i]] for int32 labels (N). A label
    /// outside [0, K) is refused with its index.
    /// </summary>
    void CrossEntropy(Tensor logits, Tensor labels, Tensor logp, Tensor loss);

    /// <summary>dx = dloss · (softmax − onehot(labels)) / N, from the forward's logp.</summary>
    void CrossEntropyBackward(Tensor logp, Tensor labels, Tensor dloss, Tensor dx);

    // ---------------------------------------------------------------- random fills

    /// <summary>mask = 1/(1 − p) where a draw from <paramref name="generator"/> is ≥ p, else 0 (inverted dropout).</summary>
    void DropoutMask(Tensor mask, float p, RandomGenerator generator);

    /// <summary>Fills t with U[low, high) drawn in element order.</summary>
    void FillUniform(Tensor t, float low, float high, RandomGenerator generator);

    /// <summary>Fills t with N(mean, std²) drawn in element order.</summary>
    void FillNormal(Tensor t, float mean, float std, RandomGenerator generator);

    // ---------------------------------------------------------------- optimizer, fill, copy

    /// <summary>
    /// One torch.optim.SGD update of <paramref name="param"/> from <paramref name="grad"/> (dampening 0):
    /// d = g + wd·p; with momentum, b = d on the first step (<paramref name="firstStep"/>), else b = μ·b + d, and
    /// d = d + μ·b (Nesterov) or d = b; finally p = p − lr·d. <paramref name="scratch"/> holds at least p's element count
    /// and is overwritten; the gradient is not.
    /// </summary>
    void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, bool firstStep, Tensor scratch,
        float learningRate, float momentum, float weightDecay, bool nesterov);

    /// <summary>Every element of t = value.</summary>
    void Fill(Tensor t, float value);

    /// <summary>destination = source (same element count and dtype).</summary>
    void Copy(Tensor source, Tensor destination);

    // ---------------------------------------------------------------- data

    /// <summary>
    /// destination (…, OutHeight, OutWidth) float32 = <paramref name="resample"/> of source (…, InHeight, InWidth), an
    /// int32 tensor of byte values: the horizontal then the vertical fixed-point pass, each rounded to a byte, then the
    /// byte → float table (<see cref="ImageResample"/>). Integer sums, so every backend computes the same bits.
    /// </summary>
    void ResampleImages(Tensor source, Tensor destination, ImageResample resample);
}
