using System.Collections.Immutable;

namespace Watchtower.Stellar;

/// <summary>
/// Immutable transaction builder: every With…/Add… returns a new builder and never changes this one.
/// Build() uses sequence = current + 1 and fee = per-operation fee × operation count.
/// </summary>
public sealed record TransactionBuilder
{
    public const uint DefaultBaseFee = 100;

    public TransactionBuilder(MuxedAccount source, SequenceNumber current)
    {
        Source = source ?? throw new ArgumentNullException(nameof(source));
        Current = current;
    }

    public TransactionBuilder(AccountId source, SequenceNumber current) : this(new MuxedAccount(source), current) { }

    public MuxedAccount Source { get; private init; }

    /// <summary>The source account's current sequence number.</summary>
    public SequenceNumber Current { get; private init; }

    public uint FeePerOperation { get; private init; } = DefaultBaseFee;

    public Preconditions Preconditions { get; private init; } = Preconditions.None;

    public Memo Memo { get; private init; } = Memo.None;

    public ImmutableArray<Operation> Operations { get; private init; } = [];

    public TransactionBuilder WithFee(uint perOperation) => this with { FeePerOperation = perOperation };

    public TransactionBuilder WithTimeBounds(TimeBounds bounds) => this with { Preconditions = Preconditions with { TimeBounds = bounds } };

    public TransactionBuilder WithTimeBounds(ulong minTime, ulong maxTime) => WithTimeBounds(new TimeBounds(minTime, maxTime));

    public TransactionBuilder WithPreconditions(Preconditions preconditions)
        => this with { Preconditions = preconditions ?? throw new ArgumentNullException(nameof(preconditions)) };

    public TransactionBuilder WithMemo(Memo memo) => this with { Memo = memo ?? throw new ArgumentNullException(nameof(memo)) };

    public TransactionBuilder AddOperation(Operation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (Operations.Length >= Transaction.MaxOperations)
        {
            throw new InvalidOperationException($"at most {Transaction.MaxOperations} operations");
        }

        return this with { Operations = Operations.Add(operation) };
    }

    public Transaction Build()
    {
        if (Operations.IsEmpty)
        {
            throw new InvalidOperationException("a transaction needs at least one operation");
        }

        var fee = checked(FeePerOperation * (uint)Operations.Length);
        return new Transaction(Source, fee, Current + 1, Preconditions, Memo, Operations);
    }

    public TransactionV1Envelope BuildEnvelope() => Build().ToEnvelope();
}
