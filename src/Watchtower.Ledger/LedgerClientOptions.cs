using System.ComponentModel.DataAnnotations;

namespace Watchtower.Ledger;

public enum LedgerApiKind
{
    Horizon,
    Rpc,
}

/// <summary>Which ledger API to use and where. Bound from configuration section "Ledger".</summary>
public sealed class LedgerClientOptions
{
    public LedgerApiKind Kind { get; set; } = LedgerApiKind.Horizon;

    [Required]
    public Uri? Url { get; set; }

    /// <summary>Expected network passphrase; the client refuses to talk to another network.</summary>
    [Required]
    public string NetworkPassphrase { get; set; } = "";

    /// <summary>First delay after a failed call; doubled on every consecutive failure.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of the retry delay.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often to ask for new ledgers when caught up and the API has no push stream (RPC), and how often to poll a submitted transaction.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long <see cref="ILedgerClient.SubmitAsync"/> waits for a pending transaction before reporting a timeout.</summary>
    public TimeSpan SubmitTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Page size for history requests (Horizon caps at 200).</summary>
    [Range(1, 200)]
    public int PageSize { get; set; } = 200;
}
