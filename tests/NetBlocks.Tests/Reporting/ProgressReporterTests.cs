using NetBlocks.Reporting.Terminal;

namespace NetBlocks.Tests.Reporting;

public class ProgressReporterTests
{
    private sealed class FakeClock
    {
        public TimeSpan Now;
        public TimeSpan Read() => Now;
    }

    [Fact]
    public void OnATerminalOneLineIsRedrawnInPlace()
    {
        var clock = new FakeClock();
        var output = new StringWriter { NewLine = "\n" };
        var progress = new ProgressReporter(output, interactive: true, clock.Read);

        progress.Start(100, "epoch 1/10");
        clock.Now = TimeSpan.FromSeconds(10);
        progress.Update(50, 0.51234, 4321.6);
        clock.Now = TimeSpan.FromSeconds(10.05);
        progress.Update(51, 0.5, 4000);                 // within 100 ms of the last redraw: skipped
        clock.Now = TimeSpan.FromSeconds(20);
        progress.Update(100, 0.25, 5000);               // the last step is always drawn
        progress.Finish("epoch 1: loss 0.2500");

        Assert.Equal(
            "\repoch 1/10 [============>           ]  50% 50/100 loss 0.5123 4322 img/s ETA 0:10" +
            "\repoch 1/10 [========================] 100% 100/100 loss 0.2500 5000 img/s ETA 0:00" +
            "\repoch 1: loss 0.2500" + new string(' ', 82 - 20) + "\n",
            output.ToString());
    }

    [Fact]
    public void InALogPlainLinesAreWrittenEveryTenPercent()
    {
        var clock = new FakeClock();
        var output = new StringWriter { NewLine = "\n" };
        var progress = new ProgressReporter(output, interactive: false, clock.Read);

        progress.Start(20, "train");
        for (int step = 1; step <= 20; step++)
        {
            clock.Now = TimeSpan.FromSeconds(step * 0.5);
            progress.Update(step, 1.0 / step, 256);
        }
        progress.Finish("done");

        var lines = output.ToString().Split('\n');
        Assert.Equal(12, lines.Length);                 // 10 progress lines, "done", and the empty rest after the last '\n'
        Assert.Equal("train 2/20 (10%) loss 0.5000 256 img/s elapsed 0:01 ETA 0:09", lines[0]);
        Assert.Equal("train 20/20 (100%) loss 0.0500 256 img/s elapsed 0:10 ETA 0:00", lines[9]);
        Assert.Equal("done", lines[10]);
        Assert.DoesNotContain('\r', output.ToString());
    }

    [Fact]
    public void InALogSlowPhasesStillReportAtTheInterval()
    {
        var clock = new FakeClock();
        var output = new StringWriter { NewLine = "\n" };
        var progress = new ProgressReporter(output, interactive: false, clock.Read) { PlainInterval = TimeSpan.FromSeconds(30) };

        progress.Start(1000, "train");
        clock.Now = TimeSpan.FromSeconds(29);
        progress.Update(5, 2.0, 10);                    // 0.5%, 29 s: nothing yet
        clock.Now = TimeSpan.FromSeconds(31);
        progress.Update(6, 2.0, 10);                    // 31 s since the start: a line
        clock.Now = TimeSpan.FromSeconds(40);
        progress.Update(7, 2.0, 10);                    // 9 s since that line: nothing

        Assert.Equal("train 6/1000 (0%) loss 2.0000 10 img/s elapsed 0:31 ETA 1:25:36\n", output.ToString());
    }

    [Fact]
    public void UnknownTotalsAndOddValuesAreShownPlainly()
    {
        var output = new StringWriter { NewLine = "\n" };
        var progress = new ProgressReporter(output, interactive: true, () => TimeSpan.Zero);
        progress.Start(0, "eval");
        progress.Update(3, double.NaN, double.PositiveInfinity);
        Assert.Equal("\reval 3 loss nan inf img/s", output.ToString());
        Assert.Equal("1:01:01", ProgressReporter.Duration(TimeSpan.FromSeconds(3661)));
        Assert.Equal("0:59", ProgressReporter.Duration(TimeSpan.FromSeconds(59.4)));
    }
}
