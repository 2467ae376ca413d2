using System.Globalization;
using System.Text.Json.Nodes;
using Watchtower.Standalone.Engine;

namespace Watchtower.Standalone.Http;

/// <summary>Per-operation fee distributions over the last ledgers, as Horizon's fee_stats and RPC's getFeeStats report them.</summary>
internal sealed record FeeStatistics(LedgerHeaderRecord Latest, List<long> Charged, List<long> Bids, int TransactionCount, int LedgerCount, double CapacityUsage)
{
    private const int Window = 5;

    public static FeeStatistics Of(StandaloneNetwork e)
    {
        var ledgers = e.Ledgers.Skip(Math.Max(0, e.Ledgers.Count - Window)).ToList();
        var recent = ledgers.SelectMany(l => l.Transactions).ToList();
        var last = e.Latest;
        return new FeeStatistics(last.Header,
            recent.Select(t => t.Result.FeeCharged / t.Frame.FeeOps).ToList(),
            recent.Select(t => t.Frame.FeeBid / t.Frame.FeeOps).ToList(),
            recent.Count, ledgers.Count,
            (double)last.TxSetOperationCount / Math.Max(1, last.Header.MaxTxSetSize));
    }

    /// <summary>max, min, mode and p10…p99 as strings; the base fee when there were no transactions.</summary>
    public JsonObject Distribution(List<long> values)
    {
        var sorted = values.Count == 0 ? [Latest.BaseFee] : values.Order().ToList();
        string Text(long v) => v.ToString(CultureInfo.InvariantCulture);
        var mode = sorted.GroupBy(v => v).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        var json = new JsonObject { ["max"] = Text(sorted[^1]), ["min"] = Text(sorted[0]), ["mode"] = Text(mode) };
        foreach (var p in new[] { 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99 })
        {
            json[$"p{p}"] = Text(sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)]);
        }

        return json;
    }
}
