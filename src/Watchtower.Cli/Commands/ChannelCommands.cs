using System.CommandLine;
using System.Globalization;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Protocol;
using Watchtower.Ledger;
using Watchtower.Stellar;

namespace Watchtower.Cli.Commands;

/// <summary>
/// <c>watchtower channel …</c>: open, pay, inspect and close a state channel from the terminal
/// against a standalone or real network. Every participant of the channel runs in this process
/// (one operator holding every wallet's secret), each with its own state file
/// <c>participant-i.channel</c> in the --state directory; they still talk only through encoded,
/// validated peer messages.
/// </summary>
public static class ChannelCommands
{
    public static Command Create()
    {
        var channel = new Command("channel", "State channels: one process per participant (host, join, run) or every participant in this process (open, pay, status, close, force-close, watch)");
        channel.Add(CreateOpen());
        channel.Add(CreatePay());
        channel.Add(CreateStatus());
        channel.Add(CreateClose());
        channel.Add(CreateForceClose());
        channel.Add(CreateWatch());
        foreach (var command in ChannelPeerCommands.Create())
        {
            channel.Add(command);
        }

        return channel;
    }

    private static Option<string> Horizon() => new("--horizon")
    {
        Description = "Horizon URL (e.g. http://127.0.0.1:8000/ for `watchtower standalone`)",
        Required = true,
    };

    private static Option<string> StateDir() => new("--state")
    {
        Description = "Directory holding one state file per participant",
        Required = true,
    };

    private static Command CreateOpen()
    {
        var horizon = Horizon();
        var network = CommonOptions.Network();
        var state = StateDir();
        var funder = new Option<string>("--funder") { Description = "Secret seed (S…) of the account paying for the channel's accounts", Required = true };
        var wallets = new Option<string[]>("--wallet") { Description = "Secret seed of a participant's wallet; repeat once per participant (2 or more), in order", Required = true, AllowMultipleArgumentsPerToken = false, Arity = ArgumentArity.OneOrMore };
        var deposits = new Option<string[]>("--deposit") { Description = "Lumens each participant deposits, in the same order as --wallet", Required = true, Arity = ArgumentArity.OneOrMore };
        var delay = new Option<string>("--delay") { Description = "D, the synchrony bound (e.g. 1d, 6h)", DefaultValueFactory = _ => "1d" };
        var claim = new Option<string>("--timeout-claim") { Description = "TIMEOUT_CLAIM (≥ D + max round interval)", DefaultValueFactory = _ => "3d" };
        var claimDelay = new Option<string>("--timeout-claim-delay") { Description = "TIMEOUT_CLAIM_DELAY (≥ D)", DefaultValueFactory = _ => "1d" };
        var interval = new Option<string>("--max-round-interval") { Description = "Longest expected gap between rounds", DefaultValueFactory = _ => "2d" };
        var fee = new Option<uint>("--fee") { Description = "Fee per operation in stroops", DefaultValueFactory = _ => 100 };
        var command = new Command("open", "Create the escrow and version accounts, sign round 0, then fund the channel")
        {
            horizon, network, state, funder, wallets, deposits, delay, claim, claimDelay, interval, fee,
        };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var secrets = parse.GetRequiredValue(wallets);
            var amounts = parse.GetRequiredValue(deposits);
            if (secrets.Length < 2 || secrets.Length != amounts.Length)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("give at least two --wallet options and one --deposit per wallet").ConfigureAwait(false);
                return 2;
            }

            var dir = new DirectoryInfo(parse.GetRequiredValue(state));
            if (dir.Exists && dir.EnumerateFiles("participant-*.channel").Any())
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"{dir.FullName} already holds a channel").ConfigureAwait(false);
                return 2;
            }

            var timeouts = new ChannelTimeouts(
                Duration(parse.GetValue(delay)!), Duration(parse.GetValue(claim)!), Duration(parse.GetValue(claimDelay)!),
                Duration(parse.GetValue(interval)!), TimeSpan.FromMinutes(1));
            var participants = secrets
                .Select((s, i) => LocalParticipant.Create(KeyPair.FromSecret(s), new Deposit(Asset.Native, Stroops.Parse(amounts[i]))))
                .ToList();
            using var http = new HttpClient();
            var ledger = Ledger(parse.GetRequiredValue(horizon), parse.GetRequiredValue(network), http);
            var group = await LocalChannelGroup.OpenAsync(
                ledger, KeyPair.FromSecret(parse.GetRequiredValue(funder)), participants, timeouts, parse.GetValue(fee),
                i => Store(dir, i), _ => new RecordingBundleSink(), ct).ConfigureAwait(false);
            var p = group.Parameters;
            await output.WriteLineAsync($"channel:  {p.Id} (escrow R)").ConfigureAwait(false);
            await output.WriteLineAsync($"r_0:      {p.InitialRatchetTarget.Value} (R after funding: {p.FundedEscrowSequence.Value})").ConfigureAwait(false);
            for (var i = 0; i < p.Count; i++)
            {
                await output.WriteLineAsync($"participant {i}: wallet {p.Participants[i].Wallet}, version account {p.Participants[i].VersionAccount}").ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    private static Command CreatePay()
    {
        var horizon = Horizon();
        var network = CommonOptions.Network();
        var state = StateDir();
        var from = new Option<int>("--from") { Description = "Paying participant's index", Required = true };
        var to = new Option<int>("--to") { Description = "Receiving participant's index", Required = true };
        var amount = new Option<string>("--amount") { Description = "Lumens to move (up to 7 decimals)", Required = true };
        var command = new Command("pay", "Run one off-chain round moving lumens between two participants") { horizon, network, state, from, to, amount };
        command.SetAction(async (parse, ct) =>
        {
            using var http = new HttpClient();
            var group = await Restore(parse.GetRequiredValue(horizon), parse.GetRequiredValue(network), new DirectoryInfo(parse.GetRequiredValue(state)), http, ct).ConfigureAwait(false);
            var error = await group.PayAsync(parse.GetValue(from), parse.GetValue(to), Stroops.Parse(parse.GetRequiredValue(amount)), ct).ConfigureAwait(false);
            if (error is not null)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"round refused: {error}").ConfigureAwait(false);
                return 1;
            }

            await WriteStatusAsync(parse.InvocationConfiguration.Output, group, ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command CreateStatus()
    {
        var horizon = Horizon();
        var network = CommonOptions.Network();
        var state = StateDir();
        var command = new Command("status", "Show every participant's latest round and balances, and what the monitor rule says now") { horizon, network, state };
        command.SetAction(async (parse, ct) =>
        {
            using var http = new HttpClient();
            var group = await Restore(parse.GetRequiredValue(horizon), parse.GetRequiredValue(network), new DirectoryInfo(parse.GetRequiredValue(state)), http, ct).ConfigureAwait(false);
            await WriteStatusAsync(parse.InvocationConfiguration.Output, group, ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command CreateClose()
    {
        var horizon = Horizon();
        var network = CommonOptions.Network();
        var state = StateDir();
        var command = new Command("close", "Cooperative close (honest_close): sign a final round at the latest state and settle it at once") { horizon, network, state };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            using var http = new HttpClient();
            var group = await Restore(parse.GetRequiredValue(horizon), parse.GetRequiredValue(network), new DirectoryInfo(parse.GetRequiredValue(state)), http, ct).ConfigureAwait(false);
            var error = await group[0]!.ProposeCloseAsync(ct).ConfigureAwait(false);
            await group.PumpAsync(ct).ConfigureAwait(false);
            if (error is not null || group[0]!.State.Phase != ChannelPhase.Closing)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"the close round did not complete: {error}").ConfigureAwait(false);
                return 1;
            }

            for (var attempt = 0; attempt < 10; attempt++)
            {
                var step = await group[0]!.CheckLedgerAsync(ct).ConfigureAwait(false);
                await output.WriteLineAsync($"monitor: {step?.Decision.Case} → {step?.Decision.Action}").ConfigureAwait(false);
                if (step is null || step.Decision.Action == MonitorAction.StopWatching)
                {
                    // Every other participant reads the settlement too, so each state file ends Closed.
                    for (var i = 1; i < group.Count; i++)
                    {
                        await group[i]!.CheckLedgerAsync(ct).ConfigureAwait(false);
                    }

                    await WriteStatusAsync(output, group, ct).ConfigureAwait(false);
                    return 0;
                }
            }

            await parse.InvocationConfiguration.Error.WriteLineAsync("the close snapshots did not all land; run `channel watch`").ConfigureAwait(false);
            return 1;
        });
        return command;
    }

    private static Command CreateForceClose()
    {
        var horizon = Horizon();
        var network = CommonOptions.Network();
        var state = StateDir();
        var participant = new Option<int>("--participant") { Description = "Whose latest ratchet to submit", DefaultValueFactory = _ => 0 };
        var command = new Command("force-close", "Submit a participant's latest ratchet now; `channel watch` then submits the snapshots when their minTime passes") { horizon, network, state, participant };
        command.SetAction(async (parse, ct) =>
        {
            using var http = new HttpClient();
            var group = await Restore(parse.GetRequiredValue(horizon), parse.GetRequiredValue(network), new DirectoryInfo(parse.GetRequiredValue(state)), http, ct).ConfigureAwait(false);
            var outcome = await group[parse.GetValue(participant)]!.ForceCloseAsync(ct).ConfigureAwait(false);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"ratchet {outcome.Hash}: {(outcome.Success ? "applied" : outcome.ResultCodesText)}").ConfigureAwait(false);
            return outcome.Success ? 0 : 1;
        });
        return command;
    }

    private static Command CreateWatch()
    {
        var horizon = Horizon();
        var network = CommonOptions.Network();
        var state = StateDir();
        var participant = new Option<int>("--participant") { Description = "Whose monitor to run", DefaultValueFactory = _ => 0 };
        var poll = new Option<string>("--poll") { Description = "Time between ledger checks", DefaultValueFactory = _ => "5s" };
        var command = new Command("watch", "Apply the monitor and timeout rules for one participant until the channel settles (Ctrl+C stops)") { horizon, network, state, participant, poll };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            using var http = new HttpClient();
            var group = await Restore(parse.GetRequiredValue(horizon), parse.GetRequiredValue(network), new DirectoryInfo(parse.GetRequiredValue(state)), http, ct).ConfigureAwait(false);
            var runtime = group[parse.GetValue(participant)]!;
            var interval = Duration(parse.GetValue(poll)!);
            try
            {
                while (true)
                {
                    await group.PumpAsync(ct).ConfigureAwait(false);
                    var step = await runtime.CheckLedgerAsync(ct).ConfigureAwait(false);
                    if (step is null || step.Decision.Action == MonitorAction.StopWatching)
                    {
                        await output.WriteLineAsync("settled").ConfigureAwait(false);
                        return 0;
                    }

                    var wait = step.Decision.NotBefore is { } t ? $" until {t:O}" : "";
                    await output.WriteLineAsync($"{step.LedgerTime:O} R={step.EscrowSequence?.Value}: {step.Decision.Case} → {step.Decision.Action}{wait} ({step.Submissions.Length} submitted)").ConfigureAwait(false);
                    await Task.Delay(interval, TimeProvider.System, ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return 130;
            }
        });
        return command;
    }

    private static async Task WriteStatusAsync(TextWriter output, LocalChannelGroup group, CancellationToken ct)
    {
        for (var i = 0; i < group.Count; i++)
        {
            var s = group[i]!.State;
            var balances = s.Latest is null ? "-" : string.Join(" / ", LocalChannelGroup.NativeBalances(s).Select(b => new Stroops(b).ToAmountString()));
            await output.WriteLineAsync($"participant {i}: {s.Phase}, round {s.Latest?.Round.ToString(CultureInfo.InvariantCulture) ?? "-"}{(s.Pending is { } p ? $" (round {p.Round} pending)" : "")}, balances {balances}").ConfigureAwait(false);
        }

        if (group[0]!.State.MonitorInput() is { } input)
        {
            var header = await group.Ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false);
            var escrow = await group.Ledger.LoadAccountAsync(group.Parameters.Escrow, ct).ConfigureAwait(false);
            var decision = MonitorRule.Decide(input, escrow?.Sequence, header.CloseTime);
            await output.WriteLineAsync($"ledger {header.Sequence} at {header.CloseTime:O}: R={escrow?.Sequence.Value}, monitor says {decision.Case} → {decision.Action}").ConfigureAwait(false);
        }
    }

    private static async Task<LocalChannelGroup> Restore(string horizon, string network, DirectoryInfo dir, HttpClient http, CancellationToken ct)
    {
        var count = dir.Exists ? dir.EnumerateFiles("participant-*.channel").Count() : 0;
        if (count < 2)
        {
            throw new InvalidOperationException($"no channel in {dir.FullName}");
        }

        return await LocalChannelGroup.RestoreAsync(Ledger(horizon, network, http), count, i => Store(dir, i), _ => new RecordingBundleSink(), ct).ConfigureAwait(false);
    }

    private static FileChannelStore Store(DirectoryInfo dir, int i) => new(Path.Combine(dir.FullName, $"participant-{i}.channel"));

    internal static ILedgerClient Ledger(string horizon, string network, HttpClient http) => LedgerClientFactory.Create(
        new LedgerClientOptions { Url = new Uri(horizon, UriKind.Absolute), NetworkPassphrase = CommonOptions.ResolveNetwork(network).Passphrase },
        http,
        TimeProvider.System);

    /// <summary>"250ms", "30s", "15m", "6h", "2d", or a TimeSpan ("1.00:00:00").</summary>
    internal static TimeSpan Duration(string text)
    {
        if (text.EndsWith("ms", StringComparison.Ordinal) && double.TryParse(text[..^2], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        if (text.Length > 1 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(value);
                case 'm': return TimeSpan.FromMinutes(value);
                case 'h': return TimeSpan.FromHours(value);
                case 'd': return TimeSpan.FromDays(value);
            }
        }

        return TimeSpan.Parse(text, CultureInfo.InvariantCulture);
    }
}
