using NetBlocks.Nn;

namespace NetBlocks.Serialization;

/// <summary>
/// A module's state dict in a safetensors file, with PyTorch's keys: a file written here loads in PyTorch
/// (<c>model.load_state_dict(safetensors.torch.load_file(path))</c>) and a state dict PyTorch saved loads here.
/// Writes are atomic; a corrupt, truncated or mismatched file raises an error naming it and leaves the model untouched.
/// </summary>
public static class Checkpoint
{
    public static void Save(Module model, string path, IReadOnlyDictionary<string, string>? metadata = null, IEnumerable<SafeTensor>? extra = null)
    {
        var tensors = model.StateDict().Select(kv => new SafeTensor(kv.Key, kv.Value.ShapeArray.ToArray(), kv.Value.ToArray())).ToList();
        if (extra is not null) tensors.AddRange(extra);
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>Loads the model's keys from the file (keys with <paramref name="ignorePrefix"/> — e.g. optimizer state — are skipped).</summary>
    public static SafeTensorFile Load(Module model, string path, string? ignorePrefix = null)
    {
        RequireMaterialized(model, path);
        var file = SafeTensors.Read(path);
        Load(model, file, ignorePrefix);
        return file;
    }

    /// <summary>As <see cref="Load(Module, string, string?)"/> from a file already read.</summary>
    public static void Load(Module model, SafeTensorFile file, string? ignorePrefix = null)
    {
        RequireMaterialized(model, file.Path);
        var state = file.Tensors.Values
            .Where(t => ignorePrefix is null || !t.Name.StartsWith(ignorePrefix, StringComparison.Ordinal))
            .ToDictionary(t => t.Name, t => (t.Shape, t.Data));
        model.LoadStateDict(state, strict: true, source: $"checkpoint '{file.Path}'");
    }

    private static void RequireMaterialized(Module model, string path)
    {
        if (!model.IsMaterialized)
            throw new InvalidOperationException($"{model.Describe()} has lazy layers that are not materialised yet: call Build(inputShape) before loading checkpoint '{path}'");
    }
}
