using System.Collections.Immutable;
using System.Text.Json;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Ledger.Horizon;

/// <summary>Parsers for Horizon's JSON resources (documented shapes: account, ledger, transaction, fee_stats, root, problem).</summary>
internal static class HorizonJson
{
    public static string NetworkPassphrase(JsonElement root) => root.Str("network_passphrase");

    public static LedgerHeaderInfo Ledger(JsonElement e) => Json.Parse("Horizon ledger", () => new LedgerHeaderInfo(
        e.UInt32("sequence"),
        e.Time("closed_at"),
        e.Str("hash"),
        e.Int64("base_fee_in_stroops"),
        e.UInt32("protocol_version")));

    /// <summary>successful + failed transaction count of a ledger record, when Horizon reports them.</summary>
    public static int? TransactionCount(JsonElement e)
    {
        var ok = e.OptInt64("successful_transaction_count");
        var failed = e.OptInt64("failed_transaction_count");
        return ok is null ? null : (int)(ok.Value + (failed ?? 0));
    }

    public static LedgerTransaction Transaction(JsonElement e) => Json.Parse("Horizon transaction", () => new LedgerTransaction(
        TransactionHash.Parse(e.Str("hash")),
        EnvelopeDecoder.Decode(e.Str("envelope_xdr")),
        e.Bool("successful"),
        XdrCodec.FromBase64<TransactionResult>(e.Str("result_xdr")),
        e.UInt32("ledger"),
        e.Str("paging_token")));

    public static IEnumerable<JsonElement> Records(JsonElement page) =>
        page.Prop("_embedded").Prop("records").EnumerateArray();

    public static FeeStatsInfo FeeStats(JsonElement e) => Json.Parse("Horizon fee_stats", () =>
    {
        var charged = e.Prop("fee_charged");
        return new FeeStatsInfo(
            e.Int64("last_ledger_base_fee"),
            charged.Int64("p50"),
            charged.Int64("p90"),
            charged.Int64("p99"),
            e.Double("ledger_capacity_usage"));
    });

    public static AccountSnapshot Account(JsonElement e) => Json.Parse("Horizon account", () =>
    {
        var id = AccountId.Parse(e.Str("account_id"));
        var native = e.Prop("balances").EnumerateArray()
            .FirstOrDefault(b => b.Str("asset_type") == "native");
        var balance = native.ValueKind == JsonValueKind.Object ? Stroops.Parse(native.Str("balance")) : new Stroops(0);
        var t = e.Prop("thresholds");

        // Horizon lists the master key among the signers; the ledger entry keeps it as the master threshold.
        byte master = 0;
        var signers = ImmutableArray.CreateBuilder<Signer>();
        foreach (var s in e.Prop("signers").EnumerateArray())
        {
            var weight = s.UInt32("weight");
            var key = s.Str("key");
            var type = s.Str("type");
            if (type == "ed25519_public_key" && key == id.ToString())
            {
                master = checked((byte)weight);
                continue;
            }
            signers.Add(new Signer(SignerKeyFromHorizon(type, key), weight));
        }

        return new AccountSnapshot(
            id,
            new SequenceNumber(e.Int64("sequence")),
            balance,
            new Thresholds(master, checked((byte)t.UInt32("low_threshold")), checked((byte)t.UInt32("med_threshold")), checked((byte)t.UInt32("high_threshold"))),
            signers.ToImmutable(),
            (uint)(e.OptInt64("sequence_ledger") ?? 0),
            (ulong)(e.OptInt64("sequence_time") ?? 0));
    });

    private static SignerKey SignerKeyFromHorizon(string type, string key) => type switch
    {
        "ed25519_public_key" or "preauth_tx" or "sha256_hash" or "ed25519_signed_payload" => SignerKey.Parse(key),
        _ => throw new LedgerClientException($"unknown Horizon signer type \"{type}\""),
    };

    /// <summary>
    /// The outcome of POST /transactions: 200 carries the applied transaction, 400 a problem whose
    /// extras hold the result codes and result XDR. Anything else is not a transaction outcome.
    /// </summary>
    public static SubmitOutcome? SubmitResponse(TransactionHash hash, int status, JsonElement e) => Json.Parse("Horizon submit response", () =>
    {
        if (status == 200)
        {
            var result = e.OptStr("result_xdr") is { } r ? XdrCodec.FromBase64<TransactionResult>(r) : null;
            var ok = e.OptProp("successful") is not { ValueKind: JsonValueKind.False };
            return new SubmitOutcome(hash, ok, e.OptInt64("ledger") is { } l ? (uint)l : null, result, ok ? "tx_success" : ResultCodes(result));
        }

        if (status == 400 && e.OptProp("extras") is { } extras)
        {
            var result = extras.OptStr("result_xdr") is { } r ? XdrCodec.FromBase64<TransactionResult>(r) : null;
            return new SubmitOutcome(hash, false, null, result, ProblemResultCodes(extras) ?? e.OptStr("title"));
        }

        return null;
    });

    private static string? ProblemResultCodes(JsonElement extras)
    {
        if (extras.OptProp("result_codes") is not { } codes)
        {
            return null;
        }

        var tx = codes.OptStr("transaction");
        if (tx is null)
        {
            return null;
        }

        var ops = codes.OptProp("operations") is { ValueKind: JsonValueKind.Array } arr
            ? arr.EnumerateArray().Select(o => o.GetString()).Where(o => o is not null).ToArray()
            : [];
        return ops.Length == 0 ? tx : $"{tx} [{string.Join(", ", ops)}]";
    }

    private static string? ResultCodes(TransactionResult? result) => result is null ? null : ResultCodeText.Of(result);
}
