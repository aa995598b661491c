using NetBlocks.Autograd;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>
    /// Mean cross-entropy of logits (N, K) against integer labels in [0, K): L = −(1/N) Σᵢ log softmax(xᵢ)[yᵢ],
    /// torch.nn.functional.cross_entropy with reduction='mean'. Fused log-softmax + NLL, numerically stable.
    /// </summary>
    /// <remarks>
    /// The labels are checked on the host before they are uploaded, so a training step on a GPU does not wait for a
    /// download of its own labels.
    /// </remarks>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> labels)
    {
        if (logits.Rank == 2) Softmax.CheckLabels(labels, logits.Size(1));
        return CrossEntropy(logits, LabelsOn(logits, labels), labelsChecked: true);
    }

    /// <summary>The labels as an int32 tensor on the logits' device (uploaded when that is not the CPU).</summary>
    private static Tensor LabelsOn(Tensor logits, ReadOnlySpan<int> labels)
    {
        var host = Tensor.FromArray(labels.ToArray(), labels.Length);
        return logits.IsMeta ? host : host.To(logits.Device);
    }

    /// <summary>
    /// As <see cref="CrossEntropy(Tensor, ReadOnlySpan{int})"/> with the labels an int32 tensor (N). Labels on a device
    /// other than the CPU are downloaded to be checked (the device kernels cannot throw; the CPU kernel checks them as it
    /// computes).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels) => CrossEntropy(logits, labels, labelsChecked: false);

    private static Tensor CrossEntropy(Tensor logits, Tensor labels, bool labelsChecked)
    {
        using var profile = OpProfiler.Scope("CrossEntropy");
        if (logits.Rank != 2) throw new ArgumentException($"cross_entropy: expected logits (N, K), got {ShapeUtil.Format(logits.Shape)}");
        if (labels.DType != DType.Int32) throw new ArgumentException($"cross_entropy: labels must be an int32 tensor, got {labels.DType.ToString().ToLowerInvariant()}");
        if (labels.Rank != 1) throw new ArgumentException($"cross_entropy: expected labels (N,), got {ShapeUtil.Format(labels.Shape)}");
        int n = logits.Size(0), k = logits.Size(1);
        if (labels.Numel != n) throw new ArgumentException($"cross_entropy: {labels.Numel} labels for a batch of {n} logits");
        if (n == 0) throw new ArgumentException("cross_entropy: empty batch");
        if (AnyMeta(logits))
        {
            // a shape pass still refuses labels the real op would (the CPU backend checks them while it computes)
            if (!labels.IsMeta && !labelsChecked) Softmax.CheckLabels(labels.ToInt32Array(), k);
            return Tensor.Meta();
        }
        SameDevice("cross_entropy", logits, labels);
        if (!labelsChecked && labels.Device.Kind != DeviceKind.Cpu) Softmax.CheckLabels(labels.ToInt32Array(), k);
        var logp = Tensor.Empty(logits.Device, n, k);
        var y = Tensor.Empty(logits.Device);
        logits.Backend.CrossEntropy(logits, labels, logp, y);
        if (Node.ShouldRecord(logits)) return new CrossEntropyBackward(logits, logp, labels).Attach(y);
        logp.Release();
        return y;
    }

    /// <summary>L = −mean log softmax(x)[y]. dx = dL · (softmax(x) − onehot(y)) / N.</summary>
    private sealed class CrossEntropyBackward(Tensor logits, Tensor logp, Tensor labels) : Node(logits)
    {
        public override string Name => "NllLossBackward0";

        protected internal override void Backward(Tensor dl)
        {
            using var profile = OpProfiler.Scope("CrossEntropyBackward");
            var dx = Tensor.Empty(dl.Device, logits.ShapeArray);
            dl.Backend.CrossEntropyBackward(logp, labels, dl, dx);
            Accumulate(0, dx);
        }

        protected internal override void ReleaseSaved() => logp.Release();
    }
}
