using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Watchtower.Standalone.Engine;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Persistence;

/// <summary>
/// The persisted form of a standalone network: entries, the ledger chain with its transactions
/// (what the APIs serve) and the clock offset. The queue is not kept, as core does not keep it either.
/// </summary>
internal sealed record NetworkSnapshot(
    string Passphrase,
    long ClockOffsetTicks,
    long FeePool,
    List<AccountDto> Accounts,
    List<TrustLineDto> TrustLines,
    List<LedgerDto> Ledgers)
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static NetworkSnapshot Capture(StandaloneNetwork network) => new(
        network.Network.Passphrase,
        network.ClockOffset.Ticks,
        network.FeePool,
        network.Entries.Accounts.Values.Select(AccountDto.From).ToList(),
        network.Entries.TrustLines.Values.Select(TrustLineDto.From).ToList(),
        network.Ledgers.Select(LedgerDto.From).ToList());

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static NetworkSnapshot FromJson(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<NetworkSnapshot>(json, Json) ?? throw new InvalidDataException("empty state file");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not a standalone network state file: {e.Message}", e);
        }
    }

    public void RestoreInto(StandaloneNetwork network)
    {
        if (Passphrase != network.Network.Passphrase)
        {
            throw new InvalidDataException($"the state file belongs to network \"{Passphrase}\", not \"{network.Network.Passphrase}\"");
        }

        foreach (var a in Accounts)
        {
            var account = a.ToState();
            network.Entries.Accounts[account.Id] = account;
        }

        foreach (var t in TrustLines)
        {
            var line = t.ToState();
            network.Entries.TrustLines[new TrustLineKey(line.Account, line.Asset)] = line;
        }

        network.Restore(Ledgers.Select(l => l.ToRecord(network.Network)), TimeSpan.FromTicks(ClockOffsetTicks), FeePool);
    }

    /// <summary>Writes atomically: a temporary file next to the target, then a rename over it.</summary>
    public void Save(string path)
    {
        var full = Path.GetFullPath(path);
        var temp = full + ".tmp";
        File.WriteAllBytes(temp, ToJson());
        File.Move(temp, full, overwrite: true);
    }

    public static NetworkSnapshot? Load(string path) => File.Exists(path) ? FromJson(File.ReadAllBytes(path)) : null;
}

internal sealed record AccountDto(
    string Id, long Balance, long Seq, uint SubEntries, string? InflationDest, uint Flags, string HomeDomain,
    byte[] Thresholds, List<SignerDto> Signers, Dictionary<string, string> Data, uint SeqLedger, ulong SeqTime, uint LastModified)
{
    public static AccountDto From(AccountState a) => new(
        a.Id.ToString(), a.Balance, a.SeqNum, a.NumSubEntries, a.InflationDest?.ToString(), a.Flags, a.HomeDomain,
        [a.Thresholds.Master, a.Thresholds.Low, a.Thresholds.Medium, a.Thresholds.High],
        a.Signers.Select(s => new SignerDto(s.Key.ToString()!, s.Weight)).ToList(),
        a.Data.ToDictionary(kv => kv.Key, kv => Convert.ToBase64String(kv.Value)), a.SeqLedger, a.SeqTime, a.LastModifiedLedger);

    public AccountState ToState() => new(
        AccountId.Parse(Id), Balance, Seq, SubEntries, InflationDest is null ? null : AccountId.Parse(InflationDest), Flags, HomeDomain,
        new Thresholds(Thresholds[0], Thresholds[1], Thresholds[2], Thresholds[3]),
        Signers.Select(s => new Signer(SignerKey.Parse(s.Key), s.Weight)).ToImmutableArray(),
        Data.ToImmutableSortedDictionary(kv => kv.Key, kv => Convert.FromBase64String(kv.Value), StringComparer.Ordinal),
        SeqLedger, SeqTime, LastModified);
}

internal sealed record SignerDto(string Key, uint Weight);

internal sealed record TrustLineDto(string Account, string AssetXdr, long Balance, long Limit, uint Flags, uint LastModified)
{
    public static TrustLineDto From(TrustLineState t) => new(
        t.Account.ToString(), Stellar.Xdr.XdrCodec.ToBase64(t.Asset), t.Balance, t.Limit, t.Flags, t.LastModifiedLedger);

    public TrustLineState ToState() => new(
        AccountId.Parse(Account), Stellar.Xdr.XdrCodec.FromBase64<Asset>(AssetXdr), Balance, Limit, Flags, LastModified);
}

internal sealed record LedgerDto(
    uint Sequence, ulong CloseTime, string PreviousHash, uint ProtocolVersion, long TotalCoins, long FeePool, uint BaseFee,
    uint BaseReserve, uint MaxTxSetSize, string TxSetHash, string TxSetResultHash, List<TransactionDto> Transactions)
{
    public static LedgerDto From(LedgerRecord l)
    {
        var h = l.Header;
        return new LedgerDto(h.Sequence, h.CloseTime, h.PreviousHash.ToString(), h.ProtocolVersion, h.TotalCoins, h.FeePool,
            h.BaseFee, h.BaseReserve, h.MaxTxSetSize, h.TxSetHash.ToString(), h.TxSetResultHash.ToString(),
            l.Transactions.Select(TransactionDto.From).ToList());
    }

    public LedgerRecord ToRecord(Network network)
    {
        var header = new LedgerHeaderRecord(Sequence, CloseTime, Hash256.Parse(PreviousHash), ProtocolVersion, TotalCoins, FeePool,
            BaseFee, BaseReserve, MaxTxSetSize, Hash256.Parse(TxSetHash), Hash256.Parse(TxSetResultHash));
        var created = DateTimeOffset.FromUnixTimeSeconds((long)CloseTime);
        return new LedgerRecord(header, Transactions.Select(t => t.ToRecord(network, Sequence, created)).ToImmutableArray());
    }
}

internal sealed record TransactionDto(string Envelope, int Order, ResultDto Result)
{
    public static TransactionDto From(TransactionRecord t) =>
        new(Convert.ToBase64String(t.EnvelopeXdr), t.ApplicationOrder, ResultDto.From(t.Result));

    public TransactionRecord ToRecord(Network network, uint ledger, DateTimeOffset created)
    {
        var bytes = Convert.FromBase64String(Envelope);
        var frame = TxFrame.Create(Stellar.Xdr.XdrCodec.Decode<TransactionEnvelope>(bytes), network);
        return new TransactionRecord(frame, bytes, ledger, Order, created, Result.ToResult());
    }
}

internal sealed record ResultDto(long Fee, int Code, List<int[]> Ops, string? InnerHash, ResultDto? Inner)
{
    public static ResultDto From(TransactionResult r) => new(
        r.FeeCharged, (int)r.Code, From(r.Results), r.Inner?.TransactionHash.ToString(), r.Inner is null ? null : From(r.Inner.Result));

    private static ResultDto From(InnerTransactionResult r) => new(r.FeeCharged, (int)r.Code, From(r.Results), null, null);

    private static List<int[]> From(ImmutableArray<OperationResult> ops) =>
        ops.Select(o =>
        {
            var merged = o.MergedBalance?.Value ?? 0;
            return new[] { (int)o.Type, (int)o.Code, o.InnerCode, (int)(merged >> 32), (int)merged };
        }).ToList();

    public TransactionResult ToResult() => new(
        Fee, (TransactionResultCode)Code, OpResults(),
        Inner is null ? null : new InnerTransactionResultPair(TransactionHash.Parse(InnerHash!),
            new InnerTransactionResult(Inner.Fee, (TransactionResultCode)Inner.Code, Inner.OpResults())));

    private ImmutableArray<OperationResult> OpResults() => Ops.Select(o =>
    {
        var type = (OperationType)o[0];
        return o[1] != 0 ? OperationResult.Outer((OperationResultCode)o[1])
            : type == OperationType.AccountMerge && o[2] == 0 ? OperationResult.AccountMergeSuccess(new Stroops(((long)o[3] << 32) | (uint)o[4]))
            : OperationResult.Inner(type, o[2]);
    }).ToImmutableArray();
}
