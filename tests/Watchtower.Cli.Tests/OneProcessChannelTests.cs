using Watchtower.Ledger;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Xunit;
using Xunit.Abstractions;

namespace Watchtower.Cli.Tests;

/// <summary>
/// The one-process walkthrough of docs/channels.md (`channel open`, `pay`, `status`, `close`)
/// run through the command line parser against a standalone network hosted here.
/// </summary>
public sealed class OneProcessChannelTests(ITestOutputHelper log) : IAsyncLifetime
{
    private static readonly Stroops WalletStart = Stroops.FromLumens(1000);

    private readonly string _state = Directory.CreateTempSubdirectory("wt-one-process").FullName;
    private TestNetwork _network = null!;
    private StandaloneServer _server = null!;
    private ILedgerClient _ledger = null!;
    private KeyPair _funder = null!;
    private KeyPair _alice = null!;
    private KeyPair _bob = null!;

    public async Task InitializeAsync()
    {
        _network = await TestNetwork.StartAsync();
        (_server, _ledger) = (_network.Server, _network.Ledger);
        (_funder, _alice, _bob) = (KeyPair.Random(), KeyPair.Random(), KeyPair.Random());
        await _network.FundAsync([(_funder.AccountId, Stroops.FromLumens(100)), (_alice.AccountId, WalletStart), (_bob.AccountId, WalletStart)], CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _network.DisposeAsync();
        Directory.Delete(_state, recursive: true);
    }

    [Fact]
    public async Task OpenPayClose_EveryParticipantEndsClosed_WalletsEndExact()
    {
        var common = new[] { "--horizon", _server.HorizonUri.ToString(), "-n", "standalone", "--state", _state };
        Assert.Equal(0, (await RunAsync(["channel", "open", .. common, "--funder", _funder.Seed.ToString(), "--wallet", _alice.Seed.ToString(), "--wallet", _bob.Seed.ToString(), "--deposit", "250", "--deposit", "750"])).Exit);
        Assert.Equal(0, (await RunAsync(["channel", "pay", .. common, "--from", "1", "--to", "0", "--amount", "250"])).Exit);
        var status = await RunAsync(["channel", "status", .. common]);
        Assert.Contains("participant 1: Open, round 1, balances 500 / 500", status.Output, StringComparison.Ordinal);

        var close = await RunAsync(["channel", "close", .. common]);
        Assert.Equal(0, close.Exit);
        Assert.Contains("participant 0: Closed, round 2", close.Output, StringComparison.Ordinal);
        Assert.Contains("participant 1: Closed, round 2", close.Output, StringComparison.Ordinal);

        Assert.Equal(WalletStart.Value - Stroops.FromLumens(250).Value + Stroops.FromLumens(500).Value, (await _ledger.LoadAccountAsync(_alice.AccountId, CancellationToken.None))!.Balance.Value);
        Assert.Equal(WalletStart.Value - Stroops.FromLumens(750).Value + Stroops.FromLumens(500).Value, (await _ledger.LoadAccountAsync(_bob.AccountId, CancellationToken.None))!.Balance.Value);
    }

    [Fact]
    public async Task Status_OfADirectoryWithoutAChannel_IsOneErrorLine_ExitOne()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var empty = Directory.CreateDirectory(Path.Combine(_state, "empty")).FullName;

        var exit = await CliApp.RunAsync(
            ["channel", "status", "--horizon", _server.HorizonUri.ToString(), "-n", "standalone", "--state", empty],
            new System.CommandLine.InvocationConfiguration { Output = output, Error = error },
            CancellationToken.None);

        Assert.Equal(1, exit);
        Assert.Equal($"error: no channel in {empty}{Environment.NewLine}", error.ToString());
    }

    private async Task<(int Exit, string Output)> RunAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var parse = CliApp.CreateRootCommand().Parse(args);
        parse.InvocationConfiguration.Output = output;
        parse.InvocationConfiguration.Error = error;
        var exit = await parse.InvokeAsync();
        log.WriteLine($"> {args[1]}: exit {exit}\n{output}{error}");
        Assert.Equal("", error.ToString());
        return (exit, output.ToString());
    }
}
