using NetBlocks.Tensors;

namespace NetBlocks.Autograd;

/// <summary>
/// Walks the graph behind a root tensor once, in reverse topological order, then frees it: every intermediate
/// output and everything the nodes saved goes back to the pool. Leaves (parameters, inputs) and the root survive.
/// </summary>
internal static class BackwardEngine
{
    public static void Run(Tensor root, Tensor? gradient)
    {
        if (!root.NeedsGrad)
            throw new InvalidOperationException("Backward(): the tensor does not require grad and has no grad_fn (was it computed under NoGrad, or from tensors without RequiresGrad?)");
        if (gradient is null)
        {
            if (root.Numel != 1)
                throw new InvalidOperationException($"Backward() without a gradient needs a scalar, got shape {ShapeUtil.Format(root.Shape)}; pass the gradient of the output");
            gradient = Tensor.Full(root.Device, root.ShapeArray, 1f);
        }
        else
        {
            if (!ShapeUtil.SameShape(gradient.Shape, root.Shape))
                throw new ArgumentException($"Backward(): gradient of shape {ShapeUtil.Format(gradient.Shape)} for a tensor of shape {ShapeUtil.Format(root.Shape)}");
            gradient = gradient.Clone();
        }

        if (root.GradFn is null)
        {
            root.AccumulateLeafGrad(gradient);
            gradient.Release();
            return;
        }

        var order = TopologicalOrder(root.GradFn);
        root.GradFn.PendingGrad = gradient;
        try
        {
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var node = order[i];
                var g = node.PendingGrad;
                if (g is null) continue;
                node.PendingGrad = null;
                node.Backward(g);
                g.Release();
                // Every consumer of this node's output ran before it (reverse topological order): nothing in the
                // graph reads the output or the node's saved state again, so both go back to the pool now, which
                // keeps backward's peak memory at the activations still ahead, as PyTorch does.
                Free(node, root);
            }
        }
        finally
        {
            foreach (var node in order) Free(node, root); // the nodes no gradient reached, or all after an error
        }
    }

    /// <summary>Releases what a node kept for backward and its output (the root survives), once. Idempotent.</summary>
    private static void Free(Node node, Tensor root)
    {
        node.PendingGrad?.Release();
        node.PendingGrad = null;
        if (node.Output is not { } output) return;
        node.ReleaseSaved();
        output.GradFn = null;
        if (!ReferenceEquals(output, root)) output.Release();
        node.Output = null;
    }

    /// <summary>Nodes ordered so that every node comes after the nodes that consume its output (root first).</summary>
    private static List<Node> TopologicalOrder(Node root)
    {
        // Iterative post-order DFS over producers; reversing the post-order gives consumers before producers.
        var post = new List<Node>();
        var visited = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Node node, int next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next < node.Inputs.Length)
            {
                stack.Push((node, next + 1));
                if (node.Inputs[next]?.GradFn is { } producer && visited.Add(producer))
                    stack.Push((producer, 0));
            }
            else post.Add(node);
        }
        // post-order lists producers before consumers; Run walks it from the end (the root) backwards.
        return post;
    }
}
