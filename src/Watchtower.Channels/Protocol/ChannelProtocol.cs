using System.Collections.Immutable;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Channels.Protocol;

/// <summary>What the caller must do after a step. The caller persists the new state before performing any of them.</summary>
public abstract record ProtocolAction;

/// <summary>Send to every other participant.</summary>
public sealed record Broadcast(PeerMessage Message) : ProtocolAction;

/// <summary>Send to one participant.</summary>
public sealed record SendTo(int Participant, PeerMessage Message) : ProtocolAction;

/// <summary>A round became final for us: produce the watchtower bundle.</summary>
public sealed record RoundCompleted(CompletedRound Round) : ProtocolAction;

/// <summary>The funding transaction carries every signature: it may be submitted.</summary>
public sealed record FundingReady(TransactionEnvelope Envelope) : ProtocolAction;

/// <summary>What the ledger says of the funding transaction during opening.</summary>
public enum FundingStatus
{
    /// <summary>Not every funding signature is held yet, and the funding can still land.</summary>
    AwaitingSignatures,
    /// <summary>Fully signed, not on the ledger yet, and still within the opening deadline.</summary>
    Submittable,
    /// <summary>On the ledger: R is the channel's N-of-N account.</summary>
    Funded,
    /// <summary>It can never land: the deadline passed, or R's sequence moved on without it. Opening may be abandoned.</summary>
    Expired,
}

/// <summary>R as read from the ledger: its sequence (null if the account does not exist) and whether it is the channel's N-of-N (every ratchet key a signer, every threshold N).</summary>
public sealed record EscrowObservation(SequenceNumber? Sequence, bool NOfN);

/// <summary>The outcome of a step: the new state, the actions, and the error if the input was refused (state then unchanged).</summary>
public sealed record Transition(ChannelState State, ImmutableArray<ProtocolAction> Actions, ProtocolError? Error)
{
    public bool Accepted => Error is null;
}

/// <summary>
/// The channel protocol as pure functions from (state, event, ledger time) to a transition. The
/// spec's update rule is enforced by construction: ratchet signatures are only produced once
/// every snapshot signature is held, and a round is final for us only when we hold both.
/// </summary>
public static class ChannelProtocol
{
    private const int MaxDeferredPerParticipant = 4;

    /// <summary>How many round numbers a proposal may skip (each refused proposal burns one).</summary>
    public const int MaxRoundGap = 1024;

    /// <summary>Propose the next round (j = <see cref="ChannelState.NextRound"/>) starting at ledger time <paramref name="now"/>.</summary>
    public static Transition Propose(ChannelState state, ParticipantKeys keys, RoundOutcome outcome, bool closing, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(keys);
        if (state.Pending is { } inFlight)
        {
            // Replacing a round in flight could strand a peer that already signed its ratchets
            // (it can then only complete that round): wait for it, or for its rejection.
            return Refuse(state, new(ProtocolErrorCode.RoundInProgress, $"round {inFlight.Round} is in progress: it must complete or be rejected first"));
        }

        var proposal = new RoundProposal(state.Channel, state.Me, state.NextRound, TruncateToSeconds(now), closing, outcome);
        var error = CheckProposal(state, proposal, now);
        if (error is not null)
        {
            return Refuse(state, error);
        }

        var (next, signatures) = Accept(state, keys, proposal);
        var actions = ImmutableArray.CreateBuilder<ProtocolAction>();
        actions.Add(new Broadcast(proposal));
        actions.Add(new Broadcast(signatures));
        return Drain(next, keys, now, actions);
    }

    /// <summary>Handle a message from participant <paramref name="from"/> (the transport's authenticated identity).</summary>
    public static Transition Receive(ChannelState state, ParticipantKeys keys, int from, PeerMessage message, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(message);
        var actions = ImmutableArray.CreateBuilder<ProtocolAction>();
        var (next, error, deferred) = Handle(state, keys, from, message, now, actions);
        if (error is not null)
        {
            if (message is RoundProposal p && from != state.Me)
            {
                actions.Add(new SendTo(from, new RoundRejected(state.Channel, state.Me, p.Round, error.Code, error.Message)));
            }

            return new Transition(state, actions.ToImmutable(), error);
        }

        if (deferred)
        {
            if (next.Deferred.Count(d => d.From == from) >= MaxDeferredPerParticipant)
            {
                return Refuse(state, new(ProtocolErrorCode.UnexpectedRound, $"too many early messages from participant {from}"));
            }

            return new Transition(next with { Deferred = next.Deferred.Add(new DeferredMessage(from, message)) }, [], null);
        }

        return Drain(next, keys, now, actions);
    }

    /// <summary>The ledger shows R funded and N-of-N: rounds after 0 may start.</summary>
    public static ChannelState FundingConfirmed(ChannelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Phase == ChannelPhase.Opening ? state with { Phase = ChannelPhase.Open } : state;
    }

    /// <summary>The ledger shows the channel paid out.</summary>
    public static ChannelState Closed(ChannelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state with { Phase = ChannelPhase.Closed };
    }

    /// <summary>
    /// After a restart: ask every peer for what it sent for the round we were in (or are about to
    /// be in), and repeat what we had sent for it, since frames in flight were lost. Nothing
    /// changes locally; the state is already durable.
    /// </summary>
    public static Transition RequestResend(ChannelState state, ParticipantKeys keys)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(keys);
        var round = state.Pending?.Round ?? state.NextRound;
        var actions = ImmutableArray.CreateBuilder<ProtocolAction>();
        actions.Add(new Broadcast(new ResendRequest(state.Channel, state.Me, round)));
        foreach (var message in Repeat(state, keys, round))
        {
            actions.Add(new Broadcast(message));
        }

        if (RepeatFunding(state) is { } funding)
        {
            actions.Add(new Broadcast(funding));
        }

        return new Transition(state, actions.ToImmutable(), null);
    }

    /// <summary>
    /// What the ledger shows of the funding: a pure reading of R and the latest close time. R past
    /// its setup sequence without being N-of-N means the funding's sequence number was consumed by
    /// something else (R's master key spending it, or the funding failing): it can never land. (A
    /// channel that ran can lose N-of-N only through its last snapshot, i.e. once it paid out.)
    /// </summary>
    public static FundingStatus ObserveFunding(ChannelState state, EscrowObservation escrow, DateTimeOffset ledgerTime)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(escrow);
        var parameters = state.Parameters;
        if (escrow.Sequence is not { } sequence)
        {
            // R is gone (merged): nothing can be funded into it any more.
            return FundingStatus.Expired;
        }

        if (sequence >= parameters.FundedEscrowSequence)
        {
            return escrow.NOfN ? FundingStatus.Funded : FundingStatus.Expired;
        }

        if (ledgerTime > parameters.OpeningDeadline)
        {
            return FundingStatus.Expired;
        }

        return state.Funding is null ? FundingStatus.AwaitingSignatures : FundingStatus.Submittable;
    }

    /// <summary>
    /// Give up an opening that cannot or will not complete. Safe only when no funding signature of
    /// ours can still move our deposit into R: we never gave one (or had nothing to sign), or the
    /// funding can no longer land (<see cref="FundingStatus.Expired"/>). A funded channel is never
    /// abandoned: it is closed.
    /// </summary>
    public static Transition AbandonOpening(ChannelState state, FundingStatus funding)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Phase != ChannelPhase.Opening)
        {
            return Refuse(state, state.Phase == ChannelPhase.Open
                ? new(ProtocolErrorCode.AlreadyFunded, "the channel is funded: close it instead")
                : new(ProtocolErrorCode.ChannelClosed, $"the channel is {state.Phase.ToString().ToLowerInvariant()}"));
        }

        if (funding == FundingStatus.Funded)
        {
            return Refuse(state, new(ProtocolErrorCode.AlreadyFunded, "the funding transaction is on the ledger: close the channel instead"));
        }

        var ours = state.FundingSignatures[state.Me];
        if (funding != FundingStatus.Expired && ours is { IsEmpty: false })
        {
            return Refuse(state, new(ProtocolErrorCode.FundingStillValid, $"our funding signature can be used until {state.Parameters.OpeningDeadline:O}"));
        }

        return new Transition(state with { Phase = ChannelPhase.Abandoned, Pending = null, Deferred = [] }, [], null);
    }

    private static Transition Refuse(ChannelState state, ProtocolError error) => new(state, [], error);

    private static void Resend(ChannelState state, ParticipantKeys keys, ResendRequest q, ImmutableArray<ProtocolAction>.Builder actions)
    {
        foreach (var message in Repeat(state, keys, q.Round))
        {
            actions.Add(new SendTo(q.Sender, message));
        }

        if (RepeatFunding(state) is { } funding)
        {
            actions.Add(new SendTo(q.Sender, funding));
        }
    }

    /// <summary>
    /// Our funding signatures again, if we had given them and the channel is still opening (once
    /// funded, the ledger tells everyone). A peer that restarted may have lost them in flight.
    /// </summary>
    private static FundingSignatures? RepeatFunding(ChannelState state) =>
        state.Phase == ChannelPhase.Opening && state.FundingSignatures[state.Me] is { } mine
            ? new FundingSignatures(state.Channel, state.Me, mine)
            : null;

    /// <summary>Only what we already gave for that round: the proposal if ours, snapshot signatures, and ratchet signatures if we had signed them.</summary>
    private static IEnumerable<PeerMessage> Repeat(ChannelState state, ParticipantKeys keys, long roundNumber)
    {
        PendingRound? round = null;
        var ratchetsSigned = false;
        if (state.Pending is { } pending && pending.Round == roundNumber)
        {
            round = pending;
            ratchetsSigned = pending.RatchetsSigned;
        }
        else if (state.Latest is { } latest && latest.Round == roundNumber)
        {
            var n = state.Parameters.Count;
            round = Rebuild(
                state, latest.Round, latest.Start, latest.Closing, state.Me, latest.Outcome,
                Enumerable.Repeat<ImmutableArray<DecoratedSignature>?>(null, n).ToImmutableArray(),
                Enumerable.Repeat<DecoratedSignature?>(null, n).ToImmutableArray(),
                true);
            ratchetsSigned = true;
        }

        if (round is null)
        {
            yield break;
        }

        if (ReferenceEquals(state.Pending, round) && round.Proposer == state.Me)
        {
            yield return new RoundProposal(state.Channel, state.Me, round.Round, round.Start, round.Closing, round.Outcome);
        }

        yield return new SnapshotSignatures(state.Channel, state.Me, round.Round, StellarInterop.SignAll(keys.Ratchet, round.SnapshotHashes));
        if (ratchetsSigned)
        {
            yield return new RatchetSignatures(state.Channel, state.Me, round.Round, StellarInterop.SignAll(keys.Ratchet, round.RatchetHashes));
        }
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset t) => DateTimeOffset.FromUnixTimeSeconds(t.ToUnixTimeSeconds());

    /// <summary>After a change, retry messages that arrived early; keep those still early.</summary>
    private static Transition Drain(ChannelState state, ParticipantKeys keys, DateTimeOffset now, ImmutableArray<ProtocolAction>.Builder actions)
    {
        var progress = true;
        while (progress && !state.Deferred.IsEmpty)
        {
            progress = false;
            var waiting = state.Deferred;
            state = state with { Deferred = [] };
            foreach (var d in waiting)
            {
                var (next, error, deferred) = Handle(state, keys, d.From, d.Message, now, actions);
                if (deferred)
                {
                    state = state with { Deferred = state.Deferred.Add(d) };
                }
                else
                {
                    // A deferred message that turns out invalid is dropped; it changed nothing.
                    progress |= error is null;
                    state = error is null ? next : state;
                }
            }
        }

        return new Transition(state, actions.ToImmutable(), null);
    }

    private static (ChannelState State, ProtocolError? Error, bool Deferred) Handle(
        ChannelState state, ParticipantKeys keys, int from, PeerMessage message, DateTimeOffset now, ImmutableArray<ProtocolAction>.Builder actions)
    {
        if (message.Channel != state.Channel)
        {
            return (state, new(ProtocolErrorCode.WrongChannel, $"message for channel {message.Channel}"), false);
        }

        if (from < 0 || from >= state.Parameters.Count || from == state.Me || message.Sender != from)
        {
            return (state, new(ProtocolErrorCode.UnknownParticipant, $"sender {message.Sender} over link {from}"), false);
        }

        if (state.Phase is ChannelPhase.Closed or ChannelPhase.Abandoned)
        {
            return (state, new(ProtocolErrorCode.ChannelClosed, $"the channel is {state.Phase.ToString().ToLowerInvariant()}"), false);
        }

        switch (message)
        {
            case RoundProposal p:
                return OnProposal(state, keys, p, now, actions);
            case SnapshotSignatures s:
                return OnSnapshotSignatures(state, keys, s, actions);
            case RatchetSignatures r:
                return OnRatchetSignatures(state, keys, r, actions);
            case FundingSignatures f:
                return OnFundingSignatures(state, f, actions);
            case ResendRequest q:
                Resend(state, keys, q, actions);
                return (state, null, false);
            case RoundRejected r:
                return (OnRejected(state, r), null, false);
            default:
                return (state, new(ProtocolErrorCode.MalformedMessage, $"unknown message {message.GetType().Name}"), false);
        }
    }

    private static (ChannelState, ProtocolError?, bool) OnProposal(
        ChannelState state, ParticipantKeys keys, RoundProposal p, DateTimeOffset now, ImmutableArray<ProtocolAction>.Builder actions)
    {
        if (state.Pending is { } pending && pending.Round == p.Round && pending.Proposer == p.Sender &&
            pending.Start == p.Start && pending.Closing == p.Closing && pending.Outcome.Equals(p.Outcome))
        {
            return (state, null, false); // a retransmission
        }

        if (state.Latest is { } done && p.Round == done.Round && p.Start == done.Start && p.Outcome.Equals(done.Outcome))
        {
            return (state, null, false); // a repeat of a round already final for us
        }

        // A superseding proposal is checked as if the round it replaces had never been signed.
        var before = Supersedes(state, p) ? state with { Pending = null, LastSignedRound = p.Round - 1 } : state;
        var error = CheckProposal(before, p, now) ?? CheckPolicy(state, p);
        if (error is not null)
        {
            return (state, error, false);
        }

        var (next, signatures) = Accept(state, keys, p);
        actions.Add(new Broadcast(signatures));
        return (next, null, false);
    }

    /// <summary>
    /// Two proposals for one round crossed: the lower participant index wins, everywhere, as long
    /// as we have not signed ratchets of the pending one. The winner proposed with nothing pending
    /// and refuses every other proposal of that round, so the losing content never gathers all
    /// snapshot signatures and no ratchet can exist for it: replacing it is safe for everyone.
    /// </summary>
    private static bool Supersedes(ChannelState state, RoundProposal p) =>
        state.Pending is { RatchetsSigned: false } pending && pending.Round == p.Round && p.Sender < pending.Proposer;

    /// <summary>
    /// A participant refused our proposal: it will never sign its snapshots, so no ratchet of that
    /// round can exist and we drop it (and may propose again). Rejections are sent only to the
    /// proposer and about its own proposal; a round whose ratchets we signed cannot be rejected
    /// (we only sign them holding every snapshot signature).
    /// </summary>
    private static ChannelState OnRejected(ChannelState state, RoundRejected r) =>
        state.Pending is { RatchetsSigned: false } pending && pending.Proposer == state.Me && pending.Round == r.Round
            ? state with { Pending = null }
            : state;

    private static ProtocolError? CheckProposal(ChannelState state, RoundProposal p, DateTimeOffset now)
    {
        var parameters = state.Parameters;
        switch (state.Phase)
        {
            case ChannelPhase.Closing or ChannelPhase.Closed or ChannelPhase.Abandoned:
                return new(ProtocolErrorCode.ChannelClosed, "the channel is closing");
            case ChannelPhase.Opening when p.Round > 0:
                return new(ProtocolErrorCode.NotFunded, "rounds after 0 wait for the funding transaction");
        }

        if (state.Pending is { RatchetsSigned: true } stuck)
        {
            return new(ProtocolErrorCode.RoundInProgress, $"round {stuck.Round} has signed ratchets and must complete first");
        }

        // A proposer skips the numbers of its refused proposals (it signed their snapshots once and
        // never reuses a number), so later rounds may leave gaps; bounded, so the sequence
        // arithmetic r_j = r_0 + j(n+1) stays far from overflow.
        if (p.Round < state.NextRound || p.Round > state.NextRound + MaxRoundGap)
        {
            return new(ProtocolErrorCode.UnexpectedRound, $"expected round {state.NextRound} (or up to {MaxRoundGap} later), got {p.Round}");
        }

        if (p.Start.ToUnixTimeSeconds() * TimeSpan.TicksPerSecond != p.Start.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks)
        {
            return new(ProtocolErrorCode.StartTimeOutOfRange, "the round start must be whole seconds");
        }

        var t = parameters.Timeouts;
        if (p.Start > now + t.MaxClockSkew)
        {
            return new(ProtocolErrorCode.StartTimeOutOfRange, $"round start {p.Start:O} is ahead of ledger time {now:O}");
        }

        // The new ratchet must leave more than D before it expires, or the timeout rule fires at once.
        if (ChannelTransactions.RatchetMaxTime(parameters, p.Start) - now <= t.SynchronyDelay)
        {
            return new(ProtocolErrorCode.StartTimeOutOfRange, $"round start {p.Start:O} is too old for ledger time {now:O}");
        }

        if (state.Latest is { } latest && p.Start < latest.Start)
        {
            return new(ProtocolErrorCode.StartTimeOutOfRange, "round start precedes the previous round's");
        }

        if (OutcomeRules.Check(parameters, p.Outcome) is { } outcomeError)
        {
            return outcomeError;
        }

        if (p.Round == 0 && !p.Outcome.Equals(RoundOutcome.Refunds(parameters)))
        {
            return new(ProtocolErrorCode.PayoutDecreased, "round 0 must return every deposit to its owner");
        }

        if (p.Round == 0 && now > parameters.OpeningDeadline)
        {
            return new(ProtocolErrorCode.OpeningExpired, $"the opening deadline {parameters.OpeningDeadline:O} has passed: the funding transaction can no longer land");
        }

        // Funding may land as late as the deadline; v_0 must then still leave D to refresh or close.
        if (p.Round == 0 && ChannelTransactions.RatchetMaxTime(parameters, p.Start) - parameters.OpeningDeadline < t.SynchronyDelay)
        {
            return new(ProtocolErrorCode.StartTimeOutOfRange, $"round 0 starting {p.Start:O} leaves v_0 valid for less than D after the opening deadline {parameters.OpeningDeadline:O}");
        }

        if (p.Closing && (state.Latest is not { } last || !p.Outcome.Equals(last.Outcome)))
        {
            return new(ProtocolErrorCode.CloseChangesOutcome, "the cooperative close must settle the latest round's outcome unchanged");
        }

        return null;
    }

    /// <summary>
    /// A counterparty's proposal, compared with the latest round, may not lower what our wallet is
    /// paid in any asset, move control of what R keeps after the last snapshot away from us, hand
    /// value that was ours or under our veto to someone else, or put a payout of ours at the mercy
    /// of an operation someone else can make fail (docs/channels.md, "What a participant signs").
    /// </summary>
    private static ProtocolError? CheckPolicy(ChannelState state, RoundProposal p)
    {
        if (state.Latest is not { } latest)
        {
            return null;
        }

        var before = latest.Outcome.ValueFor(state.Parameters, state.Me);
        var after = p.Outcome.ValueFor(state.Parameters, state.Me);
        foreach (var (asset, amount) in before.Explicit)
        {
            if (after.Explicit.GetValueOrDefault(asset) < amount)
            {
                return new(ProtocolErrorCode.PayoutDecreased, $"participant {p.Sender} proposed lowering our {asset} payout from {amount} to {after.Explicit.GetValueOrDefault(asset)}");
            }
        }

        if (after.Control < before.Control)
        {
            return new(ProtocolErrorCode.EscrowControlTaken, $"participant {p.Sender} proposed taking R's remainder from {before.Control} to {after.Control} control of ours");
        }

        foreach (var asset in before.Explicit.Keys.Union(before.Residual.Keys))
        {
            if (after.Claim(asset) < before.Claim(asset) || after.Stake(asset) < before.Stake(asset))
            {
                return new(ProtocolErrorCode.ResidualTaken, $"participant {p.Sender} proposed handing {asset} left in R that is ours or under our veto to someone else");
            }
        }

        if (after.AtRisk.Except(before.AtRisk) is { Count: > 0 } added)
        {
            return new(ProtocolErrorCode.PayoutAtRisk, $"participant {p.Sender} proposed, in a snapshot that pays us, what others can make fail: {string.Join("; ", added)}");
        }

        return null;
    }

    /// <summary>Sign every snapshot of the proposal with our ratchet key and make it the pending round.</summary>
    private static (ChannelState, SnapshotSignatures) Accept(ChannelState state, ParticipantKeys keys, RoundProposal p)
    {
        var n = state.Parameters.Count;
        var pending = Rebuild(
            state, p.Round, p.Start, p.Closing, p.Sender, p.Outcome,
            Enumerable.Repeat<ImmutableArray<DecoratedSignature>?>(null, n).ToImmutableArray(),
            Enumerable.Repeat<DecoratedSignature?>(null, n).ToImmutableArray(),
            false);
        var signatures = StellarInterop.SignAll(keys.Ratchet, pending.SnapshotHashes);
        pending = pending with { SnapshotSignatures = pending.SnapshotSignatures.SetItem(state.Me, signatures) };
        var next = state with { Pending = pending, LastSignedRound = p.Round };
        return (next, new SnapshotSignatures(state.Channel, state.Me, p.Round, signatures));
    }

    /// <summary>Round j's transactions and hashes, rebuilt deterministically, with the signatures held so far.</summary>
    public static PendingRound Rebuild(
        ChannelState state,
        long round,
        DateTimeOffset start,
        bool closing,
        int proposer,
        RoundOutcome outcome,
        ImmutableArray<ImmutableArray<DecoratedSignature>?> snapshotSignatures,
        ImmutableArray<DecoratedSignature?> ratchetSignatures,
        bool ratchetsSigned)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(outcome);
        var parameters = state.Parameters;
        var n = parameters.Count;
        var snapshots = ImmutableArray.CreateBuilder<Transaction>(n);
        var snapshotHashes = ImmutableArray.CreateBuilder<byte[]>(n);
        var ratchets = ImmutableArray.CreateBuilder<Transaction>(n);
        var ratchetHashes = ImmutableArray.CreateBuilder<byte[]>(n);
        for (var i = 0; i < n; i++)
        {
            var snapshot = ChannelTransactions.Snapshot(parameters, round, i, start, closing, outcome.Effects[i]);
            snapshots.Add(snapshot);
            snapshotHashes.Add(StellarInterop.Hash(snapshot, parameters.Network));
            var ratchet = ChannelTransactions.Ratchet(parameters, round, i, start);
            ratchets.Add(ratchet);
            ratchetHashes.Add(StellarInterop.Hash(ratchet, parameters.Network));
        }

        return new PendingRound(
            round, start, closing, outcome, proposer,
            snapshots.MoveToImmutable(), snapshotHashes.MoveToImmutable(),
            ratchets.MoveToImmutable(), ratchetHashes.MoveToImmutable(),
            snapshotSignatures, ratchetSignatures, ratchetsSigned);
    }

    private static (ChannelState, ProtocolError?, bool) OnSnapshotSignatures(
        ChannelState state, ParticipantKeys keys, SnapshotSignatures s, ImmutableArray<ProtocolAction>.Builder actions)
    {
        if (state.Pending is not { } pending || pending.Round != s.Round)
        {
            return Early(state, s.Round);
        }

        if (pending.SnapshotSignatures[s.Sender] is not null)
        {
            return (state, null, false);
        }

        var key = state.Parameters.Participants[s.Sender].RatchetKey;
        if (s.Signatures.IsDefault || s.Signatures.Length != state.Parameters.Count)
        {
            return (state, new(ProtocolErrorCode.WrongSignatureCount, $"expected {state.Parameters.Count} snapshot signatures"), false);
        }

        if (StellarInterop.FirstInvalid(key, pending.SnapshotHashes, s.Signatures) is var i and >= 0)
        {
            return (state, new(ProtocolErrorCode.BadSignature, $"participant {s.Sender}'s signature on snapshot {i} of round {s.Round} does not verify"), false);
        }

        pending = pending with { SnapshotSignatures = pending.SnapshotSignatures.SetItem(s.Sender, s.Signatures) };
        return (Advance(state with { Pending = pending }, keys, actions), null, false);
    }

    private static (ChannelState, ProtocolError?, bool) OnRatchetSignatures(
        ChannelState state, ParticipantKeys keys, RatchetSignatures r, ImmutableArray<ProtocolAction>.Builder actions)
    {
        if (state.Pending is not { } pending || pending.Round != r.Round)
        {
            return Early(state, r.Round);
        }

        if (pending.RatchetSignatures[r.Sender] is not null)
        {
            return (state, null, false);
        }

        if (r.Signatures.IsDefault || r.Signatures.Length != state.Parameters.Count)
        {
            return (state, new(ProtocolErrorCode.WrongSignatureCount, $"expected {state.Parameters.Count} ratchet signatures"), false);
        }

        // Only the signature on our own ratchet matters to us; the others are their owners' concern.
        var key = state.Parameters.Participants[r.Sender].RatchetKey;
        var ours = r.Signatures[state.Me];
        if (!StellarInterop.Verify(key, pending.RatchetHashes[state.Me], ours))
        {
            return (state, new(ProtocolErrorCode.BadSignature, $"participant {r.Sender}'s signature on our ratchet of round {r.Round} does not verify"), false);
        }

        pending = pending with { RatchetSignatures = pending.RatchetSignatures.SetItem(r.Sender, ours) };
        return (Advance(state with { Pending = pending }, keys, actions), null, false);
    }

    /// <summary>
    /// A message for a round we have not reached yet is kept; a repeat for a round already final
    /// for us (peers resend after restarts) changes nothing; anything else is refused.
    /// </summary>
    private static (ChannelState, ProtocolError?, bool) Early(ChannelState state, long round) =>
        round >= state.NextRound ? (state, null, true)
        : state.Latest is { } latest && round <= latest.Round ? (state, null, false)
        : (state, new(ProtocolErrorCode.UnexpectedRound, $"round {round} is not in progress"), false);

    /// <summary>Phase 2 once phase 1 is complete; completion once both are.</summary>
    private static ChannelState Advance(ChannelState state, ParticipantKeys keys, ImmutableArray<ProtocolAction>.Builder actions)
    {
        var pending = state.Pending!;
        if (!pending.HasAllSnapshotSignatures)
        {
            return state;
        }

        if (!pending.RatchetsSigned)
        {
            var signatures = StellarInterop.SignAll(keys.Ratchet, pending.RatchetHashes);
            pending = pending with
            {
                RatchetsSigned = true,
                RatchetSignatures = pending.RatchetSignatures.SetItem(state.Me, signatures[state.Me]),
            };
            state = state with { Pending = pending };
            actions.Add(new Broadcast(new RatchetSignatures(state.Channel, state.Me, pending.Round, signatures)));
        }

        if (!pending.HasAllRatchetSignatures)
        {
            return state;
        }

        var version = StellarInterop.Sign(keys.Version, pending.RatchetHashes[state.Me]);
        var ratchet = StellarInterop.Envelope(
            pending.RatchetTransactions[state.Me],
            pending.RatchetSignatures.Select(s => s!).Append(version));
        var completed = new CompletedRound(pending.Round, pending.Start, pending.Closing, pending.Outcome, pending.SignedSnapshots(), ratchet);
        state = state with
        {
            Latest = completed,
            Pending = null,
            Phase = completed.Closing ? ChannelPhase.Closing : state.Phase,
        };
        actions.Add(new RoundCompleted(completed));

        if (completed.Round == 0 && state.Phase == ChannelPhase.Opening && state.FundingSignatures[state.Me] is null)
        {
            state = SignFunding(state, keys, actions);
        }

        return state;
    }

    /// <summary>Only now, holding v_0 and T_0, do we sign the funding transaction.</summary>
    private static ChannelState SignFunding(ChannelState state, ParticipantKeys keys, ImmutableArray<ProtocolAction>.Builder actions)
    {
        var parameters = state.Parameters;
        var hash = StellarInterop.Hash(ChannelTransactions.Funding(parameters), parameters.Network);
        var mine = ImmutableArray.CreateBuilder<DecoratedSignature>();
        if (!parameters.Participants[state.Me].Deposits.IsEmpty)
        {
            mine.Add(StellarInterop.Sign(keys.Wallet, hash));
        }

        if (state.Me == 0)
        {
            mine.Add(StellarInterop.Sign(keys.Ratchet, hash));
        }

        var signatures = mine.ToImmutable();
        actions.Add(new Broadcast(new FundingSignatures(state.Channel, state.Me, signatures)));
        return AssembleFunding(state with { FundingSignatures = state.FundingSignatures.SetItem(state.Me, signatures) }, actions);
    }

    private static (ChannelState, ProtocolError?, bool) OnFundingSignatures(ChannelState state, FundingSignatures f, ImmutableArray<ProtocolAction>.Builder actions)
    {
        if (state.FundingSignatures[state.Me] is null)
        {
            // We have not completed round 0 yet: keep it for when we have.
            return state.Latest is null ? (state, null, true) : (state, new(ProtocolErrorCode.AlreadyFunded, "funding is past"), false);
        }

        if (state.FundingSignatures[f.Sender] is not null)
        {
            return (state, null, false);
        }

        var parameters = state.Parameters;
        var participant = parameters.Participants[f.Sender];
        var expected = new List<AccountId>();
        if (!participant.Deposits.IsEmpty)
        {
            expected.Add(participant.Wallet);
        }

        if (f.Sender == 0)
        {
            expected.Add(parameters.Escrow);
        }

        if (f.Signatures.IsDefault || f.Signatures.Length != expected.Count)
        {
            return (state, new(ProtocolErrorCode.WrongSignatureCount, $"expected {expected.Count} funding signatures from participant {f.Sender}"), false);
        }

        var hash = StellarInterop.Hash(ChannelTransactions.Funding(parameters), parameters.Network);
        for (var i = 0; i < expected.Count; i++)
        {
            if (!StellarInterop.Verify(expected[i], hash, f.Signatures[i]))
            {
                return (state, new(ProtocolErrorCode.BadSignature, $"participant {f.Sender}'s funding signature {i} does not verify"), false);
            }
        }

        return (AssembleFunding(state with { FundingSignatures = state.FundingSignatures.SetItem(f.Sender, f.Signatures) }, actions), null, false);
    }

    private static ChannelState AssembleFunding(ChannelState state, ImmutableArray<ProtocolAction>.Builder actions)
    {
        if (state.Funding is not null || state.FundingSignatures.Any(s => s is null))
        {
            return state;
        }

        var envelope = StellarInterop.Envelope(
            ChannelTransactions.Funding(state.Parameters),
            state.FundingSignatures.SelectMany(s => s!.Value));
        actions.Add(new FundingReady(envelope));
        return state with { Funding = envelope };
    }
}
