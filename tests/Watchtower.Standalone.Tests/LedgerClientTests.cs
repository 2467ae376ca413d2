using Watchtower.Ledger;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Tests;

/// <summary>Our own ledger clients (Horizon and RPC) against the standalone network, unchanged.</summary>
public sealed class LedgerClientTests
{
    [Theory]
    [InlineData(LedgerApiKind.Horizon)]
    [InlineData(LedgerApiKind.Rpc)]
    public async Task LedgerClient_LoadsSubmitsAndStreams(LedgerApiKind kind)
    {
        await using var server = await StandaloneServer.StartAsync(
            new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true }, TimeProvider.System, CancellationToken.None);
        using var http = new HttpClient();
        var client = LedgerClientFactory.Create(new LedgerClientOptions
        {
            Kind = kind,
            Url = kind == LedgerApiKind.Horizon ? server.HorizonUri : server.RpcUri,
            NetworkPassphrase = server.Network.Passphrase,
            PollInterval = TimeSpan.FromMilliseconds(50),
        }, http, TimeProvider.System);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;

        Assert.Equal(server.Network.Passphrase, (await client.GetNetworkAsync(ct)).Passphrase);
        var root = await client.LoadAccountAsync(server.Root.AccountId, ct);
        Assert.NotNull(root);
        Assert.Null(await client.LoadAccountAsync(KeyPair.Random().AccountId, ct));
        var start = (await client.GetLatestLedgerAsync(ct)).Sequence;

        var fresh = KeyPair.Random();
        var create = new TransactionBuilder(server.Root.AccountId, root.Sequence)
            .AddOperation(new CreateAccountOperation(fresh.AccountId, Stroops.FromLumens(50m)))
            .BuildEnvelope().Sign(server.Network, server.Root);
        var created = await client.SubmitAsync(create, ct);
        Assert.True(created.Success, created.ResultCodesText);

        var failing = new TransactionBuilder(fresh.AccountId, (await client.LoadAccountAsync(fresh.AccountId, ct))!.Sequence)
            .AddOperation(new PaymentOperation(KeyPair.Random().AccountId, Asset.Native, Stroops.FromLumens(1m)))
            .BuildEnvelope().Sign(server.Network, fresh);
        var failed = await client.SubmitAsync(failing, ct);
        Assert.False(failed.Success);
        Assert.NotNull(failed.Result);

        var seen = new List<LedgerTransaction>();
        await foreach (var ledger in client.StreamLedgersAsync(start, ct))
        {
            seen.AddRange(ledger.Transactions);
            if (seen.Any(t => t.Hash == failed.Hash))
            {
                break;
            }
        }

        Assert.Contains(seen, t => t.Hash == created.Hash && t.Successful);
        Assert.Contains(seen, t => t.Hash == failed.Hash && !t.Successful);
        Assert.Equal(100, (await client.GetFeeStatsAsync(ct)).LastLedgerBaseFee);
    }
}
