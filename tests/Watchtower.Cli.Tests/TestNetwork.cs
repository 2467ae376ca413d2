using Microsoft.Extensions.Time.Testing;
using Watchtower.Ledger;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Cli.Tests;

/// <summary>
/// The standalone network the CLI tests run against: a ledger closes on every submission, and
/// ledger time moves only when a test advances it. Accounts are funded from its root.
/// </summary>
internal sealed class TestNetwork : IAsyncDisposable
{
    private readonly HttpClient _http;

    private TestNetwork(StandaloneServer server, HttpClient http)
    {
        Server = server;
        _http = http;
        Ledger = LedgerClientFactory.Create(new LedgerClientOptions { Url = server.HorizonUri, NetworkPassphrase = server.Network.Passphrase }, http, TimeProvider.System);
    }

    public StandaloneServer Server { get; }

    public ILedgerClient Ledger { get; }

    public static async Task<TestNetwork> StartAsync() =>
        new(await StandaloneServer.StartAsync(
            new StandaloneOptions { Port = 0, CloseInterval = null, CloseOnSubmit = true },
            new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000)),
            CancellationToken.None), new HttpClient());

    /// <summary>Creates each account with its starting balance, in one transaction from the root.</summary>
    public async Task FundAsync(IEnumerable<(AccountId Account, Stroops Balance)> accounts, CancellationToken ct)
    {
        var root = await Ledger.LoadAccountAsync(Server.Root.AccountId, ct);
        var create = new TransactionBuilder(Server.Root.AccountId, root!.Sequence);
        foreach (var (account, balance) in accounts)
        {
            create = create.AddOperation(new CreateAccountOperation(account, balance));
        }

        var created = await Ledger.SubmitAsync(create.BuildEnvelope().Sign(Server.Network, Server.Root), ct);
        Assert.True(created.Success, created.ResultCodesText);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _http.Dispose();
    }
}
