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
using Xunit;

namespace Watchtower.Tower.Tests.Host;

public class ServiceHostTests
{
    private static Dictionary<string, string?> Settings(params (string Key, string? Value)[] extra)
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

    private static WebApplication Build(string[] args, Dictionary<string, string?> settings) =>
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
}
