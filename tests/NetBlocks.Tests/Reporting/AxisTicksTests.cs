using NetBlocks.Reporting.Charts;

namespace NetBlocks.Tests.Reporting;

public class AxisTicksTests
{
    private static void AssertTicks(AxisTicks axis, double min, double max, double[] ticks, string[] labels)
    {
        Assert.Equal(min, axis.Min, 12);
        Assert.Equal(max, axis.Max, 12);
        // Ticks are built as integer / power of ten, so they equal the literals exactly (no 0.6000000000000001).
        Assert.Equal(ticks, axis.Ticks);
        Assert.Equal(labels, axis.Labels);
    }

    [Fact]
    public void UnitRangeGetsFifths() =>
        AssertTicks(AxisTicks.Linear(0, 1), 0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1], ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);

    [Fact]
    public void AnAwkwardMaximumIsRoundedUpToTheNextTick() =>
        AssertTicks(AxisTicks.Linear(0, 2.37), 0, 2.5, [0, 0.5, 1, 1.5, 2, 2.5], ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5"]);

    [Fact]
    public void AnInnerRangeWidensToEnclosingTicks() =>
        AssertTicks(AxisTicks.Linear(0.1, 0.9), 0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1], ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);

    [Fact]
    public void FiveDecadesOnALinearAxisAreDominatedByTheLargest() =>
        AssertTicks(AxisTicks.Linear(1e-3, 1e2), 0, 100, [0, 20, 40, 60, 80, 100], ["0", "20", "40", "60", "80", "100"]);

    [Fact]
    public void FiveDecadesOnALogAxisAreTickedAtPowersOfTen() =>
        AssertTicks(AxisTicks.Log10(1e-3, 1e2), 1e-3, 1e2, [1e-3, 1e-2, 1e-1, 1, 10, 100], ["0.001", "0.01", "0.1", "1", "10", "100"]);

    [Fact]
    public void QuarterStepsShowTwoDecimals() =>
        AssertTicks(AxisTicks.Linear(0, 1, maxIntervals: 4), 0, 1, [0, 0.25, 0.5, 0.75, 1], ["0.00", "0.25", "0.50", "0.75", "1.00"]);

    [Fact]
    public void NegativeRangesWork() =>
        AssertTicks(AxisTicks.Linear(-3.2, 7.9), -4, 8, [-4, -2, 0, 2, 4, 6, 8], ["-4", "-2", "0", "2", "4", "6", "8"]);

    [Fact]
    public void FixedLimitsAreKeptAndTicksStayInside()
    {
        AssertTicks(AxisTicks.Linear(0.42, 0.57, 6, fixedMin: 0, fixedMax: 1), 0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1], ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        var axis = AxisTicks.Linear(0, 0, 6, fixedMin: 0.05, fixedMax: 0.95);
        Assert.Equal((0.05, 0.95), (axis.Min, axis.Max));
        Assert.Equal([0.2, 0.4, 0.6, 0.8], axis.Ticks);
        Assert.Throws<ArgumentException>(() => AxisTicks.Linear(0, 1, 6, fixedMin: 1, fixedMax: 1));
        Assert.Throws<ArgumentException>(() => AxisTicks.Log10(1, 10, 6, fixedMin: 0));
        Assert.Throws<ArgumentException>(() => AxisTicks.Linear(0, 1, 6, fixedMin: double.NaN));
        Assert.Throws<ArgumentException>(() => AxisTicks.Linear(-1e308, 1e308));
    }

    [Fact]
    public void NoDataOrASingleValueStillGivesAnAxis()
    {
        AssertTicks(AxisTicks.Linear(double.NaN, double.NaN), 0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1], ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        var single = AxisTicks.Linear(5, 5);
        Assert.True(single.Min < 5 && single.Max > 5);
        Assert.Contains(5.0, single.Ticks);
    }

    [Fact]
    public void FractionMapsLinearlyOrInLog()
    {
        Assert.Equal(0.25, AxisTicks.Linear(0, 2.37).Fraction(0.625), 12);
        Assert.Equal(0.6, AxisTicks.Log10(1e-3, 1e2).Fraction(1), 12);
        Assert.True(double.IsNaN(AxisTicks.Log10(1e-3, 1e2).Fraction(0)));
    }
}
