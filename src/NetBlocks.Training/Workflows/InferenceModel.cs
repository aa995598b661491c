using NetBlocks.Analysis;
using NetBlocks.Autograd;
using NetBlocks.Data;
using NetBlocks.Functional;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Serialization;
using NetBlocks.Tensors;
using NetBlocks.Training;

namespace NetBlocks.Workflows;

/// <summary>
/// A trained model ready for `netblocks eval` and `predict`: rebuilt from the checkpoint's settings (or from --model
/// and --resize for a plain state dict, e.g. one saved by PyTorch) and loaded in eval mode. It is built, and runs, under
/// the <see cref="ExecutionContext"/> given to <see cref="Load"/> (the CLI's, from --threads and --device): its
/// parameters live on the context's device, images are uploaded there and results downloaded. Unless told not to
/// (<c>fold: false</c>, the CLI's --no-fold), its forwards run under an <see cref="InferencePlan"/> made once at load:
/// every convolution followed by a batch norm runs as one convolution with folded weights and bias, every convolution's
/// weights are packed for its kernel once, and a ReLU right after a convolution runs in its store.
/// </summary>
public sealed class InferenceModel
{
    public Module Model { get; }
    public string Name { get; }
    public int Resize { get; }
    public int Classes { get; }
    /// <summary>What the forwards run under.</summary>
    public ExecutionContext Context { get; }
    /// <summary>The inference rewrites the forwards run under; null when folding was turned off.</summary>
    public InferencePlan? Plan { get; }

    private InferenceModel(Module model, string name, int resize, int classes, ExecutionContext context, bool fold)
    {
        Model = model; Name = name; Resize = resize; Classes = classes; Context = context;
        model.Eval();
        Plan = fold ? InferencePlan.Create(model, 1, 1, resize, resize) : null;
    }

    /// <summary>Metadata written with final weights, so that `eval` and `predict` can rebuild the model from the file alone.</summary>
    public static Dictionary<string, string> Metadata(TrainingSettings s) => new()
    {
        ["format"] = "pt", ["model"] = s.Model, ["resize"] = s.Resize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["classes"] = s.Classes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Keys of a training checkpoint that are not the model's (the optimizer's momentum buffers).</summary>
    private const string IgnoredPrefix = "optimizer.";

    /// <param name="memory">What memory inference may take (default: <see cref="MemoryBudget.Read"/>; tests pass a fixed one).</param>
    /// <param name="context">What to build and run the model under (default: the one in force on this thread).</param>
    /// <param name="fold">Run under an <see cref="InferencePlan"/> (batch norm folded into the convolutions, weights packed once, ReLUs in the convolutions' stores); false runs the model as declared.</param>
    public static InferenceModel Load(string path, string? model = null, int? resize = null, int? classes = null, Func<MemoryBudget>? memory = null,
        ExecutionContext? context = null, bool fold = true)
    {
        context ??= ExecutionContext.Current;
        using var inForce = context.Enter();
        if (Directory.Exists(path))
            throw new ArgumentException($"{path} is a folder; give a checkpoint file, e.g. {Path.Combine(path, TrainingCheckpoint.WeightsFileName)} or {Path.Combine(path, TrainingCheckpoint.FileName)}");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such checkpoint file");
        if (resize is < 1) throw new ArgumentException($"--resize must be a whole number ≥ 1, got {resize}");
        var file = SafeTensors.Read(path);
        string? name = model;
        int? size = resize, k = classes;
        if (file.Metadata.TryGetValue(TrainingCheckpoint.SettingsKey, out var json))
        {
            var s = TrainingSettings.FromJson(json);
            name ??= s.Model; size ??= s.Resize; k ??= s.Classes;
        }
        if (file.Metadata.TryGetValue("model", out var m)) name ??= m;
        if (file.Metadata.TryGetValue("resize", out var r) && int.TryParse(r, out var rv)) size ??= rv;
        if (file.Metadata.TryGetValue("classes", out var c) && int.TryParse(c, out var cv)) k ??= cv;
        if (name is null)
            throw new InvalidDataException($"{path}: the file does not say which model it holds; pass --model (e.g. --model vgg11/4) and --resize");
        size ??= ModelZoo.DefaultInput(name)[1];
        k ??= 10;
        // The model may hold no more state than the file: a small file whose metadata names a huge model fails here,
        // before that model is allocated and initialised, instead of after.
        long held = file.Tensors.Values.Where(t => !t.Name.StartsWith(IgnoredPrefix, StringComparison.Ordinal)).Sum(t => (long)t.Data.Length);
        Module module;
        using (ParameterBudget.Limit(held, $"{path}: {name} at {size}×{size} with {k} classes"))
        using (ParameterDevice.Use(context.Device))
            module = ModelZoo.CreateBuilt(name, [1, 1, size.Value, size.Value], new ModelOptions(1, k.Value));
        // The input size is metadata too, which no byte count can justify: a small NiN "at 15000×15000" holds few
        // weights but needs gigabytes of activations per image. Refuse what one image cannot fit before any forward.
        var need = ModelAnalyzer.Analyze(module, [1, 1, size.Value, size.Value], name).Memory.InferenceBytes;
        var budget = (memory ?? MemoryBudget.Read)();
        if (need > budget.AvailableBytes)
            throw new InsufficientMemoryException(
                $"{path}: {name} at {size}×{size} needs about {MemoryBudget.Format(need)} to classify one image, more than the " +
                $"{MemoryBudget.Format(budget.AvailableBytes)} available ({budget.Source}); if the file's input size is wrong, pass --resize");
        Checkpoint.Load(module, file, ignorePrefix: IgnoredPrefix);
        return new InferenceModel(module, name, size.Value, k.Value, context, fold);
    }

    /// <summary>Class probabilities (softmax of the logits) for a batch of images (B, 1, R, R), computed on the context's device.</summary>
    public float[][] Probabilities(Tensor images)
    {
        using var inForce = Context.Enter();
        using var plan = Plan?.Enter();
        using var _ = GradMode.NoGrad();
        var input = images.To(Context.Device);
        var logp = F.LogSoftmax(Model.Forward(input));
        if (!ReferenceEquals(input, images)) input.Release();
        int n = logp.Size(0), kk = logp.Size(1);
        var s = logp.ToArray();
        logp.Release();
        var result = new float[n][];
        for (int i = 0; i < n; i++)
        {
            result[i] = new float[kk];
            for (int j = 0; j < kk; j++) result[i][j] = MathF.Exp(s[i * kk + j]);
        }
        return result;
    }

    /// <summary>Turns 8-bit grayscale images into the model's input, with the same resize as training.</summary>
    public Tensor Prepare(IReadOnlyList<(int Width, int Height, byte[] Pixels)> images)
    {
        int h = images[0].Height, w = images[0].Width;
        if (images.Any(i => i.Width != w || i.Height != h))
            throw new ArgumentException("all images must have the same size");
        var pixels = images.SelectMany(i => i.Pixels).ToArray();
        var ds = new ImageDataset(pixels, new byte[images.Count], images.Count, h, w);
        using var loader = new DataLoader(ds, new DataLoaderOptions { BatchSize = images.Count, Shuffle = false, Prefetch = 0, Transform = ImageTransform.Resize(Resize) });
        return loader.Epoch(0).First().Images;
    }

    /// <summary>Loss, accuracy and the confusion matrix (rows: true class, columns: predicted) on a split.</summary>
    public (double Loss, double Accuracy, long[,] Confusion) Evaluate(IBatchSource data)
    {
        var confusion = new long[Classes, Classes];
        using var inForce = Context.Enter();
        using var plan = Plan?.Enter();
        var (loss, acc) = Trainer.Evaluate(Model, data, (pred, labels) =>
        {
            for (int i = 0; i < labels.Length; i++) confusion[labels[i], pred[i]]++;
        });
        return (loss, acc, confusion);
    }
}
