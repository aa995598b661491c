using System.Security.Cryptography;
using NetBlocks.Models;
using NetBlocks.Tensors;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.Models;

/// <summary>
/// The initial weights of built models, fingerprinted: materialising lazy layers draws their default init from
/// RandomGenerator.Default in the order the shape pass reaches them, then the family's init draws again. The hashes
/// were computed on the main branch before the shape pass became a forward over meta tensors (issue #11), so any change
/// to the order or the number of draws (or to the state dict's keys and shapes) fails here.
/// </summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public class InitialWeightsTests
{
    [Theory]
    [InlineData("regnetx32", 2, 1, 32, "98B0E0C4527E9A6A3D03966B856C64E1B2004D3BDA7BB957CA549A2706A68D65")]
    [InlineData("vgg:1x8,2x16,fc=64", 2, 3, 32, "72503DAAFBB7ABF780625AEFC641F40839D57749A604DF50AB984B35B8D3A9E7")]
    [InlineData("vgg-bn:1x8,1x16,fc=32", 2, 1, 32, "FE93404B739539D5093F2D45EAFE3864CBF2C640FB79C97700B556A7872CAF2F")]
    [InlineData("regnety-200mf", 2, 3, 64, "9C229D144D099AB86E80D05A7160E9FE189EF3B8CC5BD4C545B5B69B4EAE7CFD")]
    [InlineData("anynet:stem=8,1x8g4b1,2x16g8b1", 2, 1, 32, "38B2B3969309F39217161272CF30F6DAEA3861C54F17768130FC75946C554447")]
    [InlineData("anynet:stem=8,1x8,2x16,block=resnet", 2, 1, 32, "228A1DF7FF30B439B332D8DC3F2D17A898BB8E6FC965C8B82631F6909EEBDC25")]
    [InlineData("regnet:d=4,w0=8,wa=8,wm=2,g=4,se=0.25,block=resnet,zerogamma=true", 2, 3, 32, "8459CA5988B7EF057639753B0391A3BE6B27AD03DF3330E6024E6E7A34230B01")]
    [InlineData("nin/8", 2, 1, 96, "52C104BA9F6DEC53D43C35AAD75674732FD37DB67C55A0A2EDD91F5904CCCDA0")]
    public void BuiltModelsStartFromTheSameWeightsAsBefore(string name, int n, int c, int size, string expected)
    {
        RandomGenerator.ManualSeed(1234);
        var model = ModelZoo.CreateBuilt(name, [n, c, size, size]);
        Assert.Equal(expected, Fingerprint(model));
    }

    [Fact]
    public void AD2lResNeXtBlockWithSqueezeExcitationStartsFromTheSameWeightsAsBefore()
    {
        RandomGenerator.ManualSeed(99);
        var block = new ResNeXtBlock(8, 4, 1.0, useProjection: true, stride: 2, seChannels: 2);
        block.Build(2, 4, 8, 8);
        Assert.Equal("6A1648F321EDF95719234EE5DCCF9D281EE370A5D535146516B4413061EEA738", Fingerprint(block));
    }

    /// <summary>SHA-256 over every state-dict entry's key, shape and float bits, in state-dict order.</summary>
    internal static string Fingerprint(NetBlocks.Nn.Module model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (key, value) in model.StateDict())
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(key + ShapeUtil.Format(value.Shape)));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(value.ToArray().AsSpan()));
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
