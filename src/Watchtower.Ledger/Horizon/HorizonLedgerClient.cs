using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Watchtower.Stellar;

namespace Watchtower.Ledger.Horizon;

/// <summary>
/// <see cref="ILedgerClient"/> over Horizon's REST API. Ledgers are read by paging
/// /ledgers from the cursor, then followed live over server-sent events; every ledger's
/// transactions (failed included) are paged from /ledgers/{seq}/transactions and counted
/// against the ledger's own transaction counts.
/// </summary>
public sealed class HorizonLedgerClient : ILedgerClient
{
    private readonly HttpClient _http;
    private readonly LedgerClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Uri _base;
    private readonly Network _network;
    private readonly NetworkGuard _networkGuard;

    public HorizonLedgerClient(HttpClient http, LedgerClientOptions options, TimeProvider time, ILogger<HorizonLedgerClient>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        _time = time;
        _log = log ?? (ILogger)NullLogger.Instance;
        _base = HttpJson.BaseUri(options.Url ?? throw new ArgumentException("Url is required", nameof(options)));
        _network = new Network(options.NetworkPassphrase);
        _networkGuard = new NetworkGuard(options.NetworkPassphrase, GetNetworkAsync);
    }

    /// <summary>Follow new ledgers over SSE once caught up (else poll). Off for servers without streaming.</summary>
    public bool UseStreaming { get; init; } = true;

    /// <summary>Reconnect the event stream when nothing arrived for this long (ledgers close every few seconds).</summary>
    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public async Task<Network> GetNetworkAsync(CancellationToken ct)
    {
        using var doc = await HttpJson.GetOkAsync(_http, _base, ct).ConfigureAwait(false);
        return new Network(HorizonJson.NetworkPassphrase(doc.RootElement));
    }

    public async Task<AccountSnapshot?> LoadAccountAsync(AccountId id, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Rel($"accounts/{id}"));
        var (status, body) = await HttpJson.SendAsync(_http, request, ct).ConfigureAwait(false);
        using (body)
        {
            return status switch
            {
                HttpStatusCode.NotFound => null,
                HttpStatusCode.OK when body is not null => HorizonJson.Account(body.RootElement),
                _ => throw new LedgerClientException($"GET accounts/{id} answered {(int)status}", status),
            };
        }
    }

    public async Task<SubmitOutcome> SubmitAsync(TransactionEnvelope envelope, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        await _networkGuard.EnsureAsync(ct).ConfigureAwait(false);
        var hash = envelope.Hash(_network);
        using var request = new HttpRequestMessage(HttpMethod.Post, Rel("transactions"))
        {
            Content = new FormUrlEncodedContent([new KeyValuePair<string, string>("tx", envelope.ToXdrBase64())]),
        };
        var (status, body) = await HttpJson.SendAsync(_http, request, ct).ConfigureAwait(false);
        using (body)
        {
            if (body is not null && HorizonJson.SubmitResponse(hash, (int)status, body.RootElement) is { } outcome)
            {
                // A transaction that failed in a ledger is answered 400 like a refused one; find which ledger.
                return outcome.Ledger is null && outcome.Result?.Code is TransactionResultCode.TxFailed or TransactionResultCode.TxFeeBumpInnerFailed
                    ? outcome with { Ledger = await LedgerOfAsync(hash, ct).ConfigureAwait(false) }
                    : outcome;
            }
        }

        if (status == HttpStatusCode.GatewayTimeout)
        {
            // Horizon gave up waiting for the ledger, the transaction may still apply: look it up by hash.
            return await AwaitByHashAsync(hash, ct).ConfigureAwait(false);
        }

        throw new LedgerClientException($"POST transactions answered {(int)status}", status);
    }

    private async Task<uint?> LedgerOfAsync(TransactionHash hash, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Rel($"transactions/{hash}"));
        var (status, body) = await HttpJson.SendAsync(_http, request, ct).ConfigureAwait(false);
        using (body)
        {
            return status == HttpStatusCode.OK && body is not null ? body.RootElement.UInt32("ledger") : null;
        }
    }

    private async Task<SubmitOutcome> AwaitByHashAsync(TransactionHash hash, CancellationToken ct)
    {
        var deadline = _time.GetUtcNow() + _options.SubmitTimeout;
        while (_time.GetUtcNow() < deadline)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Rel($"transactions/{hash}"));
            var (status, body) = await HttpJson.SendAsync(_http, request, ct).ConfigureAwait(false);
            using (body)
            {
                if (status == HttpStatusCode.OK && body is not null)
                {
                    var tx = HorizonJson.Transaction(body.RootElement);
                    return new SubmitOutcome(hash, tx.Successful, tx.Ledger, tx.Result, ResultCodeText.Of(tx.Result));
                }
            }
            await Task.Delay(_options.PollInterval, _time, ct).ConfigureAwait(false);
        }
        return new SubmitOutcome(hash, false, null, null, "timeout");
    }

    public async Task<LedgerHeaderInfo> GetLatestLedgerAsync(CancellationToken ct)
    {
        using var doc = await HttpJson.GetOkAsync(_http, Rel("ledgers?order=desc&limit=1"), ct).ConfigureAwait(false);
        var record = HorizonJson.Records(doc.RootElement).FirstOrDefault();
        return record.ValueKind == JsonValueKind.Object
            ? HorizonJson.Ledger(record)
            : throw new LedgerClientException("Horizon has no ledgers");
    }

    public async Task<FeeStatsInfo> GetFeeStatsAsync(CancellationToken ct)
    {
        using var doc = await HttpJson.GetOkAsync(_http, Rel("fee_stats"), ct).ConfigureAwait(false);
        return HorizonJson.FeeStats(doc.RootElement);
    }

    public async IAsyncEnumerable<ClosedLedger> StreamLedgersAsync(uint afterLedger, [EnumeratorCancellation] CancellationToken ct)
    {
        var next = afterLedger + 1;
        var backoff = new CappedBackoff(_options.RetryInitialDelay, _options.RetryMaxDelay, _time);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            List<ClosedLedger> page;
            try
            {
                await _networkGuard.EnsureAsync(ct).ConfigureAwait(false);
                page = await ReadPageAsync(next, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (HttpJson.IsTransient(e, ct))
            {
                _log.LogWarning(e, "Horizon: reading ledgers after {Ledger} failed; retrying", next - 1);
                await backoff.WaitAsync(ct).ConfigureAwait(false);
                continue;
            }

            foreach (var ledger in page)
            {
                yield return ledger;
                next = ledger.Header.Sequence + 1;
            }
            if (page.Count > 0)
            {
                backoff.Reset();
                continue;
            }

            // Caught up: follow the live stream until it ends, fails or shows a gap, then page again.
            if (!UseStreaming)
            {
                await Task.Delay(_options.PollInterval, _time, ct).ConfigureAwait(false);
                continue;
            }

            var failed = false;
            await using (var live = FollowAsync(next - 1, ct).GetAsyncEnumerator(ct))
            {
                while (true)
                {
                    ClosedLedger ledger;
                    try
                    {
                        if (!await live.MoveNextAsync().ConfigureAwait(false))
                        {
                            break;
                        }
                        var record = live.Current;
                        var seq = record.UInt32("sequence");
                        if (seq < next)
                        {
                            continue;
                        }
                        if (seq > next)
                        {
                            _log.LogWarning("Horizon stream jumped from {Expected} to {Got}; filling the gap by paging", next, seq);
                            break;
                        }
                        ledger = await BuildLedgerAsync(record, ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        // Nothing on the stream for StreamIdleTimeout: a quiet network (a standalone
                        // closing on demand) or a dead connection. Page, then reopen it; not a failure.
                        _log.LogDebug("Horizon stream idle after ledger {Ledger} for {Idle}; reopening", next - 1, StreamIdleTimeout);
                        break;
                    }
                    catch (Exception e) when (HttpJson.IsTransient(e, ct))
                    {
                        _log.LogWarning(e, "Horizon stream after ledger {Ledger} failed; reconnecting", next - 1);
                        failed = true;
                        break;
                    }

                    yield return ledger;
                    next = ledger.Header.Sequence + 1;
                    backoff.Reset();
                }
            }

            if (failed)
            {
                await backoff.WaitAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One page of ledgers after <paramref name="next"/> − 1, each with its transactions; in order and gap-free.</summary>
    private async Task<List<ClosedLedger>> ReadPageAsync(uint next, CancellationToken ct)
    {
        using var doc = await HttpJson.GetOkAsync(_http, Rel($"ledgers?cursor={Cursor(next - 1)}&order=asc&limit={_options.PageSize}"), ct).ConfigureAwait(false);
        var result = new List<ClosedLedger>();
        foreach (var record in HorizonJson.Records(doc.RootElement))
        {
            var seq = record.UInt32("sequence");
            if (seq < next)
            {
                continue;
            }
            if (seq != next)
            {
                // Horizon's history has a hole (partial ingestion): stop before it and retry later.
                throw new LedgerClientException($"Horizon returned ledger {seq} while {next} was expected");
            }
            result.Add(await BuildLedgerAsync(record, ct).ConfigureAwait(false));
            next++;
        }
        return result;
    }

    private async Task<ClosedLedger> BuildLedgerAsync(JsonElement record, CancellationToken ct)
    {
        var header = HorizonJson.Ledger(record);
        var expected = HorizonJson.TransactionCount(record);
        var txs = ImmutableArray.CreateBuilder<LedgerTransaction>();
        Uri? uri = Rel($"ledgers/{header.Sequence}/transactions?order=asc&limit={_options.PageSize}&include_failed=true");
        while (uri is not null)
        {
            using var doc = await HttpJson.GetOkAsync(_http, uri, ct).ConfigureAwait(false);
            var count = 0;
            foreach (var record2 in HorizonJson.Records(doc.RootElement))
            {
                txs.Add(HorizonJson.Transaction(record2));
                count++;
            }
            uri = count < _options.PageSize ? null : NextLink(doc.RootElement);
        }

        if (expected is { } n && n != txs.Count)
        {
            throw new LedgerClientException($"ledger {header.Sequence} reports {n} transactions, Horizon listed {txs.Count}");
        }
        return new ClosedLedger(header, txs.ToImmutable());
    }

    /// <summary>Ledger records from the event stream starting after <paramref name="after"/>.</summary>
    private async IAsyncEnumerable<JsonElement> FollowAsync(uint after, [EnumeratorCancellation] CancellationToken ct)
    {
        using var idle = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, idle.Token);
        idle.CancelAfter(StreamIdleTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, Rel($"ledgers?cursor={Cursor(after)}&order=asc"));
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            throw new LedgerClientException($"Horizon did not open an event stream ({(int)response.StatusCode})", response.StatusCode);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
        await foreach (var ev in ServerSentEvents.ReadAsync(stream, linked.Token).ConfigureAwait(false))
        {
            idle.CancelAfter(StreamIdleTimeout);
            // Horizon opens with a "hello" string and may send other non-record events: only objects are ledgers.
            if (!ev.Data.StartsWith('{'))
            {
                continue;
            }
            using var doc = JsonDocument.Parse(ev.Data);
            yield return doc.RootElement.Clone();
        }
    }


    private Uri? NextLink(JsonElement page) =>
        page.OptProp("_links")?.OptProp("next")?.OptStr("href") is { } href ? new Uri(_base, href) : null;

    /// <summary>A ledger's paging token is its TOID: sequence in the high 32 bits.</summary>
    internal static string Cursor(uint ledger) => ((long)ledger << 32).ToString(CultureInfo.InvariantCulture);

    private Uri Rel(string relative) => new(_base, relative);
}
