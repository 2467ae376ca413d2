using System.Net;

namespace Watchtower.Ledger;

/// <summary>The ledger API answered something other than what its documentation promises (or an HTTP error).</summary>
public class LedgerClientException : Exception
{
    public LedgerClientException(string message, HttpStatusCode? status = null, Exception? inner = null)
        : base(message, inner) => Status = status;

    public LedgerClientException() : base("ledger API error") { }

    public LedgerClientException(string message) : base(message) { }

    public LedgerClientException(string message, Exception inner) : base(message, inner) { }

    public HttpStatusCode? Status { get; }
}

/// <summary>The API no longer holds the history needed to continue without a gap (e.g. RPC retention window passed).</summary>
public sealed class LedgerHistoryUnavailableException : LedgerClientException
{
    public LedgerHistoryUnavailableException(uint wanted, uint oldestAvailable)
        : base($"ledger {wanted} is older than the oldest ledger the API retains ({oldestAvailable})")
    {
        Wanted = wanted;
        OldestAvailable = oldestAvailable;
    }

    public LedgerHistoryUnavailableException() : base("ledger history unavailable") { }

    public LedgerHistoryUnavailableException(string message) : base(message) { }

    public LedgerHistoryUnavailableException(string message, Exception inner) : base(message, inner) { }

    public uint Wanted { get; }
    public uint OldestAvailable { get; }
}

/// <summary>The API serves another network than the configured passphrase.</summary>
public sealed class NetworkMismatchException : LedgerClientException
{
    public NetworkMismatchException(string expected, string actual)
        : base($"ledger API serves network \"{actual}\", configured \"{expected}\"") { }

    public NetworkMismatchException() : base("network mismatch") { }

    public NetworkMismatchException(string message) : base(message) { }

    public NetworkMismatchException(string message, Exception inner) : base(message, inner) { }
}
