using System.Collections.Immutable;
using Watchtower.Stellar;

namespace Watchtower.Ledger.Tests;

/// <summary>Recorded API responses (Samples/*.json, shapes as documented by Horizon and Stellar RPC) with placeholders filled per test.</summary>
internal static class Samples
{
    public const string OkResult = "AAAAAAAAAGQAAAAAAAAAAQAAAAAAAAALAAAAAAAAAAA=";
    public const string FailedResult = "AAAAAAAAAGT/////AAAAAQAAAAAAAAAL/////wAAAAA=";

    public static string Load(string name, params (string Key, string Value)[] values)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", name));
        foreach (var (key, value) in values)
        {
            text = text.Replace("{{" + key + "}}", value, StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>A signed one-operation transaction (bump R's sequence from a version account), like a ratchet.</summary>
    public static TransactionEnvelope Ratchet(KeyPair source, AccountId escrow, long bumpTo, long sequence = 1000)
    {
        var tx = new TransactionBuilder(source.AccountId, new SequenceNumber(sequence))
            .AddOperation(new BumpSequenceOperation(new SequenceNumber(bumpTo)) { SourceAccount = escrow })
            .Build();
        return tx.ToEnvelope().Sign(Network.Standalone, source);
    }

    public static ImmutableArray<byte> Bytes(string base64) => [.. Convert.FromBase64String(base64)];
}
