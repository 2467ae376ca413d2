using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Watchtower.Ledger.Rpc;
using Watchtower.Stellar;

namespace Watchtower.Ledger.Tests;

/// <summary>A Stellar RPC look-alike (getNetwork, getLatestLedger, getLedgers, getTransactions) over in-memory ledgers.</summary>
internal sealed class FakeRpc
{
    public static readonly Uri Url = new("http://rpc.test/");
    private readonly List<(uint Seq, List<(TransactionEnvelope Env, bool Ok)> Txs)> _ledgers = [];

    public FakeHttp Http { get; }

    public uint BaseFee { get; set; } = 250;

    public uint Oldest { get; set; } = 1;

    public FakeRpc() => Http = new FakeHttp((_, body) => FakeHttp.Json(Answer(JsonNode.Parse(body!)!)));

    public void AddLedger(uint seq, int ok, int failed)
    {
        var txs = new List<(TransactionEnvelope, bool)>();
        for (var i = 0; i < ok + failed; i++)
        {
            txs.Add((Samples.Ratchet(KeyPair.Random(), KeyPair.Random().AccountId, 10 + i, 1000 + i), i < ok));
        }
        _ledgers.Add((seq, txs));
    }

    public RpcLedgerClient Client(int pageSize = 200) => new(new HttpClient(Http), new LedgerClientOptions
    {
        Kind = LedgerApiKind.Rpc,
        Url = Url,
        NetworkPassphrase = Network.Standalone.Passphrase,
        RetryInitialDelay = TimeSpan.Zero,
        RetryMaxDelay = TimeSpan.Zero,
        PageSize = pageSize,
    }, TimeProvider.System);

    private string Answer(JsonNode request)
    {
        var method = (string)request["method"]!;
        var args = request["params"];
        JsonNode result = method switch
        {
            "getNetwork" => new JsonObject { ["passphrase"] = Network.Standalone.Passphrase, ["protocolVersion"] = 23 },
            "getLatestLedger" => new JsonObject { ["id"] = "ab", ["protocolVersion"] = 23, ["sequence"] = _ledgers[^1].Seq },
            "getLedgers" => Ledgers((uint)args!["startLedger"]!, (int)args["pagination"]!["limit"]!),
            "getTransactions" => Transactions(args!),
            _ => throw new InvalidOperationException(method),
        };
        return new JsonObject { ["jsonrpc"] = "2.0", ["id"] = request["id"]!.DeepClone(), ["result"] = result }.ToJsonString();
    }

    private JsonObject Ledgers(uint start, int limit)
    {
        var list = new JsonArray();
        foreach (var l in _ledgers.Where(l => l.Seq >= start).Take(limit))
        {
            list.Add(new JsonObject
            {
                ["hash"] = l.Seq.ToString("x64", CultureInfo.InvariantCulture),
                ["sequence"] = l.Seq,
                ["ledgerCloseTime"] = (1700000000 + (5 * l.Seq)).ToString(CultureInfo.InvariantCulture),
                ["headerXdr"] = Convert.ToBase64String(HeaderHistoryEntry(l.Seq, BaseFee)),
                ["metadataXdr"] = "AAAAAQ==",
            });
        }
        return new JsonObject
        {
            ["ledgers"] = list,
            ["latestLedger"] = _ledgers[^1].Seq,
            ["latestLedgerCloseTime"] = 1700000000,
            ["oldestLedger"] = Oldest,
            ["oldestLedgerCloseTime"] = 1700000000,
            ["cursor"] = "x",
        };
    }

    private JsonObject Transactions(JsonNode args)
    {
        var limit = (int)args["pagination"]!["limit"]!;
        var all = _ledgers.SelectMany(l => l.Txs.Select((t, i) => (l.Seq, Order: i + 1, t.Env, t.Ok,
            Toid: ((long)l.Seq << 32) | ((long)(i + 1) << 12)))).ToList();
        var page = args["pagination"]!["cursor"] is { } c
            ? all.Where(t => t.Toid > long.Parse((string)c!, CultureInfo.InvariantCulture))
            : all.Where(t => t.Seq >= (uint)args["startLedger"]!);
        var taken = page.Take(limit).ToList();
        var txs = new JsonArray();
        foreach (var t in taken)
        {
            txs.Add(new JsonObject
            {
                ["status"] = t.Ok ? "SUCCESS" : "FAILED",
                ["txHash"] = t.Env.Hash(Network.Standalone).ToString(),
                ["applicationOrder"] = t.Order,
                ["feeBump"] = false,
                ["envelopeXdr"] = t.Env.ToXdrBase64(),
                ["resultXdr"] = t.Ok ? Samples.OkResult : Samples.FailedResult,
                ["resultMetaXdr"] = "AAAAAw==",
                ["ledger"] = t.Seq,
                ["createdAt"] = 1700000000 + (5 * t.Seq),
            });
        }
        return new JsonObject
        {
            ["transactions"] = txs,
            ["latestLedger"] = _ledgers[^1].Seq,
            ["oldestLedger"] = Oldest,
            ["cursor"] = taken.Count > 0 ? taken[^1].Toid.ToString(CultureInfo.InvariantCulture) : "0",
        };
    }

    /// <summary>LedgerHeaderHistoryEntry XDR: hash, then a LedgerHeader with the given sequence and base fee.</summary>
    public static byte[] HeaderHistoryEntry(uint seq, uint baseFee)
    {
        var b = new List<byte>();
        void U32(uint v) { var s = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(s, v); b.AddRange(s); }
        void U64(ulong v) { var s = new byte[8]; BinaryPrimitives.WriteUInt64BigEndian(s, v); b.AddRange(s); }
        void Hash() => b.AddRange(new byte[32]);
        Hash();                 // LedgerHeaderHistoryEntry.hash
        U32(23);                // ledgerVersion
        Hash();                 // previousLedgerHash
        Hash();                 // scpValue.txSetHash
        U64(1700000000 + (5ul * seq)); // closeTime
        U32(1); U32(4); b.AddRange(new byte[] { 0, 0, 0, 1 }); // one 4-byte upgrade
        U32(1); U32(0); Hash(); U32(64); b.AddRange(new byte[64]); // signed ext: NodeID + signature
        Hash(); Hash();         // txSetResultHash, bucketListHash
        U32(seq);
        U64(1); U64(0); U32(0); U64(0); // totalCoins, feePool, inflationSeq, idPool
        U32(baseFee); U32(5000000); U32(1000);
        for (var i = 0; i < 4; i++) { Hash(); }
        U32(0);                 // header ext
        U32(0);                 // history entry ext
        return [.. b];
    }
}
