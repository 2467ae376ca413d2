using Microsoft.Extensions.Time.Testing;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Ledger.Tests;

/// <summary>Both clients against the embedded standalone network's Horizon and RPC APIs.</summary>
public sealed class StandaloneTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _networkClock = new(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
    private StandaloneServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await StandaloneServer.StartAsync(new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true }, _networkClock, default);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ILedgerClient Client(LedgerApiKind kind) => LedgerClientFactory.Create(new LedgerClientOptions
    {
        Kind = kind,
        Url = kind == LedgerApiKind.Horizon ? _server.HorizonUri : _server.RpcUri,
        NetworkPassphrase = _server.Network.Passphrase,
        PollInterval = TimeSpan.FromMilliseconds(20),
        RetryInitialDelay = TimeSpan.FromMilliseconds(20),
    }, new HttpClient(), TimeProvider.System);

    private async Task<(KeyPair Account, SubmitOutcome Outcome)> CreateAccountAsync(ILedgerClient client, decimal lumens)
    {
        var root = (await client.LoadAccountAsync(_server.Root.AccountId, default))!;
        var account = KeyPair.Random();
        var env = new TransactionBuilder(_server.Root.AccountId, root.Sequence)
            .AddOperation(new CreateAccountOperation(account.AccountId, Stroops.FromLumens(lumens)))
            .BuildEnvelope().Sign(_server.Network, _server.Root);
        return (account, await client.SubmitAsync(env, default));
    }

    [Theory]
    [InlineData(LedgerApiKind.Horizon)]
    [InlineData(LedgerApiKind.Rpc)]
    public async Task NetworkAccountsAndFees_AreRead(LedgerApiKind kind)
    {
        var client = Client(kind);

        Assert.Equal(_server.Network, await client.GetNetworkAsync(default));
        var (account, outcome) = await CreateAccountAsync(client, 50);
        Assert.True(outcome.Success, outcome.ResultCodesText);
        var loaded = await client.LoadAccountAsync(account.AccountId, default);
        Assert.NotNull(loaded);
        Assert.Equal(Stroops.FromLumens(50), loaded.Balance);
        Assert.Equal(SequenceNumber.FromLedger(outcome.Ledger!.Value), loaded.Sequence);
        Assert.Null(await client.LoadAccountAsync(KeyPair.Random().AccountId, default));
        Assert.True((await client.GetFeeStatsAsync(default)).LastLedgerBaseFee >= 100);
        Assert.Equal(outcome.Ledger, (await client.GetLatestLedgerAsync(default)).Sequence);
    }

    [Theory]
    [InlineData(LedgerApiKind.Horizon)]
    [InlineData(LedgerApiKind.Rpc)]
    public async Task Submit_ReportsABadSequenceWithoutThrowing(LedgerApiKind kind)
    {
        var client = Client(kind);
        var root = (await client.LoadAccountAsync(_server.Root.AccountId, default))!;
        var env = new TransactionBuilder(_server.Root.AccountId, root.Sequence + 5)
            .AddOperation(new BumpSequenceOperation(new SequenceNumber(0)))
            .BuildEnvelope().Sign(_server.Network, _server.Root);

        var outcome = await client.SubmitAsync(env, default);

        Assert.False(outcome.Success);
        Assert.Equal(env.Hash(_server.Network), outcome.Hash);
        Assert.StartsWith("tx_bad_seq", outcome.ResultCodesText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LedgerApiKind.Horizon)]
    [InlineData(LedgerApiKind.Rpc)]
    public async Task Stream_DeliversEveryLedgerInOrder_WithFailedTransactionsToo(LedgerApiKind kind)
    {
        var client = Client(kind);
        var start = (await client.GetLatestLedgerAsync(default)).Sequence;
        var (poor, created) = await CreateAccountAsync(client, 2);
        // A payment beyond the balance fails on the ledger (op underfunded) but is still in it.
        var failing = new TransactionBuilder(poor.AccountId, SequenceNumber.FromLedger(created.Ledger!.Value))
            .AddOperation(new PaymentOperation(_server.Root.AccountId, Asset.Native, Stroops.FromLumens(500)))
            .BuildEnvelope().Sign(_server.Network, poor);
        var failed = await client.SubmitAsync(failing, default);
        Assert.False(failed.Success);
        Assert.NotNull(failed.Ledger);
        var empty = await _server.CloseLedgerAsync();

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var got = new List<ClosedLedger>();
        await foreach (var ledger in client.StreamLedgersAsync(start, cts.Token))
        {
            got.Add(ledger);
            if (ledger.Header.Sequence == empty.Sequence)
            {
                break;
            }
        }

        Assert.Equal(Enumerable.Range((int)start + 1, (int)(empty.Sequence - start)).Select(i => (uint)i), got.Select(l => l.Header.Sequence));
        var all = got.SelectMany(l => l.Transactions).ToList();
        Assert.Contains(all, t => t.Hash == created.Hash && t.Successful);
        Assert.Contains(all, t => t.Hash == failing.Hash(_server.Network) && !t.Successful && t.Ledger == failed.Ledger);
        Assert.Equal(empty.CloseTime, got[^1].Header.CloseTime);
    }
}
