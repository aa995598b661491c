using NetBlocks.Autograd;

namespace NetBlocks.Tensors;

public sealed partial class Tensor
{
    private bool _requiresGrad;

    /// <summary>For leaves: whether gradients should be accumulated into <see cref="Grad"/>.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad || GradFn is not null;
        set
        {
            if (GradFn is not null && !value)
                throw new InvalidOperationException("RequiresGrad cannot be turned off on a non-leaf tensor; use Detach()");
            _requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient of a leaf (null until the first Backward that reaches it).</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The node that produced this tensor, or null for leaves.</summary>
    public Node? GradFn { get; internal set; }

    public bool IsLeaf => GradFn is null;

    internal bool NeedsGrad => _requiresGrad || GradFn is not null;

    /// <summary>How many recorded backward functions read this tensor's values (not just its shape).</summary>
    internal int BackwardReaders { get; private set; }

    /// <summary>
    /// Whether an op that consumes this tensor may write its result over this tensor's buffer, as PyTorch's
    /// inplace=True: the buffer is from the pool and no other tensor or view holds it, no recorded backward reads its
    /// values, and it is not a leaf that wants a gradient. The caller must not use the tensor after handing it over.
    /// </summary>
    internal bool CanBeOverwritten => !IsReleased && !IsMeta && _storage.IsExclusivePooled && BackwardReaders == 0 && (GradFn is not null || !NeedsGrad);

    /// <summary>Whether another tensor (a view) holds this tensor's buffer too, so writing over it would change that one.</summary>
    internal bool SharesBuffer => !IsMeta && _storage.IsShared;

    /// <summary>Marks this tensor as read by a backward function, so it is kept until Backward() (see Module.Done).</summary>
    internal Tensor KeepForBackward()
    {
        BackwardReaders++;
        return this;
    }

    /// <summary>Computes the gradients of this scalar with respect to every leaf that requires grad, then frees the graph.</summary>
    public void Backward() => BackwardEngine.Run(this, null);

    /// <summary>Backpropagates <paramref name="gradient"/> (same shape as this tensor), then frees the graph.</summary>
    public void Backward(Tensor gradient) => BackwardEngine.Run(this, gradient);

    /// <summary>A tensor sharing this one's values, cut from the graph. It keeps the values alive after Backward().</summary>
    public Tensor Detach() => ViewAs(ShapeArray);

    internal void AccumulateLeafGrad(Tensor grad)
    {
        if (Grad is null)
        {
            Grad = ZerosPersistent(Device, ShapeArray);
            Backend.Copy(grad, Grad);
        }
        else Backend.AddInPlace(Grad, grad);
    }
}
