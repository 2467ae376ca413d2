using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Watchtower.Standalone.Engine;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Tests;

/// <summary>A ledger close that throws leaves the network as it was, and the close loop goes on.</summary>
public sealed class CloseFailureTests
{
    [Fact]
    public void FailedClose_LeavesLedgerQueueAndEntriesUnchanged_NextCloseIncludesTheQueuedTransaction()
    {
        var time = new FailingClock(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var engine = new StandaloneNetwork(new StandaloneNetworkOptions(), time);
        var dest = KeyPair.Random();
        var env = new TransactionBuilder(engine.Root.AccountId, new SequenceNumber(engine.GetAccount(engine.Root.AccountId)!.SeqNum))
            .AddOperation(new CreateAccountOperation(dest.AccountId, Stroops.FromLumens(10)))
            .BuildEnvelope().Sign(engine.Network, engine.Root);
        Assert.Equal(SubmitStatus.Pending, engine.Submit(env).Status);
        var rootBefore = engine.GetAccount(engine.Root.AccountId);

        time.Failing = true;
        Assert.Throws<ClockFailedException>(() => engine.CloseLedger());
        time.Failing = false;

        Assert.Equal(1u, engine.Latest.Sequence);
        Assert.Equal(1, engine.PendingCount);
        Assert.Equal(rootBefore, engine.GetAccount(engine.Root.AccountId));
        var closed = engine.CloseLedger();
        Assert.Equal(2u, closed.Ledger.Sequence);
        Assert.True(Assert.Single(closed.Ledger.Transactions).Successful);
        Assert.NotNull(engine.GetAccount(dest.AccountId));
    }

    [Fact]
    public async Task CloseLoop_SurvivesAFailingClose_AndLogsIt()
    {
        var time = new FailingClock(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        using var logs = new RecordingLoggerFactory();
        await using var server = await StandaloneServer.StartAsync(
            new StandaloneOptions { CloseInterval = TimeSpan.FromSeconds(5), LoggerFactory = logs }, time, CancellationToken.None);

        time.Failing = true;
        Assert.True(SpinWait.SpinUntil(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return !logs.Errors.IsEmpty;
        }, TimeSpan.FromSeconds(10)));
        time.Failing = false;
        Assert.IsType<ClockFailedException>(logs.Errors.First());
        Assert.Equal(1u, server.Inspect(e => e.Latest.Sequence));

        Assert.True(SpinWait.SpinUntil(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return server.Inspect(e => e.Latest.Sequence) >= 3;
        }, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task CloseOnSubmit_RetriesAFailedClose_WithoutAnotherSubmission()
    {
        var time = new FailingClock(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        using var logs = new RecordingLoggerFactory();
        await using var host = new LedgerHost(new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true, LoggerFactory = logs }, time);
        host.Start();

        var envelope = CreateAccount(host);
        // The submission reads the clock on this thread and succeeds; the close loop's read fails.
        time.FailingExceptOnThread = Environment.CurrentManagedThreadId;
        var submitted = host.Submit(envelope);
        Assert.True(SpinWait.SpinUntil(() => !logs.Errors.IsEmpty, TimeSpan.FromSeconds(10)));
        time.FailingExceptOnThread = null;
        Assert.False(submitted.IsCompleted);

        // Only the retry's clock moves; nobody submits again.
        Assert.True(SpinWait.SpinUntil(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
            return submitted.IsCompleted;
        }, TimeSpan.FromSeconds(10)));
        Assert.True((await submitted).Record!.Successful);
        Assert.Equal(2u, host.Read(e => e.Latest.Sequence));
    }

    [Fact]
    public async Task FailedStateSave_StillAnswersTheSubmitter_AndTheLoopGoesOn()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"standalone-{Guid.NewGuid():N}");
        var path = Path.Combine(folder, "state.json");
        using var logs = new RecordingLoggerFactory();
        await using var host = new LedgerHost(
            new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true, StatePath = path, LoggerFactory = logs },
            new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000)));
        host.Start();
        try
        {
            // The folder is missing: saving fails, yet the submitter hears that its transaction is in.
            var first = await host.Submit(CreateAccount(host));
            Assert.True(first.Record!.Successful);
            // The loop logs the failure after the submitter was told.
            Assert.True(SpinWait.SpinUntil(() => !logs.Errors.IsEmpty, TimeSpan.FromSeconds(10)));
            Assert.IsType<DirectoryNotFoundException>(Assert.Single(logs.Errors));

            Directory.CreateDirectory(folder);
            var second = await host.Submit(CreateAccount(host));
            Assert.True(second.Record!.Successful);
            Assert.True(File.Exists(path));
            Assert.Single(logs.Errors);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static TransactionEnvelope CreateAccount(LedgerHost host)
    {
        var root = host.Root;
        var seq = host.Read(e => e.GetAccount(root.AccountId)!.SeqNum);
        return new TransactionBuilder(root.AccountId, new SequenceNumber(seq))
            .AddOperation(new CreateAccountOperation(KeyPair.Random().AccountId, Stroops.FromLumens(10)))
            .BuildEnvelope().Sign(host.Network, root);
    }

    private sealed class ClockFailedException() : Exception("the clock failed");

    /// <summary>A fake clock whose reads can be made to fail: a close reads the time first.</summary>
    private sealed class FailingClock(DateTimeOffset start) : FakeTimeProvider(start)
    {
        public volatile bool Failing;

        private int _failingExceptOnThread = -1;

        /// <summary>Reads fail on every thread but this one.</summary>
        public int? FailingExceptOnThread
        {
            get => Volatile.Read(ref _failingExceptOnThread) is var t and >= 0 ? t : null;
            set => Volatile.Write(ref _failingExceptOnThread, value ?? -1);
        }

        public override DateTimeOffset GetUtcNow() =>
            Failing || (FailingExceptOnThread is { } t && t != Environment.CurrentManagedThreadId)
                ? throw new ClockFailedException()
                : base.GetUtcNow();
    }

    private sealed class RecordingLoggerFactory : ILoggerFactory, ILogger
    {
        public ConcurrentQueue<Exception> Errors { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error && exception is not null)
            {
                Errors.Enqueue(exception);
            }
        }

        public void Dispose()
        {
        }
    }
}
