using System.Collections.Immutable;
using Watchtower.Stellar;

namespace Watchtower.Protocol;

/// <summary>
/// What R looks like once every snapshot of a round has executed: merged away into
/// <see cref="MergedInto"/>, or still there with these signers and thresholds. The master key is
/// R's own (participant 0's ratchet key) with <see cref="MasterWeight"/>; <see cref="Residual"/> is,
/// per deposited asset, what the deposits still hold after every explicit payout (the native
/// residual goes with R's own balance: a merge moves both to the destination).
/// </summary>
public sealed record EscrowEnd(
    AccountId? MergedInto,
    uint MasterWeight,
    uint LowThreshold,
    uint MediumThreshold,
    uint HighThreshold,
    ImmutableDictionary<SignerKey, uint> Signers,
    ImmutableDictionary<Asset, long> Residual);

/// <summary>
/// Structural rules every round's side effects must satisfy before anyone signs them. They keep
/// the spec's invariants: every snapshot is sourced at R and cannot move R's sequence, nothing but
/// the final snapshot may change R itself (so an earlier snapshot cannot invalidate the later
/// ones' signatures), the payouts never exceed what was deposited, and no snapshot is bound to
/// fail. The last rule replays every operation on R's state as funding left it (known exactly:
/// nobody but all N ratchet keys together can change R, outsiders can only pay into it), the
/// way stellar-core applies them: signatures are checked against R before the first operation of
/// a snapshot, so a snapshot may drop R's signers and still merge R in its last operation.
/// R's own balance (beyond the deposits) is taken to cover the reserve of what funding gave it
/// and the snapshots' fees, as the opening provides; any subentry beyond those must have its
/// reserve covered by native deposits no payout takes.
/// </summary>
public static class OutcomeRules
{
    public static ProtocolError? Check(ChannelParameters parameters, RoundOutcome outcome) => Replay(parameters, outcome).Error;

    /// <summary>R after every snapshot of the outcome; null for an outcome <see cref="Check"/> refuses.</summary>
    public static EscrowEnd? End(ChannelParameters parameters, RoundOutcome outcome) => Replay(parameters, outcome).End;

    private static (EscrowEnd? End, ProtocolError? Error) Replay(ChannelParameters parameters, RoundOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Effects.Length != parameters.Count)
        {
            return (null, new(ProtocolErrorCode.WrongEffectCount, $"expected {parameters.Count} snapshots, got {outcome.Effects.Length}"));
        }

        var r = new Escrow(parameters);
        var last = parameters.Count - 1;
        for (var i = 0; i < outcome.Effects.Length; i++)
        {
            var ops = outcome.Effects[i];
            if (ops.IsDefaultOrEmpty)
            {
                return (null, new(ProtocolErrorCode.EmptySnapshot, $"snapshot {i} has no operations"));
            }

            for (var k = 0; k < ops.Length; k++)
            {
                var op = ops[k];
                if (op.SourceAccount is { } source && source.Account != r.Id)
                {
                    return (null, new(ProtocolErrorCode.OperationSourceNotEscrow, $"snapshot {i} operation {k} is sourced at {source}, not at R"));
                }

                var at = new At(i, k);
                var changesEscrow = op is SetOptionsOperation or ChangeTrustOperation or ManageDataOperation or AccountMergeOperation;
                var error = op switch
                {
                    _ when changesEscrow && i != last =>
                        new ProtocolError(ProtocolErrorCode.EscrowChangeBeforeLastSnapshot, $"{at} changes R before the last snapshot"),
                    AccountMergeOperation when k != ops.Length - 1 =>
                        new ProtocolError(ProtocolErrorCode.EscrowChangeBeforeLastSnapshot, $"{at} merges R before the last operation of the last snapshot"),
                    PaymentOperation p => Amount(p.Amount, at) ?? NotEscrow(p.Destination.Account, r.Id, at) ?? r.Pay(p.Asset, p.Amount.Value, at),
                    CreateAccountOperation c => Amount(c.StartingBalance, at) ?? NotEscrow(c.Destination, r.Id, at) ?? NotExisting(parameters, c.Destination, at) ?? r.Pay(Asset.Native, c.StartingBalance.Value, at),
                    BumpSequenceOperation b when b.BumpTo.Value == 0 => null,
                    BumpSequenceOperation => new ProtocolError(ProtocolErrorCode.ForbiddenOperation, $"{at} bumps R's sequence"),
                    SetOptionsOperation s => r.SetOptions(s, at),
                    ChangeTrustOperation t => r.ChangeTrust(t, at),
                    ManageDataOperation d => r.ManageData(d, at),
                    AccountMergeOperation m => NotEscrow(m.Destination.Account, r.Id, at) ?? r.Merge(m.Destination.Account, at),
                    _ => new ProtocolError(ProtocolErrorCode.ForbiddenOperation, $"{at}: {op.GetType().Name} is not allowed in a channel"),
                };
                if (error is not null)
                {
                    return (null, error);
                }
            }
        }

        return (r.ToEnd(), null);
    }

    private static ProtocolError? Amount(Stroops amount, At at) =>
        amount.Value > 0 ? null : new(ProtocolErrorCode.NonPositiveAmount, $"{at} moves a non-positive amount");

    private static ProtocolError? NotEscrow(AccountId destination, AccountId escrow, At at) =>
        destination != escrow ? null : new(ProtocolErrorCode.EscrowAsDestination, $"{at} targets R itself");

    /// <summary>Version accounts exist since setup and a depositor's wallet since it paid into R: creating one fails (CREATE_ACCOUNT_ALREADY_EXIST).</summary>
    private static ProtocolError? NotExisting(ChannelParameters parameters, AccountId destination, At at) =>
        parameters.Participants.Any(p => p.VersionAccount == destination || (p.Wallet == destination && !p.Deposits.IsEmpty))
            ? Fails(at, $"it creates {destination}, which already exists")
            : null;

    /// <summary>Where an operation sits, for error messages (formatted only when one is made).</summary>
    private readonly record struct At(int Snapshot, int Operation)
    {
        public override string ToString() => $"snapshot {Snapshot} operation {Operation}";
    }

    private static ProtocolError Fails(At at, string why) => new(ProtocolErrorCode.SnapshotWouldFail, $"{at} would fail on the ledger: {why}");

    /// <summary>R's ledger state as the snapshots see it, replayed operation by operation.</summary>
    private sealed class Escrow
    {
        private const uint MaxWeight = 255;
        private const int MaxSigners = 20;

        /// <summary>Stellar's base reserve on every public network (0.5 XLM): what each subentry locks.</summary>
        private const long BaseReserve = 5_000_000;
        private readonly int _fundedSubentries;
        private readonly Dictionary<SignerKey, uint> _signers = [];
        private readonly Dictionary<Asset, long> _deposits;
        private readonly HashSet<Asset> _trustLines;
        private readonly HashSet<string> _data = new(StringComparer.Ordinal);
        private uint _master = 1;
        private uint _low;
        private uint _medium;
        private uint _high;
        private AccountId? _mergedInto;

        public Escrow(ChannelParameters parameters)
        {
            Id = parameters.Escrow;
            foreach (var p in parameters.Participants.Skip(1))
            {
                _signers[new Ed25519SignerKey(p.RatchetKey)] = 1;
            }

            _low = _medium = _high = (uint)parameters.Count;
            _deposits = new Dictionary<Asset, long>(parameters.Funds());
            _trustLines = [.. _deposits.Keys.Where(a => a != Asset.Native)];
            _fundedSubentries = Subentries;
        }

        public AccountId Id { get; }

        private int Subentries => _signers.Count + _trustLines.Count + _data.Count;

        private long ExtraReserve => Math.Max(0, Subentries - _fundedSubentries) * BaseReserve;

        /// <summary>Null when R can afford one more subentry.</summary>
        private ProtocolError? CanAddSubentry(At at) =>
            Math.Max(0, Subentries + 1 - _fundedSubentries) * BaseReserve <= _deposits.GetValueOrDefault(Asset.Native) ? null
            : Fails(at, "the native deposits left in R do not cover the reserve of another subentry");

        public ProtocolError? Pay(Asset asset, long amount, At at)
        {
            // A removed trust line held nothing (removal requires a zero balance), so this also
            // refuses paying from a trust line removed earlier in the snapshot.
            var held = _deposits.GetValueOrDefault(asset);
            if (amount > held)
            {
                return new(ProtocolErrorCode.OutcomeExceedsFunds, $"{at} pays out {amount} stroops of {asset} but the deposits hold only {held} more");
            }

            if (asset == Asset.Native && amount > held - ExtraReserve)
            {
                return Fails(at, "it would spend the native deposits that cover the reserve of R's added subentries");
            }

            _deposits[asset] = held - amount;
            return null;
        }

        public ProtocolError? SetOptions(SetOptionsOperation op, At at)
        {
            // Flags and the inflation destination carry no value for R and can make the merge or the
            // operation fail (AUTH_IMMUTABLE, unknown flags): nothing a channel needs.
            if (op.SetFlags is not null || op.ClearFlags is not null || op.InflationDest is not null)
            {
                return new(ProtocolErrorCode.ForbiddenOperation, $"{at} sets R's flags or inflation destination");
            }

            if (op.MasterWeight > MaxWeight || op.LowThreshold > MaxWeight || op.MedThreshold > MaxWeight || op.HighThreshold > MaxWeight)
            {
                return Fails(at, "a weight or threshold above 255");
            }

            if (op.HomeDomain is { } domain && !IsPrintable(domain))
            {
                return Fails(at, "an invalid home domain");
            }

            if (op.Signer is { } signer)
            {
                if ((signer.Key is Ed25519SignerKey ed && ed.Key == Id) || signer.Weight > MaxWeight ||
                    (signer.Key is SignedPayloadSignerKey sp && sp.PayloadSpan.IsEmpty))
                {
                    return Fails(at, "a bad signer (R's own key, a weight above 255 or an empty payload)");
                }

                if (signer.Weight == 0)
                {
                    _signers.Remove(signer.Key);
                }
                else if (!_signers.ContainsKey(signer.Key))
                {
                    if (_signers.Count >= MaxSigners)
                    {
                        return Fails(at, "R would have more than 20 signers");
                    }

                    if (CanAddSubentry(at) is { } poor)
                    {
                        return poor;
                    }

                    _signers[signer.Key] = signer.Weight;
                }
                else
                {
                    _signers[signer.Key] = signer.Weight;
                }
            }

            _master = op.MasterWeight ?? _master;
            _low = op.LowThreshold ?? _low;
            _medium = op.MedThreshold ?? _medium;
            _high = op.HighThreshold ?? _high;
            return null;
        }

        public ProtocolError? ChangeTrust(ChangeTrustOperation op, At at)
        {
            var asset = op.Line;
            if (asset == Asset.Native || op.Limit < 0 || Issuer(asset) == Id)
            {
                return Fails(at, "a malformed trust line change");
            }

            var balance = _deposits.GetValueOrDefault(asset);
            if (_trustLines.Contains(asset))
            {
                if (op.Limit < balance)
                {
                    return Fails(at, $"the limit {op.Limit} is below the {balance} stroops of {asset} R still holds");
                }

                if (op.Limit == 0)
                {
                    _trustLines.Remove(asset);
                }

                return null;
            }

            if (op.Limit == 0)
            {
                return Fails(at, $"R holds no trust line for {asset} to remove");
            }

            if (CanAddSubentry(at) is { } poor)
            {
                return poor;
            }

            _trustLines.Add(asset);
            return null;
        }

        public ProtocolError? ManageData(ManageDataOperation op, At at)
        {
            if (op.Name.Length == 0 || !IsPrintable(op.Name))
            {
                return Fails(at, "an invalid data name");
            }

            if (op.Value is null)
            {
                return _data.Remove(op.Name) ? null : Fails(at, $"R holds no data entry '{op.Name}'");
            }

            if (!_data.Contains(op.Name) && CanAddSubentry(at) is { } poor)
            {
                return poor;
            }

            _data.Add(op.Name);
            return null;
        }

        /// <summary>stellar-core refuses a merge while R holds subentries other than signers (ACCOUNT_MERGE_HAS_SUB_ENTRIES); signers go with the account.</summary>
        public ProtocolError? Merge(AccountId destination, At at)
        {
            if (_trustLines.Count > 0 || _data.Count > 0)
            {
                return Fails(at, $"R still holds {_trustLines.Count} trust line(s) and {_data.Count} data entr(ies); remove them earlier in this snapshot");
            }

            _mergedInto = destination;
            return null;
        }

        public EscrowEnd ToEnd() => new(
            _mergedInto, _master, _low, _medium, _high, _signers.ToImmutableDictionary(),
            _deposits.Where(kv => kv.Value > 0).ToImmutableDictionary());

        private static AccountId? Issuer(Asset asset) => asset switch
        {
            CreditAlphanum4Asset a => a.Issuer,
            CreditAlphanum12Asset a => a.Issuer,
            _ => null,
        };

        private static bool IsPrintable(string s) => s.All(c => c is > '\u001f' and < '\u007f');
    }
}
