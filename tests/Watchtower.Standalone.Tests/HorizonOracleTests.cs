using Watchtower.Stellar;

namespace Watchtower.Standalone.Tests;

/// <summary>The official JS SDK's Horizon.Server against the standalone network.</summary>
public sealed class HorizonOracleTests
{
    [Fact]
    public async Task JsSdk_LoadsSubmitsPagesAndStreams_AgainstStandaloneHorizon()
    {
        await using var server = await StandaloneServer.StartAsync(
            new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true }, TimeProvider.System, CancellationToken.None);
        var o = await Oracle.RunAsync("horizon.cjs", server, TimeSpan.FromSeconds(60));

        Assert.Equal(Network.Standalone.Passphrase, (string)o["root"]!["passphrase"]!);
        Assert.Equal("10000.0000000", (string)o["friendbot"]!["balance"]!);
        Assert.True((bool)o["create"]!["successful"]!);
        Assert.Equal("tx_failed", (string)o["noDestination"]!["transaction"]!);
        Assert.Equal("op_no_destination", (string)o["noDestination"]!["operations"]![0]!);
        Assert.Equal("tx_bad_seq", (string)o["badSeq"]!["transaction"]!);
        Assert.Equal("tx_bad_auth", (string)o["badAuth"]!["transaction"]!);
        Assert.Equal("tx_too_early", (string)o["tooEarly"]!["transaction"]!);
        Assert.Equal("tx_insufficient_fee", (string)o["insufficientFee"]!["transaction"]!);
        Assert.Equal("tx_too_late", (string)o["tooLate"]!["transaction"]!);
        Assert.Equal("tx_bad_auth_extra", (string)o["badAuthExtra"]!["transaction"]!);
        Assert.Equal("op_underfunded", (string)o["underfunded"]!["operations"]![0]!);
        Assert.Equal("tx_insufficient_balance", (string)o["insufficientBalance"]!["transaction"]!);
        Assert.True((bool)o["feeBump"]!["successful"]!);
        Assert.Equal((string)o["feeBump"]!["expectedInner"]!, (string)o["feeBump"]!["innerHash"]!);
        Assert.True((bool)o["feeBump"]!["foundByInnerHash"]!);
        Assert.Equal(404, (int)o["missingAccount"]!);
        Assert.Equal("100", (string)o["feeStats"]!["lastBase"]!);
        Assert.Equal("100", (string)o["feeStats"]!["p50"]!);
        Assert.True((bool)o["defaultExcludesFailed"]!);
        Assert.Equal("MQ==", (string)o["data"]!["attr"]!);
        Assert.Equal("MQ==", (string)o["data"]!["fetched"]!);
        Assert.Equal("AccountRequiresMemoError", (string)o["memoRequired"]!);
        Assert.Equal(400, (int)o["notSupported"]!["status"]!);
        Assert.Equal("tx_not_supported", (string)o["notSupported"]!["transaction"]!);
        Assert.Equal((string)o["notSupported"]!["expectedHash"]!, (string)o["notSupported"]!["hash"]!);
        Assert.Equal(2, o["paging"]!["first"]!.AsArray().Count);
        Assert.NotEmpty(o["paging"]!["next"]!.AsArray());
        Assert.Contains((string)o["create"]!["hash"]!, o["streamed"]!["txs"]!.AsArray().Select(n => (string)n!));
    }
}
