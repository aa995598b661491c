using NetBlocks.Reporting.Images;

namespace NetBlocks.Tests.Reporting;

public class RasterCanvasTests
{
    private static readonly Rgb Blue = new(0, 0, 255);

    [Fact]
    public void AOnePixelLineThroughPixelCentresIsCrisp()
    {
        var c = new RasterCanvas(20, 20, Rgb.White);
        c.DrawLine(2, 10.5, 18, 10.5, Blue, 1);
        Assert.Equal(Blue, c[10, 10]);
        Assert.Equal(Rgb.White, c[10, 9]);
        Assert.Equal(Rgb.White, c[10, 11]);
    }

    [Fact]
    public void ALineBetweenTwoPixelRowsCoversBothHalfway()
    {
        var c = new RasterCanvas(20, 20, Rgb.White);
        c.DrawLine(2, 10, 18, 10, Blue, 1);
        Assert.Equal(new Rgb(128, 128, 255), c[10, 9]);   // white + (blue - white) * 0.5, rounded
        Assert.Equal(new Rgb(128, 128, 255), c[10, 10]);
    }

    [Fact]
    public void JoinsOfAPolylineAreNotDrawnTwice()
    {
        var c = new RasterCanvas(20, 20, Rgb.White);
        c.StrokePolyline([(2, 10), (10, 10), (18, 10)], Blue, 1);
        Assert.Equal(c[6, 10], c[10, 10]);    // at the joint as elsewhere on the line
    }

    [Fact]
    public void DashesLeaveGaps()
    {
        var c = new RasterCanvas(40, 5, Rgb.White);
        c.DrawLine(0, 2.5, 40, 2.5, Blue, 1, [4, 6]);   // on 0..4, off 4..10, on 10..14, ...
        Assert.Equal(Blue, c[1, 2]);
        Assert.Equal(Rgb.White, c[7, 2]);
        Assert.Equal(Blue, c[12, 2]);
    }

    [Fact]
    public void DiscsAreFilledAndClippingIsObeyed()
    {
        var c = new RasterCanvas(20, 20, Rgb.White);
        c.SetClip(0, 0, 10, 20);
        c.FillCircle(10, 10, 4, Blue);
        Assert.Equal(Blue, c[9, 9]);
        Assert.Equal(Rgb.White, c[10, 10]);      // right of the clip
        c.ResetClip();
        c.FillCircle(10, 10, 4, Blue);
        Assert.Equal(Blue, c[10, 10]);
        Assert.Equal(Rgb.White, c[10, 16]);
    }

    [Fact]
    public void TextUsesTheBitmapFontAtScale()
    {
        // 'T' is a full top row then a centre column: rows "11111", "00100" x 6.
        var c = new RasterCanvas(20, 20, Rgb.White);
        c.DrawText("T", 2, 9, Rgb.Black);       // baseline y = 9: rows 2..8
        Assert.Equal(Enumerable.Range(2, 5).Select(_ => Rgb.Black), Enumerable.Range(2, 5).Select(x => c[x, 2]));
        Assert.Equal(Rgb.Black, c[4, 8]);
        Assert.Equal(Rgb.White, c[3, 8]);
        Assert.Equal(Rgb.White, c[4, 9]);

        var big = new RasterCanvas(20, 20, Rgb.White);
        big.DrawText("T", 10, 16, Rgb.Black, scale: 2, anchor: TextAnchor.Middle);   // 10 px wide, centred on x = 10: columns 5..14
        Assert.Equal(Rgb.Black, big[5, 2]);
        Assert.Equal(Rgb.Black, big[14, 3]);
        Assert.Equal(Rgb.White, big[4, 2]);
        Assert.Equal(22, BitmapFont.MeasureWidth("ab", 2));   // (2 * 6 - 1) * 2
    }

    [Fact]
    public void VerticalTextReadsBottomToTop()
    {
        // 'T' turned counter-clockwise: its top row becomes the left column, its stem runs right along the middle.
        var c = new RasterCanvas(20, 20, Rgb.White);
        c.DrawText("T", 10, 15, Rgb.Black, vertical: true);
        Assert.Equal(Enumerable.Range(10, 5).Select(_ => Rgb.Black), Enumerable.Range(10, 5).Select(y => c[3, y]));
        Assert.Equal(Rgb.Black, c[9, 12]);
        Assert.Equal(Rgb.White, c[9, 11]);
    }

    [Fact]
    public void EveryPrintableCharacterHasAGlyphAndOthersDrawAsQuestionMarks()
    {
        for (char ch = '!'; ch <= '~'; ch++)
        {
            bool any = false;
            for (int r = 0; r < BitmapFont.CapHeight + BitmapFont.Descent; r++)
                for (int col = 0; col < BitmapFont.GlyphWidth; col++) any |= BitmapFont.IsSet(ch, col, r);
            Assert.True(any, $"'{ch}' has no ink");
        }
        Assert.True(BitmapFont.IsSet('é', 0, 1) == BitmapFont.IsSet('?', 0, 1) && BitmapFont.IsSet('é', 4, 1) == BitmapFont.IsSet('?', 4, 1));
        Assert.True(BitmapFont.IsSet('g', 4, 7));      // descender
    }
}
