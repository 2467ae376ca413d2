using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Watchtower.Standalone.Engine;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Standalone.Http;

/// <summary>The Stellar RPC subset (JSON-RPC 2.0, named parameters) with stellar-rpc's response shapes.</summary>
internal sealed class RpcEndpoints(LedgerHost host)
{
    private const int InvalidParams = -32602;

    public void Map(IEndpointRouteBuilder app) => app.MapPost("/rpc", Handle);

    private async Task Handle(HttpContext ctx)
    {
        JsonNode? request;
        try
        {
            request = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            await Reply(ctx, null, Error(-32700, "parse error")).ConfigureAwait(false);
            return;
        }

        if (request is not JsonObject call)
        {
            await Reply(ctx, null, Error(-32600, "invalid request: expected one JSON-RPC call object")).ConfigureAwait(false);
            return;
        }

        var id = call["id"]?.DeepClone();
        var method = call["method"]?.GetValueKind() == JsonValueKind.String ? call["method"]!.GetValue<string>() : null;
        var p = call["params"] as JsonObject ?? new JsonObject();
        JsonObject response;
        try
        {
            response = method switch
            {
                "getNetwork" => Result(GetNetwork(ctx)),
                "getHealth" => Result(GetHealth()),
                "getLatestLedger" => Result(GetLatestLedger()),
                "getLedgers" => GetLedgers(p),
                "getTransaction" => GetTransaction(p),
                "getTransactions" => GetTransactions(p),
                "sendTransaction" => SendTransaction(p),
                "getLedgerEntries" => GetLedgerEntries(p),
                "getFeeStats" => Result(GetFeeStats()),
                null => Error(-32600, "invalid request"),
                _ => Error(-32601, "method not found"),
            };
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or OverflowException)
        {
            // Malformed XDR, or a parameter of the wrong JSON type.
            response = Error(InvalidParams, e.Message);
        }

        await Reply(ctx, id, response).ConfigureAwait(false);
    }

    private static Task Reply(HttpContext ctx, JsonNode? id, JsonObject response)
    {
        var body = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id };
        foreach (var (key, value) in response)
        {
            body[key] = value?.DeepClone();
        }

        return HttpIo.WriteJson(ctx, 200, body, "application/json");
    }

    private static JsonObject Result(JsonObject result) => new() { ["result"] = result };

    private static JsonObject Error(int code, string message) => new() { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };

    private JsonObject GetNetwork(HttpContext ctx) => new()
    {
        ["friendbotUrl"] = $"{HttpIo.BaseUrl(ctx)}/friendbot",
        ["passphrase"] = host.Network.Passphrase,
        ["protocolVersion"] = host.Read(e => e.Latest.Header.ProtocolVersion),
    };

    private JsonObject GetHealth() => host.Read(e =>
    {
        var health = new JsonObject { ["status"] = "healthy" };
        foreach (var (key, value) in Window(e, WindowStyle.CloseTimeStrings))
        {
            health[key] = value?.DeepClone();
        }

        health["ledgerRetentionWindow"] = e.Latest.Sequence;
        return health;
    });

    private JsonObject GetLatestLedger() => host.Read(e =>
    {
        var l = e.Latest;
        return new JsonObject
        {
            ["id"] = l.Header.Hash.ToString(),
            ["protocolVersion"] = l.Header.ProtocolVersion,
            ["sequence"] = l.Sequence,
            ["closeTime"] = Str(l.Header.CloseTime),
            ["headerXdr"] = Convert.ToBase64String(l.Header.HeaderXdr),
            ["metadataXdr"] = Convert.ToBase64String(l.CloseMetaXdr()),
        };
    });

    private JsonObject GetFeeStats()
    {
        var stats = host.Read(FeeStatistics.Of);
        JsonObject Inclusion(FeeStatistics s)
        {
            var d = s.Distribution(s.Bids);
            d["transactionCount"] = s.TransactionCount.ToString(CultureInfo.InvariantCulture);
            d["ledgerCount"] = s.LedgerCount;
            return d;
        }

        // No Soroban here: its distribution is the empty one.
        var soroban = (stats with { Bids = [], TransactionCount = 0 });
        return new JsonObject { ["sorobanInclusionFee"] = Inclusion(soroban), ["inclusionFee"] = Inclusion(stats), ["latestLedger"] = stats.Latest.Sequence };
    }

    private JsonObject GetLedgers(JsonObject p)
    {
        var (start, cursor, limit) = Paging(p, "startLedger");
        return host.Read(e =>
        {
            var from = cursor is { } c ? (uint)c + 1 : start ?? throw new FormatException("startLedger or pagination.cursor is required");
            if (from < 1 || from > e.Latest.Sequence && cursor is null)
            {
                return Error(InvalidParams, $"startLedger must be between the oldest ledger: 1 and the latest ledger: {e.Latest.Sequence}");
            }

            var ledgers = new JsonArray();
            uint last = from - 1;
            for (var seq = from; seq <= e.Latest.Sequence && ledgers.Count < limit; seq++)
            {
                var l = e.GetLedger(seq)!;
                ledgers.Add(new JsonObject
                {
                    ["hash"] = l.Header.Hash.ToString(),
                    ["sequence"] = seq,
                    ["ledgerCloseTime"] = Str(l.Header.CloseTime),
                    ["headerXdr"] = Convert.ToBase64String(l.Header.HistoryEntryXdr()),
                    ["metadataXdr"] = Convert.ToBase64String(l.CloseMetaXdr()),
                });
                last = seq;
            }

            var window = Window(e, WindowStyle.CloseTimeNumbers);
            window["ledgers"] = ledgers;
            window["cursor"] = Str(last);
            return Result(window);
        });
    }

    private JsonObject GetTransaction(JsonObject p)
    {
        var hashText = p["hash"]?.GetValue<string>() ?? throw new FormatException("hash is required");
        if (!TransactionHash.TryParse(hashText, out var hash))
        {
            throw new FormatException("hash must be 64 hex characters");
        }

        return host.Read(e =>
        {
            var window = Window(e, WindowStyle.CloseTimeStrings);
            var tx = e.GetTransaction(hash);
            if (tx is null)
            {
                window["status"] = "NOT_FOUND";
                window["txHash"] = hash.ToString();
                return Result(window);
            }

            foreach (var (key, value) in TransactionInfo(tx, createdAtAsString: true))
            {
                window[key] = value?.DeepClone();
            }

            return Result(window);
        });
    }

    private JsonObject GetTransactions(JsonObject p)
    {
        var (start, cursor, limit) = Paging(p, "startLedger");
        return host.Read(e =>
        {
            long after;
            if (cursor is { } c)
            {
                after = c;
            }
            else
            {
                var s = start ?? throw new FormatException("startLedger or pagination.cursor is required");
                if (s < 1 || s > e.Latest.Sequence)
                {
                    return Error(InvalidParams, $"startLedger must be between the oldest ledger: 1 and the latest ledger: {e.Latest.Sequence}");
                }

                after = Toid.Of(s, 0, 0);
            }

            var firstLedger = (uint)Math.Max(1, after >> 32);
            var txs = new JsonArray();
            var lastToken = after;
            for (var seq = firstLedger; seq <= e.Latest.Sequence && txs.Count < limit; seq++)
            {
                foreach (var tx in e.GetLedger(seq)!.Transactions)
                {
                    if (tx.PagingToken <= after || txs.Count >= limit)
                    {
                        continue;
                    }

                    txs.Add(TransactionInfo(tx, createdAtAsString: false));
                    lastToken = tx.PagingToken;
                }

                if (txs.Count < limit)
                {
                    lastToken = Math.Max(lastToken, Toid.Of(seq + 1, 0, 0) - 1);
                }
            }

            var window = Window(e, WindowStyle.CloseTimestampNumbers);
            window["transactions"] = txs;
            window["cursor"] = Str(lastToken);
            return Result(window);
        });
    }

    private JsonObject SendTransaction(JsonObject p)
    {
        var text = p["transaction"]?.GetValue<string>() ?? throw new FormatException("transaction is required");
        var result = SubmittedEnvelope.Read(text) switch
        {
            SubmittedEnvelope.Modelled { Envelope: var envelope } => host.SubmitNoWait(envelope),
            SubmittedEnvelope.Unmodelled { Envelope: var unmodelled } => host.Refuse(unmodelled),
            SubmittedEnvelope.Malformed { Reason: var reason } => throw new FormatException(reason),
            _ => throw new InvalidOperationException("unknown submission"),
        };
        var latest = host.Read(e => e.Latest.Header);
        var body = new JsonObject
        {
            ["status"] = result.Status switch
            {
                SubmitStatus.Pending => "PENDING",
                SubmitStatus.Duplicate => "DUPLICATE",
                SubmitStatus.TryAgainLater => "TRY_AGAIN_LATER",
                _ => "ERROR",
            },
            ["hash"] = result.Hash.ToString(),
            ["latestLedger"] = latest.Sequence,
            ["latestLedgerCloseTime"] = Str(latest.CloseTime),
        };
        if (result.Error is { } error)
        {
            body["errorResultXdr"] = XdrCodec.ToBase64(error);
        }

        return Result(body);
    }

    private JsonObject GetLedgerEntries(JsonObject p)
    {
        var keys = p["keys"] as JsonArray ?? throw new FormatException("keys is required");
        var ids = keys.Select(k => XdrCodec.FromBase64<LedgerKey>(k?.GetValue<string>() ?? throw new FormatException("keys must be strings")).AccountId).ToList();
        return host.Read(e =>
        {
            var entries = new JsonArray();
            foreach (var id in ids)
            {
                if (e.GetAccount(id) is not { } account)
                {
                    continue;
                }

                var w = new XdrWriter(256);
                w.WriteInt32((int)LedgerEntryType.Account);
                ToAccountEntry(account).WriteXdr(w);
                entries.Add(new JsonObject
                {
                    ["key"] = XdrCodec.ToBase64(LedgerKey.Account(id)),
                    ["xdr"] = Convert.ToBase64String(w.WrittenSpan),
                    ["lastModifiedLedgerSeq"] = account.LastModifiedLedger,
                });
            }

            return Result(new JsonObject { ["entries"] = entries, ["latestLedger"] = e.Latest.Sequence });
        });
    }

    /// <summary>The core AccountEntry (with the v3 extension holding seqLedger/seqTime).</summary>
    public static AccountEntry ToAccountEntry(AccountState a) => new()
    {
        AccountId = a.Id,
        Balance = new Stroops(a.Balance),
        SeqNum = new SequenceNumber(a.SeqNum),
        NumSubEntries = a.NumSubEntries,
        InflationDest = a.InflationDest,
        Flags = a.Flags,
        HomeDomain = a.HomeDomain,
        Thresholds = a.Thresholds,
        Signers = a.Signers,
        V1 = new AccountEntryExtensionV1(default, new AccountEntryExtensionV2(0, 0,
            [.. a.Signers.Select(_ => new SponsorshipDescriptor(null))], new AccountEntryExtensionV3(a.SeqLedger, a.SeqTime))),
    };

    private static JsonObject TransactionInfo(TransactionRecord tx, bool createdAtAsString)
    {
        var created = tx.CreatedAt.ToUnixTimeSeconds();
        return new JsonObject
        {
            ["status"] = tx.Successful ? "SUCCESS" : "FAILED",
            ["txHash"] = tx.Hash.ToString(),
            ["applicationOrder"] = tx.ApplicationOrder,
            ["feeBump"] = tx.Frame.IsFeeBump,
            ["envelopeXdr"] = Convert.ToBase64String(tx.EnvelopeXdr),
            ["resultXdr"] = Convert.ToBase64String(tx.ResultXdr),
            ["resultMetaXdr"] = Convert.ToBase64String(tx.MetaXdr),
            ["ledger"] = tx.Ledger,
            ["createdAt"] = createdAtAsString ? JsonValue.Create(Str(created)) : JsonValue.Create(created),
        };
    }

    // stellar-rpc names and types the retention window differently per method, and clients validate
    // against exactly that (protocol/get_ledgers.go, get_transactions.go, get_transaction.go, get_health.go).
    private enum WindowStyle
    {
        /// <summary>getLedgers: latestLedgerCloseTime / oldestLedgerCloseTime as numbers.</summary>
        CloseTimeNumbers,

        /// <summary>getTransactions: latestLedgerCloseTimestamp / oldestLedgerCloseTimestamp as numbers.</summary>
        CloseTimestampNumbers,

        /// <summary>getTransaction, getHealth: latestLedgerCloseTime / oldestLedgerCloseTime as strings.</summary>
        CloseTimeStrings,
    }

    private static JsonObject Window(StandaloneNetwork e, WindowStyle style)
    {
        var latest = e.Latest.Header.CloseTime;
        var oldest = e.GetLedger(1)!.Header.CloseTime;
        var suffix = style == WindowStyle.CloseTimestampNumbers ? "CloseTimestamp" : "CloseTime";
        JsonNode Time(ulong t) => style == WindowStyle.CloseTimeStrings ? JsonValue.Create(Str(t)) : JsonValue.Create((long)t);
        return new JsonObject
        {
            ["latestLedger"] = e.Latest.Sequence,
            [$"latestLedger{suffix}"] = Time(latest),
            ["oldestLedger"] = 1,
            [$"oldestLedger{suffix}"] = Time(oldest),
        };
    }

    private static (uint? Start, long? Cursor, int Limit) Paging(JsonObject p, string startName)
    {
        uint? start = p[startName] is { } s ? s.GetValue<uint>() : null;
        var pagination = p["pagination"] as JsonObject;
        long? cursor = pagination?["cursor"] is { } c
            ? long.Parse(c.GetValue<string>(), NumberStyles.None, CultureInfo.InvariantCulture)
            : null;
        var limit = pagination?["limit"] is { } l ? l.GetValue<int>() : 100;
        if (limit < 1 || limit > 10000)
        {
            throw new FormatException("limit must be between 1 and 10000");
        }

        if (start is not null && cursor is not null)
        {
            throw new FormatException("startLedger and cursor cannot both be set");
        }

        return (start, cursor, limit);
    }

    private static string Str(ulong v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Str(long v) => v.ToString(CultureInfo.InvariantCulture);
}
