using NetBlocks.Cli.Commands;
using NetBlocks.Training;
using NetBlocks.Workflows;

namespace NetBlocks.Tests.Cli;

/// <summary>What the user reads when a command fails: exception messages cleaned of .NET internals, out of memory explained.</summary>
public class CliGuardTests
{
    private static (int Code, string Err) Guarded(Func<int> body)
    {
        var err = new StringWriter { NewLine = "\n" };
        return (CliGuard.Run(body, err), err.ToString());
    }

    [Fact]
    public void OutOfMemoryAnywhereIsAClearMessageNotAStackTrace()
    {
        var (code, err) = Guarded(() => throw new OutOfMemoryException());
        Assert.Equal(1, code);
        Assert.StartsWith("error: out of memory. Make the job smaller: a smaller --batch or --resize", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void ATrainingRunOutOfMemorySaysWhatItNeedsAndWhatToChange()
    {
        var settings = new TrainingSettings { Model = "vgg11", Resize = 224, Batch = 128 };
        var memory = new NetBlocks.Analysis.MemoryEstimate(128, 500L << 20, 0, 500L << 20, 500L << 20, 0, "", 9L << 30, 1L << 30, "");
        var message = TrainingMemory.RanOut(settings, memory, new MemoryBudget(4L << 30, "the container's limit of 6.0 GiB, 2.0 GiB in use"));
        var (code, err) = Guarded(() => throw new InsufficientMemoryException(message));
        Assert.Equal(1, code);
        Assert.Equal("error: out of memory training vgg11 at 224×224 with batch 128: the estimate is 11.5 GiB (weights, gradients and momentum " +
                     "1.5 GiB, activations 10.0 GiB for the batch) plus the data and the runtime, and 4.0 GiB is available now " +
                     "(the container's limit of 6.0 GiB, 2.0 GiB in use). Lower --batch (about 19 fits) or --resize (now 224).\n", err);
    }

    [Fact]
    public void ParameterNamesAndAccessDeniedWordingNeverReachTheUser()
    {
        Assert.Equal("the input must be positive", UserMessages.Of(new ArgumentException("the input must be positive", "inputNchw")));
        var dir = Directory.CreateTempSubdirectory("netblocks-guard-").FullName;
        try
        {
            Assert.Equal($"{dir}: access denied; it is a folder: a file was expected there, or its permissions do not let NetBlocks read or write it", UserMessages.Of(new UnauthorizedAccessException($"Access to the path '{dir}' is denied.")));
            Assert.Equal("/nope/x: permission denied (check the file's and its folder's permissions)",
                UserMessages.Of(new UnauthorizedAccessException("Access to the path '/nope/x' is denied.")));
        }
        finally { Directory.Delete(dir); }
    }
}
