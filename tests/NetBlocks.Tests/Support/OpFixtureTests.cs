using Xunit.Sdk;

namespace NetBlocks.Tests.Support;

public sealed class OpFixtureTests
{
    [Fact]
    public void Load_ExposesMetadataNamesAndShapes()
    {
        var f = OpFixture.Load("ops/conv2d_k3_s1_p1");
        Assert.Equal("conv2d", f.Meta("op"));
        Assert.Equal(1, f.MetaInt("stride"));
        Assert.Equal(1, f.MetaInt("padding"));
        Assert.Equal(3, f.MetaInt("kernel"));
        Assert.True(f.MetaBool("bias"));
        Assert.True(f.Has("param.weight"));
        Assert.False(f.Has("grad.input2"));
        Assert.Equal([2, 3, 7, 6], f.Shape("input"));
        Assert.Equal([4, 3, 3, 3], f.Shape("param.weight"));
        Assert.Equal([4], f.Shape("param.bias"));
        Assert.Equal([2, 4, 7, 6], f.Shape("output"));
        Assert.Equal(f.Shape("output"), f.Shape("grad_output"));
        Assert.Equal(2 * 3 * 7 * 6, f.Array("input").Length);

        var bn = OpFixture.Load("ops/batch_norm2d_train");
        Assert.Equal(1e-5f, bn.MetaFloat("eps"));
        Assert.Equal(0.1, bn.MetaDouble("momentum"));
        Assert.Equal([1], bn.IntArray("after.num_batches_tracked"));

        var missing = Assert.Throws<KeyNotFoundException>(() => f.Array("nope"));
        Assert.Contains("param.weight", missing.Message);  // lists what is there
    }

    [Fact]
    public void AllOpFixtures_FollowTheNamingConvention()
    {
        var names = OpFixture.List("ops").ToList();
        Assert.True(names.Count >= 30, $"only {names.Count} fixtures found under {OpFixture.Root}");
        foreach (var name in names)
        {
            var f = OpFixture.Load(name);
            Assert.True(f.HasMeta("op") || f.HasMeta("format"), $"{name}: no 'op' metadata");
            if (f.Has("grad_output"))
                Assert.Equal(f.Shape("output"), f.Shape("grad_output"));
            foreach (var n in f.Names.Where(n => n.StartsWith("grad.", StringComparison.Ordinal)))
            {
                string of = n["grad.".Length..];
                Assert.True(f.Has(of), $"{name}: {n} without {of}");
                Assert.Equal(f.Shape(of), f.Shape(n));
            }
            foreach (var n in f.Names.Where(n => n.StartsWith("after.", StringComparison.Ordinal)))
                Assert.Equal(f.Shape("param." + n["after.".Length..]), f.Shape(n));
        }
    }

    [Fact]
    public void AssertClose_PassesWithinTolerance()
    {
        OpFixture.AssertClose([1f, -2f, 1000f, float.NaN], [1.00001f, -2f, 1000.05f, float.NaN]);
        var f = OpFixture.Load("ops/relu");
        f.AssertClose("output", f.Array("output"));
    }

    [Fact]
    public void AssertClose_ReportsFirstMismatchAndMaxError()
    {
        var e = Assert.ThrowsAny<XunitException>(() =>
            OpFixture.AssertClose([0f, 1f, 2f, 3f, 4f, 5f], [0f, 1f, 2.5f, 3f, 3f, 5f], what: "conv out", shape: [2, 3]));
        Assert.Contains("conv out", e.Message);
        Assert.Contains("2 of 6 elements differ", e.Message);
        Assert.Contains("First mismatch at [2] = [0, 2]: expected 2, actual 2.5", e.Message);
        Assert.Contains("Max abs error 1 at [4] = [1, 1] (expected 4, actual 3)", e.Message);

        var len = Assert.ThrowsAny<XunitException>(() => OpFixture.AssertClose([1f, 2f], [1f]));
        Assert.Contains("expected 2 elements, actual 1", len.Message);
    }
}
