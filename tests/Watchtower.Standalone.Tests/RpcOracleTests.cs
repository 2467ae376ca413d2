using Watchtower.Stellar;

namespace Watchtower.Standalone.Tests;

/// <summary>The official JS SDK's rpc.Server against the standalone network's RPC endpoint.</summary>
public sealed class RpcOracleTests
{
    [Fact]
    public async Task JsSdk_RpcServer_ReadsNetworkLedgersAccountsAndSendsTransactions()
    {
        await using var server = await StandaloneServer.StartAsync(
            new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true }, TimeProvider.System, CancellationToken.None);
        var o = await Oracle.RunAsync("rpc.cjs", server, TimeSpan.FromSeconds(60));

        Assert.Equal(Network.Standalone.Passphrase, (string)o["network"]!["passphrase"]!);
        Assert.Equal((int)o["latest"]!["sequence"]!, (int)o["latest"]!["headerSeq"]!);
        Assert.Equal("100000000000", (string)o["entry"]!["balance"]!);
        Assert.Equal("PENDING", (string)o["send"]!["status"]!);
        Assert.Equal("SUCCESS", (string)o["poll"]!["status"]!);
        Assert.Equal("txSuccess", (string)o["poll"]!["resultCode"]!);
        Assert.Equal("ERROR", (string)o["resend"]!["status"]!);
        Assert.Equal("txBadSeq", (string)o["resend"]!["error"]!);
        Assert.Equal("NOT_FOUND", (string)o["missing"]!);
        Assert.Equal("ERROR", (string)o["notSupported"]!["status"]!);
        Assert.Equal("txNotSupported", (string)o["notSupported"]!["error"]!);
        Assert.Equal((string)o["notSupported"]!["expectedHash"]!, (string)o["notSupported"]!["hash"]!);
        Assert.Contains((string)o["send"]!["hash"]!, o["transactions"]!["hashes"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(1, (int)o["ledgers"]!["metaTxCount"]!);
        Assert.Equal("100", (string)o["fees"]!["p50"]!);
        Assert.Equal((int)o["ledgers"]!["sequences"]![0]!, (int)o["ledgers"]!["headerSeq"]!);
    }
}
