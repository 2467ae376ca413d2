using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Channels.Transport;
using Watchtower.Channels.Wire;
using Watchtower.Ledger;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Channels.Opening;

/// <summary>What the initiator brings: its own participant, the account paying for setup, whom it accepts, and the terms.</summary>
public sealed record HostTerms(
    LocalParticipant Me,
    KeyPair Funder,
    ImmutableArray<AccountId> Joiners,
    string Address,
    ChannelTimeouts Timeouts,
    uint FeePerOperation);

/// <summary>
/// What a joiner accepts: D no shorter than it can react in, funds locked no longer than
/// <see cref="MaxTimeoutClaim"/> (+ the claim delay) after a force close, a fee cap, and a bound on N.
/// </summary>
public sealed record JoinPolicy(TimeSpan MinSynchronyDelay, TimeSpan MaxTimeoutClaim, uint MaxFeePerOperation, int MaxParticipants);

/// <summary>
/// The I/O an opening uses: the peer network, the ledger, where the new participant's state goes,
/// and how long to wait between ledger checks. <see cref="Established"/> runs once our state is
/// saved and every peer is known (before round 0), so a caller can make the session durable and
/// resume an interrupted opening.
/// </summary>
public sealed record OpeningEnvironment(
    IPeerNetwork Network,
    ILedgerClient Ledger,
    IChannelStore Store,
    IBundleSink Bundles,
    TimeProvider Time,
    TimeSpan Poll,
    IProgress<string>? Progress = null,
    Func<OpenedChannel, CancellationToken, Task>? Established = null);

/// <summary>A funded channel: our running participant and every participant's contact by index.</summary>
public sealed record OpenedChannel(ParticipantRuntime Runtime, ImmutableArray<PeerContact> Peers);

/// <summary>
/// Opening a channel between separate processes, each holding only its own secrets. Every link is
/// authenticated by the participants' wallet keys (see <see cref="TcpPeerTransport"/>).
/// <list type="number">
/// <item>Each joiner sends an <see cref="OpeningOffer"/>: keys it generated, deposits, address.</item>
/// <item>The initiator (participant 0, whose ratchet key becomes R) runs
/// <see cref="ChannelOpening.SetupAsync"/> with its funder and sends <see cref="OpeningAccepted"/>.</item>
/// <item>Each joiner checks its own entry against its offer, the terms against its
/// <see cref="JoinPolicy"/>, and <see cref="ChannelOpening.VerifyAsync"/> against the ledger, saves
/// its state, and answers <see cref="OpeningReady"/> (or <see cref="OpeningRefused"/>).</item>
/// <item>Once everyone is ready the initiator proposes round 0 (refunds); funding signatures follow
/// and any participant submits the funding transaction, as in <see cref="LocalChannelGroup"/>.</item>
/// </list>
/// Both sides return once the ledger shows R funded and N-of-N.
/// </summary>
public static class RemoteOpening
{
    private static readonly Meter Meter = new("Watchtower.Channels.Opening");
    private static readonly Counter<long> RefusedCounter = Meter.CreateCounter<long>(
        "watchtower_channel_opening_refused_total", description: "Opening messages refused or openings abandoned, by error code");

    /// <summary>The initiator's side: collect every expected joiner's offer, set up, hand out the parameters, run round 0 and fund.</summary>
    public static async Task<OpenedChannel> HostAsync(HostTerms terms, OpeningEnvironment env, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(env);
        var me = terms.Me.Keys;
        if (env.Network.Identity != me.Wallet.AccountId)
        {
            throw new ArgumentException("the peer network must prove the initiator's wallet key", nameof(env));
        }

        if (terms.Joiners.IsDefaultOrEmpty || terms.Joiners.Distinct().Count() != terms.Joiners.Length || terms.Joiners.Contains(me.Wallet.AccountId))
        {
            throw new ArgumentException("name at least one joiner wallet, each once, none our own", nameof(terms));
        }

        var n = terms.Joiners.Length + 1;
        env.Network.SetPeer(0, new PeerContact(me.Wallet.AccountId, terms.Address));
        for (var i = 1; i < n; i++)
        {
            env.Network.SetPeer(i, new PeerContact(terms.Joiners[i - 1], null));
        }

        var offers = new OpeningOffer?[n];
        offers[0] = new OpeningOffer(new ParticipantOffer(me.Wallet.AccountId, me.Version.AccountId, me.Ratchet.AccountId, terms.Me.Deposits), terms.Address);
        while (offers.Any(o => o is null))
        {
            var (from, message) = await ReceiveOpeningAsync(env, ct).ConfigureAwait(false);
            if (message is not OpeningOffer offer)
            {
                Refused(env, OpeningErrorCode.MalformedMessage, $"participant {from} sent {message?.GetType().Name ?? "an undecodable frame"} while offers are collected");
                continue;
            }

            var reason = offer.Offer.Wallet != terms.Joiners[from - 1] ? "the offer names another wallet than the link proved" : OfferProblem(offers, offer);
            if (reason is not null)
            {
                Refused(env, OpeningErrorCode.OfferMismatch, $"participant {from}: {reason}");
                await TrySendAsync(env, from, new OpeningRefused(OpeningErrorCode.OfferMismatch, reason), ct).ConfigureAwait(false);
                continue;
            }

            offers[from] = offer;
            env.Network.SetPeer(from, new PeerContact(offer.Offer.Wallet, offer.Address));
            env.Progress?.Report($"offer from participant {from} ({offer.Offer.Wallet}) at {offer.Address}");
        }

        ChannelParameters parameters;
        try
        {
            parameters = await ChannelOpening.SetupAsync(env.Ledger, terms.Funder, [.. offers.Select(o => o!.Offer)], terms.Timeouts, terms.FeePerOperation, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or LedgerClientException or HttpRequestException or IOException)
        {
            // The joiners are waiting for parameters: tell them, whatever went wrong.
            Refused(env, OpeningErrorCode.SetupFailed, e.Message);
            for (var i = 1; i < n; i++)
            {
                await TrySendAsync(env, i, new OpeningRefused(OpeningErrorCode.SetupFailed, e.Message), ct).ConfigureAwait(false);
            }

            throw new OpeningException(OpeningErrorCode.SetupFailed, e.Message);
        }

        env.Progress?.Report($"setup applied: escrow {parameters.Escrow}, r_0 {parameters.InitialRatchetTarget.Value}");
        var filter = new OpeningFilter(env.Network);
        var runtime = await ParticipantRuntime.CreateAsync(me, ChannelState.Create(parameters, 0), filter, env.Ledger, env.Store, env.Bundles, ct).ConfigureAwait(false);
        var addresses = offers.Select(o => o!.Address).ToImmutableArray();
        var opened = new OpenedChannel(runtime, [.. parameters.Participants.Select((p, i) => new PeerContact(p.Wallet, addresses[i]))]);
        if (env.Established is { } established)
        {
            await established(opened, ct).ConfigureAwait(false);
        }

        for (var i = 1; i < n; i++)
        {
            await env.Network.SendAsync(i, OpeningMessageCodec.Encode(new OpeningAccepted(parameters, addresses)), ct).ConfigureAwait(false);
        }

        var ready = new bool[n];
        ready[0] = true;
        while (ready.Any(r => !r))
        {
            var (from, message) = await ReceiveOpeningAsync(env, ct).ConfigureAwait(false);
            switch (message)
            {
                case OpeningReady r when r.Channel == parameters.Id:
                    ready[from] = true;
                    env.Progress?.Report($"participant {from} is ready");
                    break;
                case OpeningRefused x:
                    Refused(env, OpeningErrorCode.Refused, $"participant {from}: {x.Code}: {x.Reason}");
                    var reason = $"participant {from} refused the channel: {x.Code}: {x.Reason}";
                    for (var i = 1; i < n; i++)
                    {
                        if (i != from)
                        {
                            // The others may already be ready and waiting for round 0.
                            await TrySendAsync(env, i, new OpeningRefused(OpeningErrorCode.Refused, reason), ct).ConfigureAwait(false);
                        }
                    }

                    await runtime.AbandonOpeningAsync(ct).ConfigureAwait(false);
                    throw new OpeningException(OpeningErrorCode.Refused, reason);
                default:
                    Refused(env, OpeningErrorCode.MalformedMessage, $"participant {from} sent {message?.GetType().Name ?? "an undecodable frame"} while readiness is awaited");
                    break;
            }
        }

        if (await runtime.ProposeAsync(RoundOutcome.Refunds(parameters), ct).ConfigureAwait(false) is { } error)
        {
            throw new ProtocolException(error);
        }

        await FundAsync(runtime, filter, env, ct).ConfigureAwait(false);
        return opened;
    }

    /// <summary>A joiner's side: offer to the initiator at <paramref name="host"/>, check what comes back, then sign round 0 and fund.</summary>
    public static async Task<OpenedChannel> JoinAsync(
        LocalParticipant me, string address, PeerContact host, JoinPolicy policy, OpeningEnvironment env, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(me);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(env);
        if (env.Network.Identity != me.Keys.Wallet.AccountId)
        {
            throw new ArgumentException("the peer network must prove the joiner's wallet key", nameof(env));
        }

        env.Network.SetPeer(0, host);
        var offer = new ParticipantOffer(me.Keys.Wallet.AccountId, me.Keys.Version.AccountId, me.Keys.Ratchet.AccountId, me.Deposits);
        await env.Network.SendAsync(0, OpeningMessageCodec.Encode(new OpeningOffer(offer, address)), ct).ConfigureAwait(false);
        env.Progress?.Report($"offer sent to {host.Identity} at {host.Address}");

        OpeningAccepted accepted;
        while (true)
        {
            var (from, message) = await ReceiveOpeningAsync(env, ct).ConfigureAwait(false);
            if (from != 0)
            {
                Refused(env, OpeningErrorCode.UnexpectedPeer, $"participant {from} spoke before the parameters");
                continue;
            }

            if (message is OpeningRefused x)
            {
                Refused(env, OpeningErrorCode.Refused, $"{x.Code}: {x.Reason}");
                throw new OpeningException(OpeningErrorCode.Refused, $"the initiator refused: {x.Code}: {x.Reason}");
            }

            if (message is OpeningAccepted a)
            {
                accepted = a;
                break;
            }

            // E.g. a restarted initiator's resend request: nothing to act on before the parameters.
            Refused(env, OpeningErrorCode.MalformedMessage, $"expected the parameters, got {message?.GetType().Name ?? "a frame that is not an opening message"}");
        }

        var parameters = accepted.Parameters;
        var (index, problem) = CheckAccepted(accepted, host.Identity, offer, policy);
        if (problem is { } p)
        {
            await RefuseAsync(env, p.Code, p.Reason, ct).ConfigureAwait(false);
        }

        var ledgerProblems = await ChannelOpening.VerifyAsync(env.Ledger, parameters, ct).ConfigureAwait(false);
        if (!ledgerProblems.IsEmpty)
        {
            await RefuseAsync(env, OpeningErrorCode.LedgerMismatch, string.Join("; ", ledgerProblems), ct).ConfigureAwait(false);
        }

        // Our funding signature stays usable until the deadline: no longer than setup allows.
        var now = (await env.Ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false)).CloseTime;
        var latest = now + ChannelOpening.OpeningWindow(parameters.Timeouts) + parameters.Timeouts.MaxClockSkew;
        if (parameters.OpeningDeadline <= now || parameters.OpeningDeadline > latest)
        {
            await RefuseAsync(env, OpeningErrorCode.UnacceptableTerms, $"opening deadline {parameters.OpeningDeadline:O} is not within ({now:O}, {latest:O}]", ct).ConfigureAwait(false);
        }

        // We reach the initiator where we already did (its advertised address may only work from elsewhere).
        string AddressOf(int i) => i == index ? address : i == 0 && host.Address is { } connected ? connected : accepted.Addresses[i];
        for (var i = 0; i < parameters.Count; i++)
        {
            env.Network.SetPeer(i, new PeerContact(parameters.Participants[i].Wallet, AddressOf(i)));
        }

        var filter = new OpeningFilter(env.Network);
        var runtime = await ParticipantRuntime.CreateAsync(me.Keys, ChannelState.Create(parameters, index), filter, env.Ledger, env.Store, env.Bundles, ct).ConfigureAwait(false);
        var opened = new OpenedChannel(runtime, [.. parameters.Participants.Select((q, i) => new PeerContact(q.Wallet, AddressOf(i)))]);
        if (env.Established is { } established)
        {
            await established(opened, ct).ConfigureAwait(false);
        }

        env.Progress?.Report($"parameters verified: escrow {parameters.Escrow}, we are participant {index}");
        await env.Network.SendAsync(0, OpeningMessageCodec.Encode(new OpeningReady(parameters.Id)), ct).ConfigureAwait(false);
        await FundAsync(runtime, filter, env, ct).ConfigureAwait(false);
        return opened;
    }

    /// <summary>
    /// The initiator restarted (from its store) after setup but before proposing round 0: some
    /// joiners may never have received the parameters. Send them again (a joiner that already has
    /// them ignores the repeat) and propose round 0; returns false when the opening was past that
    /// point (nothing to do: <see cref="ParticipantRuntime.ResyncAsync"/> covers the rest).
    /// </summary>
    public static async Task<bool> ResumeInitiatorAsync(ParticipantRuntime runtime, IPeerNetwork network, ImmutableArray<string> addresses, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(network);
        var state = runtime.State;
        if (runtime.Me != 0 || state.Phase != ChannelPhase.Opening || state.Latest is not null || state.Pending is not null || state.LastSignedRound >= 0)
        {
            return false;
        }

        if (addresses.Length != state.Parameters.Count)
        {
            throw new ArgumentException($"{addresses.Length} addresses for {state.Parameters.Count} participants", nameof(addresses));
        }

        var accepted = OpeningMessageCodec.Encode(new OpeningAccepted(state.Parameters, addresses));
        for (var i = 1; i < state.Parameters.Count; i++)
        {
            try
            {
                await network.SendAsync(i, accepted, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                // That joiner is down too; round 0 reaches it when it resyncs.
            }
        }

        if (await runtime.ProposeAsync(RoundOutcome.Refunds(state.Parameters), ct).ConfigureAwait(false) is { } error)
        {
            throw new ProtocolException(error);
        }

        return true;
    }

    /// <summary>The joiner's checks that need no ledger: our index, our entry unchanged, the host where it should be, the terms.</summary>
    public static (int Index, OpeningRefused? Problem) CheckAccepted(OpeningAccepted accepted, AccountId host, ParticipantOffer offer, JoinPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        ArgumentNullException.ThrowIfNull(offer);
        ArgumentNullException.ThrowIfNull(policy);
        var p = accepted.Parameters;
        if (accepted.Addresses.Length != p.Count)
        {
            return (-1, new(OpeningErrorCode.MalformedMessage, $"{accepted.Addresses.Length} addresses for {p.Count} participants"));
        }

        if (p.Problems() is { IsEmpty: false } problems)
        {
            return (-1, new(OpeningErrorCode.ParametersMismatch, string.Join("; ", problems)));
        }

        if (p.Participants[0].Wallet != host)
        {
            return (-1, new(OpeningErrorCode.ParametersMismatch, "participant 0 is not the initiator we are talking to"));
        }

        var mine = p.Participants.Select((q, i) => (q, i)).Where(x => x.q.Wallet == offer.Wallet).ToList();
        if (mine.Count != 1 || mine[0].i == 0)
        {
            return (-1, new(OpeningErrorCode.ParametersMismatch, "our wallet is not a joiner of this channel"));
        }

        var (entry, index) = mine[0];
        if (entry.VersionAccount != offer.VersionAccount || entry.RatchetKey != offer.RatchetKey || !entry.Deposits.SequenceEqual(offer.Deposits))
        {
            return (-1, new(OpeningErrorCode.ParametersMismatch, "our entry differs from our offer"));
        }

        var t = p.Timeouts;
        var terms = new List<string>();
        if (p.Count > policy.MaxParticipants)
        {
            terms.Add($"{p.Count} participants (we accept up to {policy.MaxParticipants})");
        }

        if (t.SynchronyDelay < policy.MinSynchronyDelay)
        {
            terms.Add($"D of {t.SynchronyDelay} (we need at least {policy.MinSynchronyDelay})");
        }

        if (t.TimeoutClaim > policy.MaxTimeoutClaim)
        {
            terms.Add($"TIMEOUT_CLAIM of {t.TimeoutClaim} (we accept up to {policy.MaxTimeoutClaim})");
        }

        if (p.FeePerOperation > policy.MaxFeePerOperation)
        {
            terms.Add($"fee {p.FeePerOperation} per operation (we accept up to {policy.MaxFeePerOperation})");
        }

        return terms.Count == 0 ? (index, null) : (-1, new(OpeningErrorCode.UnacceptableTerms, string.Join("; ", terms)));
    }

    /// <summary>
    /// Handle frames at the current ledger time until the ledger shows the channel funded,
    /// submitting the funding transaction once it is complete. An initiator's refusal arriving
    /// meanwhile (another joiner refused) abandons the opening.
    /// </summary>
    private static async Task FundAsync(ParticipantRuntime runtime, OpeningFilter filter, OpeningEnvironment env, CancellationToken ct)
    {
        var round0 = false;
        while (runtime.State.Phase == ChannelPhase.Opening)
        {
            if (await WaitForFrameAsync(env, ct).ConfigureAwait(false))
            {
                var now = (await env.Ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false)).CloseTime;
                await runtime.DrainInboxAsync(now, ct).ConfigureAwait(false);
            }

            if (runtime.Me != 0 && filter.RefusalFromInitiator is { } refusal && runtime.State.FundingSignatures[runtime.Me] is null)
            {
                // Nothing of ours was signed for funding: the opening can end here.
                await runtime.AbandonOpeningAsync(ct).ConfigureAwait(false);
                Refused(env, OpeningErrorCode.Refused, $"{refusal.Code}: {refusal.Reason}");
                throw new OpeningException(OpeningErrorCode.Refused, $"the initiator gave up: {refusal.Code}: {refusal.Reason}");
            }

            if (!round0 && runtime.State.Latest is not null)
            {
                round0 = true;
                env.Progress?.Report("round 0 signed (every deposit refundable)");
            }

            if (await runtime.FundAsync(ct).ConfigureAwait(false) == FundingStatus.Expired)
            {
                // No funding signature of ours can move our deposit any more: record the end.
                await runtime.AbandonOpeningAsync(ct).ConfigureAwait(false);
                Refused(env, OpeningErrorCode.FundingExpired, $"deadline {runtime.State.Parameters.OpeningDeadline:O}");
                throw new OpeningException(OpeningErrorCode.FundingExpired, $"the funding transaction can no longer land (opening deadline {runtime.State.Parameters.OpeningDeadline:O}); the opening is abandoned");
            }
        }

        env.Progress?.Report("funded");
    }

    private static string? OfferProblem(OpeningOffer?[] offers, OpeningOffer offer)
    {
        var o = offer.Offer;
        if (o.Wallet == o.VersionAccount || o.Wallet == o.RatchetKey || o.VersionAccount == o.RatchetKey)
        {
            return "wallet, version account and ratchet key must all differ";
        }

        var taken = offers.Where(x => x is not null && x.Offer.Wallet != o.Wallet)
            .SelectMany(x => new[] { x!.Offer.Wallet, x.Offer.VersionAccount, x.Offer.RatchetKey }).ToHashSet();
        if (taken.Contains(o.VersionAccount) || taken.Contains(o.RatchetKey))
        {
            return "the offer reuses another participant's account";
        }

        if (o.Deposits.Select(d => d.Asset).Distinct().Count() != o.Deposits.Length)
        {
            return "one deposit per asset";
        }

        try
        {
            TcpPeerTransport.ParseAddress(offer.Address);
        }
        catch (FormatException e)
        {
            return e.Message;
        }

        return null;
    }

    private static async Task RefuseAsync(OpeningEnvironment env, OpeningErrorCode code, string reason, CancellationToken ct)
    {
        Refused(env, code, reason);
        await TrySendAsync(env, 0, new OpeningRefused(code, reason), ct).ConfigureAwait(false);
        throw new OpeningException(code, reason);
    }

    private static void Refused(OpeningEnvironment env, OpeningErrorCode code, string reason)
    {
        RefusedCounter.Add(1, new KeyValuePair<string, object?>("code", code.ToString()));
        env.Progress?.Report($"refused: {code}: {reason}");
    }

    private static async Task TrySendAsync(OpeningEnvironment env, int to, OpeningMessage message, CancellationToken ct)
    {
        try
        {
            await env.Network.SendAsync(to, OpeningMessageCodec.Encode(message), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            // The refusal is a courtesy; the peer learns it anyway when nothing follows.
        }
    }

    /// <summary>The next frame as an opening message (null if it does not decode).</summary>
    private static async Task<(int From, OpeningMessage? Message)> ReceiveOpeningAsync(OpeningEnvironment env, CancellationToken ct)
    {
        var frame = await env.Network.ReceiveAsync(ct).ConfigureAwait(false);
        try
        {
            return (frame.From, OpeningMessageCodec.Decode(frame.Payload));
        }
        catch (WireFormatException)
        {
            return (frame.From, null);
        }
    }

    private static async Task<bool> WaitForFrameAsync(OpeningEnvironment env, CancellationToken ct)
    {
        using var tick = new CancellationTokenSource(env.Poll, env.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, tick.Token);
        try
        {
            return await env.Network.WaitToReceiveAsync(linked.Token).ConfigureAwait(false)
                ? true
                : throw new IOException("the peer network was closed");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }
}

/// <summary>
/// A participant runtime's view of the peer network around opening: opening frames (a late
/// refusal, a repeated offer or readiness, parameters sent again) are taken aside instead of
/// reaching the channel protocol as malformed; the initiator's latest refusal is kept.
/// </summary>
public sealed class OpeningFilter(IPeerTransport inner) : IPeerTransport
{
    private volatile OpeningRefused? _refusal;

    public int Self => inner.Self;

    public OpeningRefused? RefusalFromInitiator => _refusal;

    public ValueTask SendAsync(int to, ReadOnlyMemory<byte> payload, CancellationToken ct) => inner.SendAsync(to, payload, ct);

    public async ValueTask<InboundFrame> ReceiveAsync(CancellationToken ct)
    {
        while (true)
        {
            var frame = await inner.ReceiveAsync(ct).ConfigureAwait(false);
            if (!Divert(frame))
            {
                return frame;
            }
        }
    }

    public bool TryReceive(out InboundFrame? frame)
    {
        while (inner.TryReceive(out frame))
        {
            if (!Divert(frame!))
            {
                return true;
            }
        }

        frame = null;
        return false;
    }

    // The caller owns the network.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private bool Divert(InboundFrame frame)
    {
        if (!OpeningMessageCodec.IsOpeningFrame(frame.Payload))
        {
            return false;
        }

        try
        {
            if (frame.From == 0 && OpeningMessageCodec.Decode(frame.Payload) is OpeningRefused refusal)
            {
                _refusal = refusal;
            }
        }
        catch (WireFormatException)
        {
            // Malformed and out of turn: dropped like any other stray opening frame.
        }

        return true;
    }
}
