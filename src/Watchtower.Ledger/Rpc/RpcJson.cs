using System.Globalization;
using System.Text.Json;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Ledger.Rpc;

/// <summary>One ledger as listed by getLedgers.</summary>
internal sealed record RpcLedger(uint Sequence, string Hash, DateTimeOffset CloseTime, LedgerHeaderFields? Header);

/// <summary>Parsers for Stellar RPC results (documented shapes of getLedgers, getTransactions, getTransaction, sendTransaction, getFeeStats).</summary>
internal static class RpcJson
{
    public static RpcLedger Ledger(JsonElement e) => Json.Parse("RPC ledger", () =>
    {
        var seq = e.UInt32("sequence");
        var header = e.OptStr("headerXdr") is { Length: > 0 } xdr ? LedgerHeaderXdr.TryRead(Convert.FromBase64String(xdr), seq) : null;
        return new RpcLedger(seq, e.Str("hash"), e.UnixTime("ledgerCloseTime"), header);
    });

    /// <summary>A transaction of getTransactions / getTransaction (status SUCCESS or FAILED).</summary>
    public static LedgerTransaction Transaction(JsonElement e, TransactionHash? knownHash = null) => Json.Parse("RPC transaction", () =>
    {
        var ledger = e.UInt32("ledger");
        var order = e.OptInt64("applicationOrder") ?? 0;
        var hash = e.OptStr("txHash") is { } h ? TransactionHash.Parse(h) : knownHash ?? throw new LedgerClientException("RPC transaction without txHash");
        // The RPC cursor of a transaction is its TOID: ledger in the high 32 bits, application order above the 12 operation bits.
        var toid = ((long)ledger << 32) | (order << 12);
        return new LedgerTransaction(
            hash,
            EnvelopeDecoder.Decode(e.Str("envelopeXdr")),
            e.Str("status") == "SUCCESS",
            XdrCodec.FromBase64<TransactionResult>(e.Str("resultXdr")),
            ledger,
            toid.ToString(CultureInfo.InvariantCulture));
    });

    public static FeeStatsInfo FeeStats(JsonElement e, long lastBaseFee) => Json.Parse("RPC getFeeStats", () =>
    {
        var inclusion = e.Prop("inclusionFee");
        // RPC does not report ledger capacity usage; 0 means "unknown" to fee decisions (they use the percentiles).
        return new FeeStatsInfo(lastBaseFee, inclusion.Int64("p50"), inclusion.Int64("p90"), inclusion.Int64("p99"), 0);
    });
}
