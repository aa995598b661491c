namespace NetBlocks.Training;

/// <summary>The loss became NaN or infinite: says at which step, where the last good checkpoint is, and what to try.</summary>
public sealed class TrainingDivergedException(long step, int epoch, double loss, string? lastCheckpoint, float learningRate)
    : InvalidOperationException(
        $"the loss became {loss} at step {step} (epoch {epoch + 1}); " +
        (lastCheckpoint is null ? "no checkpoint was written yet" : $"the last good checkpoint is {lastCheckpoint}") +
        $". Hint: lower the learning rate (it was {learningRate:G3}), e.g. --lr {learningRate / 10:G3}, or clip gradients with --grad-clip.")
{
    public long Step { get; } = step;
    public string? LastCheckpoint { get; } = lastCheckpoint;
}
