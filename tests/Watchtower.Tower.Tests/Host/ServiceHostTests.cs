using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Watchtower.Contracts;
using Watchtower.Service;
using Watchtower.Stellar;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Tests.Storage;
using Watchtower.Tower.Tests.Support;
using Xunit;

namespace Watchtower.Tower.Tests.Host;

public class ServiceHostTests
{
    internal static Dictionary<string, string?> Settings(params (string Key, string? Value)[] extra)
    {
        using var sealing = TowerSealingKey.Generate();
        var settings = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Ledger:Url"] = "http://127.0.0.1:9/",
            ["Ledger:NetworkPassphrase"] = Network.Standalone.Passphrase,
            ["Tower:Keys:ReceiptSecret"] = KeyPair.Random().Seed.ToString(),
            ["Tower:Keys:SealingKey"] = Convert.ToBase64String(sealing.ExportPrivateKey()),
            ["Tower:KeyPrefix"] = TestServers.UniquePrefix(),
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return settings;
    }

    internal static WebApplication Build(string[] args, Dictionary<string, string?> settings) =>
        WatchtowerHost.Build(args, c => c.AddInMemoryCollection(settings));

    /// <summary>Validation may fail while building (options read by the bus factory) or at start (ValidateOnStart).</summary>
    private static async Task BuildAndStart(string[] args, Dictionary<string, string?> settings)
    {
        await using var app = Build(args, settings);
        await app.StartAsync();
        await app.StopAsync();
    }

    [Theory]
    [InlineData(new[] { "--role", "tail" }, WatchtowerRoles.Tail)]
    [InlineData(new[] { "--role=ingest,respond" }, WatchtowerRoles.Ingest | WatchtowerRoles.Respond)]
    [InlineData(new[] { "--role", "all" }, WatchtowerRoles.All)]
    public void Role_IsReadFromTheCommandLine(string[] args, WatchtowerRoles expected)
    {
        var (roles, rest) = WatchtowerHost.ExtractRoles([.. args, "--urls", "x"]);

        Assert.Equal(expected, Enum.Parse<WatchtowerRoles>(roles!));
        Assert.Equal(["--urls", "x"], rest);
    }

    [Fact]
    public void UnknownRole_IsRefused() =>
        Assert.Throws<ArgumentException>(() => WatchtowerHost.ExtractRoles(["--role", "sing"]));

    [Theory]
    [InlineData(new[] { "--role", "sing" }, "unknown role \"sing\"")]
    [InlineData(new[] { "--role", "respond", "--urls", "http://127.0.0.1:0" }, "Tower:Redis is required")]
    public async Task Run_WithABadArgumentOrSetting_ExitsTwoWithOneLine(string[] args, string expected)
    {
        using var error = new StringWriter();

        Assert.Equal(2, await WatchtowerHost.RunAsync(args, error));
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("Watchtower.Service: invalid configuration:", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithoutRedisAndRabbitMq_FailsValidation()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => BuildAndStart(["--role", "respond"], Settings()));

        Assert.Contains(e.Failures, f => f.Contains("Tower:Redis", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_WithABadSealingKey_FailsValidation()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            BuildAndStart(["--role", "respond"], Settings(("Tower:Embedded", "true"), ("Tower:Keys:SealingKey", "not base64!"))));

        Assert.Contains(e.Failures, f => f.Contains("SealingKey", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HttpPort_Is8080_UnlessAddressesAreConfigured_AndAppSettingsComeFromTheProgramFolder()
    {
        // Both built before either is disposed: MassTransit keeps the last host's logger factory.
        await using var unset = Build(["--role", "respond"], Settings(("Urls", null), ("Tower:Embedded", "true")));
        await using var configured = Build(["--role", "respond"], Settings(("Tower:Embedded", "true")));

        Assert.Equal("8080", unset.Configuration[WebHostDefaults.HttpPortsKey]);

        // appsettings.json is read from the program's folder, not from the working directory.
        Assert.Equal(AppContext.BaseDirectory, unset.Environment.ContentRootPath);
        Assert.Equal("Warning", unset.Configuration["Logging:LogLevel:System.Net.Http.HttpClient"]);
        Assert.True(string.IsNullOrEmpty(configured.Configuration[WebHostDefaults.HttpPortsKey]));
    }

    [Fact]
    public async Task Readiness_WhenNotReady_SaysWhy()
    {
        // The ledger is unreachable (port 9, discard): the tailer cannot sync.
        await using var app = Build(["--role", "tail"], Settings(("Tower:Embedded", "true")));
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            HttpResponseMessage? ready = null;
            for (var i = 0; i < 100 && ready?.StatusCode != HttpStatusCode.ServiceUnavailable; i++)
            {
                ready?.Dispose();
                ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
                if (ready.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    await Task.Delay(100);
                }
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready!.StatusCode);
            Assert.StartsWith("Unhealthy: tailer Stalled", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            ready.Dispose();
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Service_WithRedisAndRabbitMq_IsLiveReadyAndExportsMetrics()
    {
        await using var app = Build(["--role", "respond"], Settings(("Tower:Redis", TestServers.Redis), ("Tower:RabbitMq", TestServers.RabbitMq.ToString())));
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };

            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
            var ready = HttpStatusCode.ServiceUnavailable;
            for (var i = 0; i < 100 && ready != HttpStatusCode.OK; i++)
            {
                // The bus connects in the background after start.
                ready = (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode;
                if (ready != HttpStatusCode.OK)
                {
                    await Task.Delay(100);
                }
            }
            Assert.Equal(HttpStatusCode.OK, ready);
            var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Contains("watchtower_tailer_leader", metrics, StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    internal static HttpClient HttpOf(WebApplication app) =>
        new() { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

    /// <summary>Polls /readyz until <paramref name="until"/> holds (bounded; the bound only turns a hang into a failure).</summary>
    internal static async Task<(HttpStatusCode Status, string Body)> ReadyAsync(HttpClient http, Func<HttpStatusCode, string, bool> until, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
            var body = await response.Content.ReadAsStringAsync();
            if (until(response.StatusCode, body) || DateTime.UtcNow > deadline)
            {
                return (response.StatusCode, body);
            }
            await Task.Delay(200);
        }
    }

    private static (string Host, int Port) RedisAddress()
    {
        var parts = TestServers.Redis.Split(':');
        return (parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Start_WithRedisUnreachable_AnswersNotReadyWithTheReason_ThenReadyOnceRedisIsUp()
    {
        var (host, port) = RedisAddress();
        await using var redis = new TcpForwarder(host, port);
        await using var app = Build(["--role", "respond"], Settings(("Tower:Redis", $"127.0.0.1:{redis.Port}"),
            ("Tower:RabbitMq", TestServers.RabbitMq.ToString()), ("Tower:Startup:ConnectTimeout", "00:00:01"), ("Tower:Startup:RetryMaxDelay", "00:00:01")));
        await app.StartAsync(); // before: RedisConnectionException out of the start (the service aborted, exit 134)
        try
        {
            using var http = HttpOf(app);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
            var down = await ReadyAsync(http, (_, body) => body.Contains("redis unreachable", StringComparison.Ordinal), seconds: 20);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
            Assert.Contains($"redis unreachable (127.0.0.1:{redis.Port})", down.Body, StringComparison.Ordinal);

            redis.Open();

            Assert.Equal(HttpStatusCode.OK, (await ReadyAsync(http, (status, _) => status == HttpStatusCode.OK)).Status);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Start_WithRabbitMqUnreachable_AnswersNotReadyWithTheReason_ThenReadyOnceItIsUp()
    {
        var broker = TestServers.RabbitMq;
        await using var rabbit = new TcpForwarder(broker.Host, broker.Port);
        var uri = new UriBuilder(broker) { Port = rabbit.Port }.Uri;
        await using var app = Build(["--role", "respond"], Settings(("Tower:Redis", TestServers.Redis), ("Tower:RabbitMq", uri.ToString()),
            ("Tower:Startup:ConnectTimeout", "00:00:01"), ("Tower:Startup:RetryMaxDelay", "00:00:01")));
        await app.StartAsync(); // before: waited 60 s for the bus, then threw out of the start
        try
        {
            using var http = HttpOf(app);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
            var down = await ReadyAsync(http, (_, body) => body.Contains("rabbitmq unreachable", StringComparison.Ordinal), seconds: 20);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
            Assert.Contains($"rabbitmq unreachable or bus not started (127.0.0.1:{rabbit.Port}", down.Body, StringComparison.Ordinal);

            rabbit.Open();

            Assert.Equal(HttpStatusCode.OK, (await ReadyAsync(http, (status, _) => status == HttpStatusCode.OK, seconds: 90)).Status);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static string[] ServiceArgs(params (string Key, string? Value)[] settings)
    {
        var all = Settings([("Tower:Startup:ConnectTimeout", "00:00:01"), .. settings]);
        return ["--role", "respond", .. all.SelectMany(kv => new[] { $"--{kv.Key}", kv.Value! })];
    }

    [Fact]
    public async Task FailFast_WithRedisUnreachable_ExitsTwoWithOneLine()
    {
        await using var closed = new TcpForwarder("127.0.0.1", 9); // never opened: nothing listens on its port
        using var error = new StringWriter();

        var code = await WatchtowerHost.RunAsync(ServiceArgs(("Tower:Startup:FailFast", "true"),
            ("Tower:Redis", $"127.0.0.1:{closed.Port}"), ("Tower:RabbitMq", TestServers.RabbitMq.ToString())), error);

        Assert.Equal(2, code);
        Assert.Equal($"Watchtower.Service: cannot start: redis unreachable at 127.0.0.1:{closed.Port}", error.ToString().TrimEnd());
    }

    [Fact]
    public async Task FailFast_WithRabbitMqUnreachable_ExitsTwoWithOneLine()
    {
        await using var closed = new TcpForwarder("127.0.0.1", 9);
        using var error = new StringWriter();

        var code = await WatchtowerHost.RunAsync(ServiceArgs(("Tower:Startup:FailFast", "true"),
            ("Tower:Redis", TestServers.Redis), ("Tower:RabbitMq", $"amqp://guest:guest@127.0.0.1:{closed.Port}/")), error);

        Assert.Equal(2, code);
        var line = Assert.Single(error.ToString().TrimEnd().Split('\n'));
        Assert.StartsWith($"Watchtower.Service: cannot start: rabbitmq unreachable at 127.0.0.1:{closed.Port}", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MassTransitUsageTelemetry_IsOff()
    {
        await using var app = Build(["--role", "respond"], Settings(("Tower:Embedded", "true")));

        // MassTransit's own switch, read by its usage tracker before it reports anything.
        Assert.False(app.Services.GetRequiredService<IOptions<MassTransit.UsageTelemetryOptions>>().Value.Enabled);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task KeyFileOpenToGroupOrOthers_IsRefusedAtStart_UnlessAllowed()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, KeyPair.Random().Seed.ToString());
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            using var error = new StringWriter();

            var code = await WatchtowerHost.RunAsync(ServiceArgs(("Tower:Embedded", "true"), ("Tower:Keys:ReceiptSecret", ""),
                ("Tower:Keys:ReceiptSecretFile", path)), error);

            Assert.Equal(2, code);
            Assert.Contains($"Tower:Keys:ReceiptSecretFile {path} is open to group or others (mode 644)", error.ToString(), StringComparison.Ordinal);

            // Allowed by option (a warning instead), and accepted once only its owner can read it.
            await BuildAndStart(["--role", "respond"], Settings(("Tower:Embedded", "true"), ("Tower:Keys:ReceiptSecret", null),
                ("Tower:Keys:ReceiptSecretFile", path), ("Tower:Keys:AllowInsecureKeyFiles", "true")));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await BuildAndStart(["--role", "respond"], Settings(("Tower:Embedded", "true"), ("Tower:Keys:ReceiptSecret", null),
                ("Tower:Keys:ReceiptSecretFile", path)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Readiness_WithOverdueWork_SaysWhich_OnTheRespondRole()
    {
        await using var app = Build(["--role", "respond"], Settings(("Tower:Embedded", "true")));
        await app.StartAsync();
        try
        {
            using var http = HttpOf(app);
            Assert.Equal(HttpStatusCode.OK, (await ReadyAsync(http, (status, _) => status == HttpStatusCode.OK, seconds: 20)).Status);
            var store = app.Services.GetRequiredService<Watchtower.Tower.Storage.IChannelStore>();
            var channel = new Watchtower.TestSupport.TestChannel().ChannelId();
            var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            // A follow-up due five minutes ago that nobody answered, seen from a process that knows the ledger time.
            await store.ScheduleFollowUpAsync(channel, (ulong)now.AddMinutes(-5).ToUnixTimeSeconds(), default);
            app.Services.GetRequiredService<Watchtower.Tower.Observability.LedgerClock>().Observe(now);

            await app.Services.GetRequiredService<Watchtower.Tower.Observability.OverdueWorkMonitor>().SampleAsync(default);

            var (status, body) = await ReadyAsync(http, (s, _) => s == HttpStatusCode.ServiceUnavailable, seconds: 5);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains($"work overdue: 1 deadline(s) or follow-up(s) unanswered for more than 120 s of ledger time, oldest 300 s (channel {channel})", body, StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
