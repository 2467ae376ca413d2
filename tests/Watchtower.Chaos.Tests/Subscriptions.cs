using Watchtower.Stellar;
using Watchtower.TowerClient;

namespace Watchtower.Chaos.Tests;

/// <summary>The one place the harness creates a subscription at the tower: an operator-signed command, answered to the harness only.</summary>
internal static class Subscriptions
{
    public static async Task CreateAsync(TowerOperator tower, Guid subscription, AccountId walletKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tower);
        var (_, rejected) = await tower.RegisterAsync(subscription, walletKey, maxChannels: 4, maxBytes: 1 << 20, DateTimeOffset.UtcNow.AddYears(1), ct).ConfigureAwait(false);
        if (rejected is not null)
        {
            throw new InvalidOperationException($"the tower refused subscription {subscription}: {rejected.Reason} {rejected.Detail}");
        }
    }
}
