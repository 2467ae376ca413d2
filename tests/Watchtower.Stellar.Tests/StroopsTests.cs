using Xunit;

namespace Watchtower.Stellar.Tests;

public class StroopsTests
{
    [Theory]
    [InlineData("1", 10_000_000L)]
    [InlineData("0", 0L)]
    [InlineData("0.0000001", 1L)]
    [InlineData("12.3456789", 123_456_789L)]
    [InlineData("250", 2_500_000_000L)]
    [InlineData("0.5", 5_000_000L)]
    [InlineData("007.10", 71_000_000L)]
    [InlineData("922337203685.4775807", long.MaxValue)]
    public void Parse_ReadsSevenDecimalAmounts(string text, long stroops)
    {
        Assert.Equal(new Stroops(stroops), Stroops.Parse(text));
        Assert.True(Stroops.TryParse(text, out var v));
        Assert.Equal(stroops, v.Value);
    }

    [Theory]
    [InlineData("0.00000001")]
    [InlineData("922337203685.4775808")]
    [InlineData("922337203686")]
    [InlineData("99999999999999999999")]
    [InlineData("-1")]
    [InlineData("")]
    [InlineData(".5")]
    [InlineData("1.")]
    [InlineData("1e7")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1,5")]
    [InlineData("1.2.3")]
    [InlineData("--1")]
    public void Parse_RejectsMalformedOrOutOfRangeAmounts(string text)
    {
        Assert.Throws<FormatException>(() => Stroops.Parse(text));
        Assert.False(Stroops.TryParse(text, out _));
    }

    [Fact]
    public void Parse_AcceptsNegativesOnlyWhenAllowed()
    {
        Assert.Equal(new Stroops(-15_000_000), Stroops.Parse("-1.5", allowNegative: true));
        Assert.Equal(new Stroops(long.MinValue), Stroops.Parse("-922337203685.4775808", allowNegative: true));
        Assert.Throws<FormatException>(() => Stroops.Parse("-922337203685.4775809", allowNegative: true));
        Assert.Throws<FormatException>(() => Stroops.Parse("-1.5"));
    }

    [Theory]
    [InlineData(2_500_000_000L, "250", "250.0000000")]
    [InlineData(5_000_000L, "0.5", "0.5000000")]
    [InlineData(12_345_678L, "1.2345678", "1.2345678")]
    [InlineData(1L, "0.0000001", "0.0000001")]
    [InlineData(0L, "0", "0.0000000")]
    [InlineData(long.MaxValue, "922337203685.4775807", "922337203685.4775807")]
    [InlineData(-15_000_000L, "-1.5", "-1.5000000")]
    [InlineData(long.MinValue, "-922337203685.4775808", "-922337203685.4775808")]
    public void Format_DropsTrailingZeros_AndFixed7KeepsThem(long stroops, string amount, string fixed7)
    {
        var s = new Stroops(stroops);
        Assert.Equal(amount, s.ToAmountString());
        Assert.Equal(amount, s.ToString());
        Assert.Equal(fixed7, s.ToFixed7String());
        Assert.Equal(s, Stroops.Parse(amount, allowNegative: true));
    }

    [Fact]
    public void FromLumens_AndArithmetic_AreChecked()
    {
        Assert.Equal(new Stroops(12_500_000), Stroops.FromLumens(1.25m));
        Assert.Throws<ArgumentException>(() => Stroops.FromLumens(0.00000001m));
        Assert.Throws<OverflowException>(() => Stroops.FromLumens(1_000_000_000_000m));
        Assert.Equal(new Stroops(3), new Stroops(1) + new Stroops(2));
        Assert.Equal(new Stroops(20), new Stroops(10) * 2);
        Assert.Throws<OverflowException>(() => Stroops.MaxValue + new Stroops(1));
        Assert.True(new Stroops(1) < new Stroops(2));
    }
}
