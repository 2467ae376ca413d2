using System.Collections.Immutable;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Ledger.Rpc;

/// <summary>A JSON-RPC error object returned by Stellar RPC.</summary>
public sealed class RpcException : LedgerClientException
{
    public RpcException(int code, string message) : base($"RPC error {code}: {message}") => Code = code;

    public RpcException() : base("RPC error") { }

    public RpcException(string message) : base(message) { }

    public RpcException(string message, Exception inner) : base(message, inner) { }

    public int Code { get; }
}

/// <summary>
/// <see cref="ILedgerClient"/> over Stellar RPC (JSON-RPC 2.0 with named parameters). RPC has no push
/// stream, so ledgers are polled with getLedgers and their transactions read with getTransactions.
/// </summary>
public sealed class RpcLedgerClient : ILedgerClient
{
    private readonly HttpClient _http;
    private readonly LedgerClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Uri _url;
    private readonly Network _network;
    private long _nextId;
    private readonly NetworkGuard _networkGuard;

    public RpcLedgerClient(HttpClient http, LedgerClientOptions options, TimeProvider time, ILogger<RpcLedgerClient>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        _time = time;
        _log = log ?? (ILogger)NullLogger.Instance;
        _url = options.Url ?? throw new ArgumentException("Url is required", nameof(options));
        _network = new Network(options.NetworkPassphrase);
        _networkGuard = new NetworkGuard(options.NetworkPassphrase, GetNetworkAsync);
    }

    public async Task<Network> GetNetworkAsync(CancellationToken ct)
    {
        using var doc = await CallAsync("getNetwork", null, ct).ConfigureAwait(false);
        return new Network(doc.RootElement.Prop("result").Str("passphrase"));
    }

    public async Task<AccountSnapshot?> LoadAccountAsync(AccountId id, CancellationToken ct)
    {
        var key = XdrCodec.ToBase64(LedgerKey.Account(id));
        using var doc = await CallAsync("getLedgerEntries", new JsonObject { ["keys"] = new JsonArray(key) }, ct).ConfigureAwait(false);
        var entries = doc.RootElement.Prop("result").OptProp("entries");
        if (entries is not { ValueKind: JsonValueKind.Array } list || list.GetArrayLength() == 0)
        {
            return null;
        }
        var xdr = Convert.FromBase64String(list[0].Str("xdr"));
        return Json.Parse("RPC account entry", () => AccountEntries.FromLedgerEntryData(xdr));
    }

    public async Task<SubmitOutcome> SubmitAsync(TransactionEnvelope envelope, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        await _networkGuard.EnsureAsync(ct).ConfigureAwait(false);
        var hash = envelope.Hash(_network);
        using (var doc = await CallAsync("sendTransaction", new JsonObject { ["transaction"] = envelope.ToXdrBase64() }, ct).ConfigureAwait(false))
        {
            var result = doc.RootElement.Prop("result");
            switch (result.Str("status"))
            {
                case "ERROR":
                    var error = result.OptStr("errorResultXdr") is { } x
                        ? Json.Parse("RPC errorResultXdr", () => XdrCodec.FromBase64<TransactionResult>(x))
                        : null;
                    return new SubmitOutcome(hash, false, null, error, error is null ? "error" : ResultCodeText.Of(error));
                case "TRY_AGAIN_LATER":
                    return new SubmitOutcome(hash, false, null, null, "try_again_later");
                case "PENDING" or "DUPLICATE":
                    break;
                case var other:
                    throw new LedgerClientException($"sendTransaction answered unknown status \"{other}\"");
            }
        }

        var deadline = _time.GetUtcNow() + _options.SubmitTimeout;
        while (_time.GetUtcNow() < deadline)
        {
            await Task.Delay(_options.PollInterval, _time, ct).ConfigureAwait(false);
            using var doc = await CallAsync("getTransaction", new JsonObject { ["hash"] = hash.ToString() }, ct).ConfigureAwait(false);
            var result = doc.RootElement.Prop("result");
            if (result.Str("status") is "SUCCESS" or "FAILED")
            {
                var tx = RpcJson.Transaction(result, hash);
                return new SubmitOutcome(hash, tx.Successful, tx.Ledger, tx.Result, ResultCodeText.Of(tx.Result));
            }
        }
        return new SubmitOutcome(hash, false, null, null, "timeout");
    }

    public async Task<LedgerHeaderInfo> GetLatestLedgerAsync(CancellationToken ct)
    {
        var latest = await LatestSequenceAsync(ct).ConfigureAwait(false);
        var page = await GetLedgersAsync(latest, 1, ct).ConfigureAwait(false);
        return page.Ledgers.Count == 1
            ? ToHeader(page.Ledgers[0], page.ProtocolFallback)
            : throw new LedgerClientException($"getLedgers did not return the latest ledger {latest}");
    }

    public async Task<FeeStatsInfo> GetFeeStatsAsync(CancellationToken ct)
    {
        var latest = await GetLatestLedgerAsync(ct).ConfigureAwait(false);
        using var doc = await CallAsync("getFeeStats", null, ct).ConfigureAwait(false);
        return RpcJson.FeeStats(doc.RootElement.Prop("result"), latest.BaseFee);
    }

    public async IAsyncEnumerable<ClosedLedger> StreamLedgersAsync(uint afterLedger, [EnumeratorCancellation] CancellationToken ct)
    {
        var next = afterLedger + 1;
        var backoff = new CappedBackoff(_options.RetryInitialDelay, _options.RetryMaxDelay, _time);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            List<ClosedLedger>? batch;
            try
            {
                await _networkGuard.EnsureAsync(ct).ConfigureAwait(false);
                batch = await ReadBatchAsync(next, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (HttpJson.IsTransient(e, ct))
            {
                _log.LogWarning(e, "RPC: reading ledgers after {Ledger} failed; retrying", next - 1);
                await backoff.WaitAsync(ct).ConfigureAwait(false);
                continue;
            }

            backoff.Reset();
            if (batch is null)
            {
                await Task.Delay(_options.PollInterval, _time, ct).ConfigureAwait(false);
                continue;
            }
            foreach (var ledger in batch)
            {
                yield return ledger;
                next = ledger.Header.Sequence + 1;
            }
        }
    }

    /// <summary>The next closed ledgers from <paramref name="next"/> with their transactions; null when none closed yet.</summary>
    private async Task<List<ClosedLedger>?> ReadBatchAsync(uint next, CancellationToken ct)
    {
        var latest = await LatestSequenceAsync(ct).ConfigureAwait(false);
        if (next > latest)
        {
            return null;
        }

        var page = await GetLedgersAsync(next, _options.PageSize, ct).ConfigureAwait(false);
        if (next < page.Oldest)
        {
            throw new LedgerHistoryUnavailableException(next, page.Oldest);
        }

        var ledgers = new List<RpcLedger>();
        foreach (var l in page.Ledgers)
        {
            if (l.Sequence < next + (uint)ledgers.Count)
            {
                continue;
            }
            if (l.Sequence != next + (uint)ledgers.Count)
            {
                throw new LedgerClientException($"getLedgers returned ledger {l.Sequence} while {next + (uint)ledgers.Count} was expected");
            }
            ledgers.Add(l);
        }
        if (ledgers.Count == 0)
        {
            return null;
        }

        var last = ledgers[^1].Sequence;
        var byLedger = await TransactionsAsync(next, last, ct).ConfigureAwait(false);
        return ledgers
            .Select(l => new ClosedLedger(ToHeader(l, page.ProtocolFallback), byLedger.TryGetValue(l.Sequence, out var txs) ? txs.ToImmutable() : []))
            .ToList();
    }

    /// <summary>All transactions of ledgers first..last, paging getTransactions until past <paramref name="last"/> or exhausted.</summary>
    private async Task<Dictionary<uint, ImmutableArray<LedgerTransaction>.Builder>> TransactionsAsync(uint first, uint last, CancellationToken ct)
    {
        var byLedger = new Dictionary<uint, ImmutableArray<LedgerTransaction>.Builder>();
        string? cursor = null;
        while (true)
        {
            var pagination = new JsonObject { ["limit"] = _options.PageSize };
            var args = new JsonObject { ["pagination"] = pagination };
            if (cursor is null)
            {
                args["startLedger"] = first;
            }
            else
            {
                pagination["cursor"] = cursor;
            }

            using var doc = await CallAsync("getTransactions", args, ct).ConfigureAwait(false);
            var result = doc.RootElement.Prop("result");
            var count = 0;
            var beyond = false;
            foreach (var e in result.Prop("transactions").EnumerateArray())
            {
                count++;
                var tx = RpcJson.Transaction(e);
                if (tx.Ledger > last)
                {
                    beyond = true;
                    break;
                }
                if (tx.Ledger < first)
                {
                    continue;
                }
                if (!byLedger.TryGetValue(tx.Ledger, out var list))
                {
                    byLedger[tx.Ledger] = list = ImmutableArray.CreateBuilder<LedgerTransaction>();
                }
                list.Add(tx);
            }

            // A short page means everything up to RPC's latest ledger (≥ last) has been listed.
            if (beyond || count < _options.PageSize)
            {
                return byLedger;
            }
            cursor = result.OptStr("cursor") ?? throw new LedgerClientException("getTransactions returned a full page without a cursor");
        }
    }

    private sealed record LedgersPage(List<RpcLedger> Ledgers, uint Oldest, uint ProtocolFallback);

    private async Task<LedgersPage> GetLedgersAsync(uint start, int limit, CancellationToken ct)
    {
        var args = new JsonObject { ["startLedger"] = start, ["pagination"] = new JsonObject { ["limit"] = limit } };
        using var doc = await CallAsync("getLedgers", args, ct).ConfigureAwait(false);
        var result = doc.RootElement.Prop("result");
        var ledgers = result.Prop("ledgers").EnumerateArray().Select(RpcJson.Ledger).ToList();
        var oldest = (uint)(result.OptInt64("oldestLedger") ?? 0);
        return new LedgersPage(ledgers, oldest, await ProtocolVersionAsync(ct).ConfigureAwait(false));
    }

    private uint? _protocolVersion;

    /// <summary>Protocol version from getNetwork, for ledgers whose header XDR is not provided.</summary>
    private async Task<uint> ProtocolVersionAsync(CancellationToken ct)
    {
        if (_protocolVersion is { } v)
        {
            return v;
        }
        using var doc = await CallAsync("getNetwork", null, ct).ConfigureAwait(false);
        var version = (uint)(doc.RootElement.Prop("result").OptInt64("protocolVersion") ?? 0);
        _protocolVersion = version;
        return version;
    }

    private async Task<uint> LatestSequenceAsync(CancellationToken ct)
    {
        using var doc = await CallAsync("getLatestLedger", null, ct).ConfigureAwait(false);
        return doc.RootElement.Prop("result").UInt32("sequence");
    }

    private static LedgerHeaderInfo ToHeader(RpcLedger l, uint protocolFallback) => new(
        l.Sequence,
        l.CloseTime,
        l.Hash,
        // Without the header XDR the base fee is unknown; the protocol minimum is the safe floor for fee decisions.
        l.Header?.BaseFee ?? 100,
        l.Header?.LedgerVersion ?? protocolFallback);


    private async Task<JsonDocument> CallAsync(string method, JsonObject? args, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = Interlocked.Increment(ref _nextId),
            ["method"] = method,
        };
        if (args is not null)
        {
            body["params"] = args;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, _url)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        var (status, doc) = await HttpJson.SendAsync(_http, request, ct).ConfigureAwait(false);
        if (doc is null)
        {
            throw new LedgerClientException($"RPC {method} answered {(int)status} without a body", status);
        }
        if (doc.RootElement.OptProp("error") is { } error)
        {
            var code = (int)(error.OptInt64("code") ?? 0);
            var message = error.OptStr("message") ?? "";
            doc.Dispose();
            throw new RpcException(code, $"{method}: {message}");
        }
        if (status != HttpStatusCode.OK || doc.RootElement.OptProp("result") is null)
        {
            doc.Dispose();
            throw new LedgerClientException($"RPC {method} answered {(int)status} without a result", status);
        }
        return doc;
    }
}
