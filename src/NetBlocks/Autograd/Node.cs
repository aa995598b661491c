using NetBlocks.Tensors;
using static NetBlocks.Kernels.Broadcasting;

namespace NetBlocks.Autograd;

/// <summary>
/// One recorded op application: its inputs, its output, and how to turn the gradient of the output into gradients
/// of the inputs. Subclasses live next to the forward they differentiate (one file per op in Functional/).
/// </summary>
public abstract class Node
{
    /// <summary>The op's tensor inputs; an entry is null when that input needs no gradient.</summary>
    internal readonly Tensor?[] Inputs;

    /// <summary>The tensor this node produced (set when the node is attached to it).</summary>
    internal Tensor? Output;

    /// <summary>Accumulated gradient of <see cref="Output"/> while Backward runs.</summary>
    internal Tensor? PendingGrad;

    protected Node(params Tensor?[] inputs)
    {
        Inputs = new Tensor?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
            Inputs[i] = inputs[i] is { } t && t.NeedsGrad ? t : null;
    }

    /// <summary>PyTorch-style name, e.g. ConvolutionBackward.</summary>
    public abstract string Name { get; }

    /// <summary>Computes the inputs' gradients from <paramref name="gradOutput"/> and hands each to <see cref="Accumulate"/>.</summary>
    protected internal abstract void Backward(Tensor gradOutput);

    /// <summary>Frees anything the node saved for backward beyond its inputs and output (masks, statistics, indices).</summary>
    protected internal virtual void ReleaseSaved() { }

    /// <summary>Whether input <paramref name="i"/> wants a gradient.</summary>
    protected bool NeedsGrad(int i) => Inputs[i] is not null;

    /// <summary>Adds <paramref name="grad"/> to the gradient of input <paramref name="i"/>. Takes ownership of <paramref name="grad"/>.</summary>
    protected void Accumulate(int i, Tensor grad)
    {
        var input = Inputs[i];
        if (input is null) { grad.Release(); return; }
        if (!ShapeUtil.SameShape(grad.Shape, input.Shape))
            throw new InvalidOperationException($"{Name}: gradient of shape {ShapeUtil.Format(grad.Shape)} for an input of shape {ShapeUtil.Format(input.Shape)}");
        if (input.GradFn is { } producer)
        {
            if (producer.PendingGrad is null) producer.PendingGrad = grad;
            else if (producer.PendingGrad.SharesBuffer)
            {
                // Another input's gradient is a view of this buffer (F.AddRelu hands one masked gradient to both of
                // its operands): the sum goes into a fresh buffer, the same bits as adding in place.
                var pending = producer.PendingGrad;
                var sum = Tensor.Empty(pending.Device, pending.ShapeArray);
                pending.Backend.Binary(BinaryOp.Add, pending, grad, sum);
                pending.Release();
                grad.Release();
                producer.PendingGrad = sum;
            }
            else
            {
                producer.PendingGrad.Backend.AddInPlace(producer.PendingGrad, grad);
                grad.Release();
            }
        }
        else
        {
            input.AccumulateLeafGrad(grad);
            grad.Release();
        }
    }

    /// <summary>Attaches this node as the producer of <paramref name="output"/> when any input needs a gradient.</summary>
    internal Tensor Attach(Tensor output)
    {
        Output = output;
        output.GradFn = this;
        return output;
    }

    /// <summary>True when recording is on and at least one of the tensors needs a gradient.</summary>
    public static bool ShouldRecord(Tensor a) => GradMode.IsEnabled && a.NeedsGrad;
    public static bool ShouldRecord(Tensor a, Tensor b) => GradMode.IsEnabled && (a.NeedsGrad || b.NeedsGrad);
    public static bool ShouldRecord(Tensor a, Tensor? b, Tensor? c) =>
        GradMode.IsEnabled && (a.NeedsGrad || (b?.NeedsGrad ?? false) || (c?.NeedsGrad ?? false));
}
