using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Watchtower.Contracts;
using Watchtower.Deploy.Tests.Chart;
using Watchtower.Ledger;
using Watchtower.Service;
using Watchtower.Stellar;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Responding;
using Watchtower.Tower.Tailing;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Watchtower.Deploy.Tests;

/// <summary>
/// The environment the chart gives a pod (ConfigMap through envFrom, then the container's env with
/// the connections Secret resolved), fed to the tower's real option binding and start-up validation.
/// </summary>
public sealed class ServiceConfigurationTests
{
    /// <summary>Configuration sections the tower binds, and their option types (see AddWatchtower).</summary>
    private static readonly Dictionary<string, Type> Sections = new(StringComparer.Ordinal)
    {
        ["Tower"] = typeof(WatchtowerOptions),
        ["Tower:Keys"] = typeof(TowerKeyOptions),
        ["Tower:Bus"] = typeof(TowerBusOptions),
        ["Tower:Tailer"] = typeof(TailerOptions),
        ["Tower:Store"] = typeof(Watchtower.Tower.Storage.StoreOptions),
        ["Tower:Deadline"] = typeof(DeadlineOptions),
        ["Tower:Responder"] = typeof(ResponderOptions),
        ["Tower:Fees"] = typeof(FeeOptions),
        ["Ledger"] = typeof(LedgerClientOptions),
    };

    [Theory]
    [InlineData("ingest", WatchtowerRoles.Ingest)]
    [InlineData("tail", WatchtowerRoles.Tail)]
    [InlineData("respond", WatchtowerRoles.Respond)]
    public void PodEnvironment_PassesTheTowerStartupValidation(string role, WatchtowerRoles expected)
    {
        var keys = Directory.CreateTempSubdirectory("watchtower-keys-");
        try
        {
            File.WriteAllText(Path.Combine(keys.FullName, "receipt-secret"), KeyPair.Random().Seed.ToString());
            using (var sealing = TowerSealingKey.Generate())
            {
                File.WriteAllText(Path.Combine(keys.FullName, "sealing-key"), Convert.ToBase64String(sealing.ExportPrivateKey()));
            }

            File.WriteAllText(Path.Combine(keys.FullName, "fee-account"), KeyPair.Random().Seed.ToString());
            var chart = TemplateExpander.ForChart(Repo.ChartDir, $"keys:\n  mountPath: {keys.FullName}\n  feeAccountSecretFile: fee-account\n  operatorKey: {KeyPair.Random().AccountId}\n");
            var environment = PodEnvironment(chart, role);
            var args = ContainerArgs(chart, role);

            // The service's own host, given the container's args and environment (built, not started).
            using var app = WatchtowerHost.Build(args, c => c.AddInMemoryCollection(
                environment.Select(kv => KeyValuePair.Create(kv.Key.Replace("__", ":", StringComparison.Ordinal), (string?)kv.Value))));
            var provider = app.Services;
            provider.GetRequiredService<IStartupValidator>().Validate();

            var values = ChartFixture.Values;
            var tower = provider.GetRequiredService<IOptions<WatchtowerOptions>>().Value;
            Assert.Equal(expected, tower.Roles);
            Assert.False(tower.Embedded);
            Assert.Equal(YamlTree.ScalarAt(values, "redis.configuration"), tower.Redis);
            Assert.Equal(new Uri(YamlTree.ScalarAt(values, "rabbitmq.uri")!), tower.RabbitMq);
            Assert.Equal(YamlTree.ScalarAt(values, "config.keyPrefix"), tower.KeyPrefix);
            if (expected.HasFlag(WatchtowerRoles.Ingest))
            {
                // The chart's prefix also names the queue wallets send their uploads to.
                var upload = provider.GetRequiredService<MassTransit.IConsumerDefinition<UploadBundleConsumer>>();
                Assert.Equal($"{YamlTree.ScalarAt(values, "config.keyPrefix")}-upload-bundle",
                    upload.GetEndpointName(MassTransit.DefaultEndpointNameFormatter.Instance));
            }

            var ledger = provider.GetRequiredService<IOptions<LedgerClientOptions>>().Value;
            Assert.Equal(LedgerApiKind.Horizon, ledger.Kind);
            Assert.Equal(new Uri(YamlTree.ScalarAt(values, "config.ledger.url")!), ledger.Url);
            Assert.Equal(YamlTree.ScalarAt(values, "config.ledger.networkPassphrase"), ledger.NetworkPassphrase);

            Assert.Equal(TimeSpan.Parse(YamlTree.ScalarAt(values, "config.deadline.safetyMargin")!, System.Globalization.CultureInfo.InvariantCulture),
                provider.GetRequiredService<IOptions<DeadlineOptions>>().Value.SafetyMargin);
            Assert.Equal(long.Parse(YamlTree.ScalarAt(values, "config.fees.maxFeePerOperation")!, System.Globalization.CultureInfo.InvariantCulture),
                provider.GetRequiredService<IOptions<FeeOptions>>().Value.MaxFeePerOperation);
            Assert.Equal(int.Parse(YamlTree.ScalarAt(values, "config.responder.concurrency")!, System.Globalization.CultureInfo.InvariantCulture),
                provider.GetRequiredService<IOptions<ResponderOptions>>().Value.Concurrency);
            Assert.Equal(TimeSpan.FromSeconds(5), provider.GetRequiredService<IOptions<TailerOptions>>().Value.LeaseTtl);
            var store = provider.GetRequiredService<IOptions<Watchtower.Tower.Storage.StoreOptions>>().Value;
            Assert.Equal(int.Parse(YamlTree.ScalarAt(values, "config.store.minReplicas")!, System.Globalization.CultureInfo.InvariantCulture), store.MinReplicas);
            Assert.Equal(TimeSpan.Parse(YamlTree.ScalarAt(values, "config.store.recoveryWindow")!, System.Globalization.CultureInfo.InvariantCulture), store.RecoveryWindow);
            Assert.False(store.AllowNonDurable);
            Assert.Equal(Path.Combine(keys.FullName, "fee-account"), provider.GetRequiredService<IOptions<TowerKeyOptions>>().Value.FeeAccountSecretFile);
        }
        finally
        {
            keys.Delete(recursive: true);
        }
    }

    [Fact]
    public void EveryTowerKeyTheChartSets_NamesAnOptionProperty()
    {
        var environment = PodEnvironment(ChartFixture.AllEnabled, "tail")
            .Concat(PodEnvironment(TemplateExpander.ForChart(Repo.ChartDir, $"keys:\n  feeAccountSecretFile: fee\n  operatorKey: {KeyPair.Random().AccountId}\nconfig:\n  rabbitMqNodes: rabbit-0:5672,rabbit-1\n"), "tail"))
            .Where(kv => kv.Key.StartsWith("Tower__", StringComparison.Ordinal) || kv.Key.StartsWith("Ledger__", StringComparison.Ordinal))
            .DistinctBy(kv => kv.Key)
            .ToList();
        Assert.Contains(environment, kv => kv.Key == "Tower__Keys__FeeAccountSecretFile");
        Assert.Contains(environment, kv => kv.Key == "Tower__RabbitMqNodes" && kv.Value == "rabbit-0:5672,rabbit-1");
        Assert.Contains(environment, kv => kv.Key == "Tower__Keys__OperatorKey");

        foreach (var section in environment.GroupBy(kv => kv.Key[..kv.Key.LastIndexOf("__", StringComparison.Ordinal)].Replace("__", ":", StringComparison.Ordinal)))
        {
            Assert.True(Sections.TryGetValue(section.Key, out var type), $"the chart sets keys in section {section.Key}, which the tower does not bind");
            var leaves = section.Select(kv => KeyValuePair.Create(kv.Key[(kv.Key.LastIndexOf("__", StringComparison.Ordinal) + 2)..], (string?)kv.Value));
            var bound = new ConfigurationBuilder().AddInMemoryCollection(leaves).Build();

            // Throws for a key that matches no property, or a value that does not convert.
            bound.Get(type!, o => o.ErrorOnUnknownConfiguration = true);
        }
    }

    [Fact]
    public void ProbeAndScrapePaths_AreServedByTheHost()
    {
        var keys = Directory.CreateTempSubdirectory("watchtower-keys-");
        try
        {
            File.WriteAllText(Path.Combine(keys.FullName, "receipt-secret"), KeyPair.Random().Seed.ToString());
            using (var sealing = TowerSealingKey.Generate())
            {
                File.WriteAllText(Path.Combine(keys.FullName, "sealing-key"), Convert.ToBase64String(sealing.ExportPrivateKey()));
            }

            var chart = TemplateExpander.ForChart(Repo.ChartDir, $"keys:\n  mountPath: {keys.FullName}\n");
            var environment = PodEnvironment(chart, "tail");
            using var app = WatchtowerHost.Build(ContainerArgs(chart, "tail"), c => c.AddInMemoryCollection(
                environment.Select(kv => KeyValuePair.Create(kv.Key.Replace("__", ":", StringComparison.Ordinal), (string?)kv.Value))));
            var routes = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
                .Select(e => (string?)("/" + e.RoutePattern.RawText!.TrimStart('/'))).ToHashSet();

            var container = ((YamlSequenceNode)YamlTree.At(Render(chart, "deployment-tail.yaml"), "spec.template.spec.containers")!).Children[0];
            Assert.Contains(YamlTree.ScalarAt(container, "livenessProbe.httpGet.path"), routes);
            Assert.Contains(YamlTree.ScalarAt(container, "readinessProbe.httpGet.path"), routes);
            var endpoint = ((YamlSequenceNode)YamlTree.At(Render(ChartFixture.AllEnabled, "servicemonitor.yaml"), "spec.endpoints")!).Children[0];
            Assert.Contains(YamlTree.ScalarAt(endpoint, "path"), routes);
            Assert.Equal("8080", environment["ASPNETCORE_HTTP_PORTS"]);
        }
        finally
        {
            keys.Delete(recursive: true);
        }
    }

    private static string[] ContainerArgs(TemplateExpander chart, string role)
    {
        var container = ((YamlSequenceNode)YamlTree.At(Render(chart, $"deployment-{role}.yaml"), "spec.template.spec.containers")!).Children[0];
        return ((YamlSequenceNode)YamlTree.At(container, "args")!).Children.Select(a => ((YamlScalarNode)a).Value!).ToArray();
    }

    /// <summary>Environment variables a role's container sees, as Kubernetes would assemble them (envFrom, then env).</summary>
    private static Dictionary<string, string> PodEnvironment(TemplateExpander chart, string role)
    {
        var configMap = Render(chart, "configmap.yaml");
        var environment = ((YamlMappingNode)YamlTree.At(configMap, "data")!).Children
            .ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value ?? "", StringComparer.Ordinal);

        var secrets = chart.Expand(ChartFixture.TemplateText("secret-connections.yaml"), BranchChoice.First) is var text && YamlTree.LoadAll(text).Count == 1
            ? (YamlMappingNode)YamlTree.At(YamlTree.LoadAll(text)[0], "stringData")!
            : new YamlMappingNode();
        var deployment = Render(chart, $"deployment-{role}.yaml");
        var container = ((YamlSequenceNode)YamlTree.At(deployment, "spec.template.spec.containers")!).Children[0];
        foreach (var variable in ((YamlSequenceNode)YamlTree.At(container, "env")!).Children)
        {
            var name = YamlTree.ScalarAt(variable, "name")!;
            var key = YamlTree.ScalarAt(variable, "valueFrom.secretKeyRef.key");
            var value = YamlTree.ScalarAt(variable, "value") is { } literal
                ? ExpandReferences(literal, environment)
                : key is not null && secrets.Children.TryGetValue(new YamlScalarNode(key), out var secret) ? ((YamlScalarNode)secret).Value
                : key is not null ? "from-" + key // a Secret the chart does not render (a subchart's)
                : null;
            environment[name] = value ?? throw new InvalidOperationException($"{name} has no value this test can resolve");
        }

        return environment;
    }

    /// <summary>Kubernetes' $(VAR) expansion of variables defined earlier.</summary>
    private static string ExpandReferences(string value, Dictionary<string, string> environment) =>
        System.Text.RegularExpressions.Regex.Replace(value, @"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
            m => environment.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    private static YamlNode Render(TemplateExpander chart, string file) =>
        YamlTree.LoadAll(chart.Expand(ChartFixture.TemplateText(file), BranchChoice.First)).Single();

}
