using Watchtower.Stellar;

namespace Watchtower.Ledger;

/// <summary>
/// Checks once per client that the server serves the configured network, so that a wrong URL fails
/// loudly before anything is submitted there or matched from there.
/// </summary>
internal sealed class NetworkGuard(string expectedPassphrase, Func<CancellationToken, Task<Network>> fetchNetwork)
{
    private volatile bool _checked;

    public async Task EnsureAsync(CancellationToken ct)
    {
        if (_checked)
        {
            return;
        }
        var actual = await fetchNetwork(ct).ConfigureAwait(false);
        if (actual.Passphrase != expectedPassphrase)
        {
            throw new NetworkMismatchException(expectedPassphrase, actual.Passphrase);
        }
        _checked = true;
    }
}
