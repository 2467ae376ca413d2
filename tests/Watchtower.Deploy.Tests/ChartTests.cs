using System.Text.Json;
using Watchtower.Deploy.Tests.Chart;
using Watchtower.Deploy.Tests.Metrics;
using Watchtower.Deploy.Tests.Schema;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Watchtower.Deploy.Tests;

public sealed class ChartTests
{
    public static TheoryData<string> Templates => new(ChartFixture.ResourceTemplates);

    public static TheoryData<string> Roles => new("ingest", "tail", "respond");

    [Fact]
    public void ValuesYaml_ValidatesAgainstTheSchema()
    {
        Assert.Empty(SchemaValidator.Validate(ChartFixture.Values, ChartFixture.Schema));
        var allEnabled = YamlTree.Merge(ChartFixture.Values, YamlTree.LoadSingle(ChartFixture.AllEnabledOverride)!);
        Assert.Empty(SchemaValidator.Validate(allEnabled, ChartFixture.Schema));
    }

    [Fact]
    public void Schema_IsDraft07WithinTheValidatedSubset()
    {
        var schema = ChartFixture.Schema;
        Assert.Equal("http://json-schema.org/draft-07/schema#", schema.GetProperty("$schema").GetString());
        Assert.Empty(SchemaValidator.UnsupportedKeywords(schema));
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_ExpandsToOneLabelledResource(string file)
    {
        // Every optional part on: each template is exactly one resource, whichever branch an
        // unevaluated condition takes.
        Assert.Empty(ChartChecks.ResourceProblems(ChartFixture.Render(ChartFixture.AllEnabled, file, BranchChoice.First)));
        Assert.Empty(ChartChecks.ResourceProblems(ChartFixture.Render(ChartFixture.AllEnabled, file, BranchChoice.Last)));

        // Defaults: the monitoring resources are off, everything else is one resource.
        var offByDefault = file is "servicemonitor.yaml" or "prometheusrule.yaml" or "configmap-dashboards.yaml";
        foreach (var choice in new[] { BranchChoice.First, BranchChoice.Last })
        {
            var rendered = ChartFixture.Render(ChartFixture.Defaults, file, choice);
            if (offByDefault)
            {
                Assert.Empty(rendered);
            }
            else
            {
                Assert.Empty(ChartChecks.ResourceProblems(rendered));
            }
        }
    }

    [Fact]
    public void EveryValuesReference_ExistsInValuesYaml()
    {
        var files = Directory.GetFiles(ChartFixture.TemplatesDir);
        var references = files.SelectMany(f => ChartChecks.ValuesReferences(File.ReadAllText(f))).ToHashSet();
        Assert.Contains("tail.replicas", references);
        Assert.Empty(ChartChecks.MissingValues(references, ChartFixture.Values));
    }

    [Fact]
    public void IntegerValues_ArePrintedThroughInt64()
    {
        // Helm holds numbers from values as float64 and prints 1000000 as 1e+06.
        var problems = Directory.GetFiles(ChartFixture.TemplatesDir)
            .SelectMany(f => ChartChecks.IntegersPrintedWithoutInt64(File.ReadAllText(f), ChartFixture.Schema).Select(p => $"{Path.GetFileName(f)}: {p}"));
        Assert.Empty(problems);
    }

    [Fact]
    public void EveryHelperIsUsed()
    {
        var texts = string.Join('\n', Directory.GetFiles(ChartFixture.TemplatesDir).Select(File.ReadAllText));
        var unused = ChartFixture.Defaults.DefineNames.Where(n => !texts.Contains($"include \"{n}\"", StringComparison.Ordinal));
        Assert.Empty(unused);
    }

    [Fact]
    public void ChartYaml_DeclaresTheOptionalSubchartsDisabledByDefault()
    {
        var chart = YamlTree.LoadSingle(Repo.Read("helm", "watchtower", "Chart.yaml"))!;
        Assert.Equal("v2", YamlTree.ScalarAt(chart, "apiVersion"));
        var dependencies = ((YamlSequenceNode)YamlTree.At(chart, "dependencies")!).Children;
        foreach (var name in new[] { "redis", "rabbitmq" })
        {
            var dependency = Assert.Single(dependencies, d => YamlTree.ScalarAt(d, "name") == name);
            Assert.Equal($"{name}.enabled", YamlTree.ScalarAt(dependency, "condition"));
            Assert.Contains("bitnami", YamlTree.ScalarAt(dependency, "repository"), StringComparison.Ordinal);
            Assert.Equal("false", YamlTree.ScalarAt(ChartFixture.Values, $"{name}.enabled"));
        }

        Assert.False(string.IsNullOrEmpty(YamlTree.ScalarAt(ChartFixture.Values, "redis.configuration")));
        Assert.False(string.IsNullOrEmpty(YamlTree.ScalarAt(ChartFixture.Values, "rabbitmq.uri")));
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public void Deployment_RunsItsRoleHardenedWithProbes(string role)
    {
        var deployment = ChartFixture.Resource($"deployment-{role}.yaml");
        Assert.Equal("Deployment", YamlTree.ScalarAt(deployment, "kind"));
        Assert.Equal(role, Label(deployment));
        Assert.Equal(role, Label(YamlTree.At(deployment, "spec.template")!));
        Assert.Equal(role, Selector(deployment));

        var pod = YamlTree.At(deployment, "spec.template.spec")!;
        Assert.Equal("true", YamlTree.ScalarAt(pod, "securityContext.runAsNonRoot"));
        Assert.Equal("RuntimeDefault", YamlTree.ScalarAt(pod, "securityContext.seccompProfile.type"));
        Assert.Equal("false", YamlTree.ScalarAt(pod, "automountServiceAccountToken"));

        var container = Assert.Single(((YamlSequenceNode)YamlTree.At(pod, "containers")!).Children);
        Assert.Equal(["--role", role], ((YamlSequenceNode)YamlTree.At(container, "args")!).Children.Select(a => ((YamlScalarNode)a).Value));
        Assert.Equal("true", YamlTree.ScalarAt(container, "securityContext.readOnlyRootFilesystem"));
        Assert.Equal("true", YamlTree.ScalarAt(container, "securityContext.runAsNonRoot"));
        Assert.Equal("false", YamlTree.ScalarAt(container, "securityContext.allowPrivilegeEscalation"));
        Assert.Equal("RuntimeDefault", YamlTree.ScalarAt(container, "securityContext.seccompProfile.type"));
        Assert.Equal(["ALL"], ((YamlSequenceNode)YamlTree.At(container, "securityContext.capabilities.drop")!).Children.Select(c => ((YamlScalarNode)c).Value));

        var port = Assert.Single(((YamlSequenceNode)YamlTree.At(container, "ports")!).Children);
        Assert.Equal("8080", YamlTree.ScalarAt(port, "containerPort"));
        var portName = YamlTree.ScalarAt(port, "name");
        Assert.Equal("/healthz", YamlTree.ScalarAt(container, "livenessProbe.httpGet.path"));
        Assert.Equal(portName, YamlTree.ScalarAt(container, "livenessProbe.httpGet.port"));
        Assert.Equal("/readyz", YamlTree.ScalarAt(container, "readinessProbe.httpGet.path"));
        Assert.Equal(portName, YamlTree.ScalarAt(container, "readinessProbe.httpGet.port"));

        // Writable /tmp on a read-only root, keys read-only from the Secret.
        var mounts = ((YamlSequenceNode)YamlTree.At(container, "volumeMounts")!).Children;
        var volumes = ((YamlSequenceNode)YamlTree.At(pod, "volumes")!).Children;
        var tmp = Assert.Single(mounts, m => YamlTree.ScalarAt(m, "mountPath") == "/tmp");
        Assert.NotNull(YamlTree.At(Assert.Single(volumes, v => YamlTree.ScalarAt(v, "name") == YamlTree.ScalarAt(tmp, "name")), "emptyDir"));
        var keys = Assert.Single(mounts, m => YamlTree.ScalarAt(m, "mountPath") == "/etc/watchtower/keys");
        Assert.Equal("true", YamlTree.ScalarAt(keys, "readOnly"));
        Assert.NotNull(YamlTree.At(Assert.Single(volumes, v => YamlTree.ScalarAt(v, "name") == YamlTree.ScalarAt(keys, "name")), "secret"));

        Assert.NotNull(YamlTree.At(container, "resources.requests"));
        var env = ((YamlSequenceNode)YamlTree.At(container, "env")!).Children.Select(e => YamlTree.ScalarAt(e, "name")).ToList();
        Assert.Contains("Tower__Redis", env);
        Assert.Contains("Tower__RabbitMq", env);
    }

    [Fact]
    public void TailDeployment_RunsTwoReplicasForLeaseFailover()
    {
        var tail = ChartFixture.Resource("deployment-tail.yaml");
        Assert.Equal("2", YamlTree.ScalarAt(tail, "spec.replicas"));
        Assert.Equal("0", YamlTree.ScalarAt(tail, "spec.strategy.rollingUpdate.maxUnavailable"));
        Assert.False(File.Exists(Path.Combine(ChartFixture.TemplatesDir, "hpa-tail.yaml")));
    }

    [Theory]
    [InlineData("ingest")]
    [InlineData("respond")]
    public void Autoscaler_TargetsItsRoleDeployment(string role)
    {
        var hpa = ChartFixture.Resource($"hpa-{role}.yaml");
        Assert.Equal("autoscaling/v2", YamlTree.ScalarAt(hpa, "apiVersion"));
        Assert.Equal("Deployment", YamlTree.ScalarAt(hpa, "spec.scaleTargetRef.kind"));
        Assert.Equal(YamlTree.ScalarAt(ChartFixture.Resource($"deployment-{role}.yaml"), "metadata.name"), YamlTree.ScalarAt(hpa, "spec.scaleTargetRef.name"));
        Assert.Equal(role, Label(hpa));

        // With autoscaling on, the Deployment leaves replicas to the autoscaler; off, it sets them.
        Assert.Null(YamlTree.At(ChartFixture.Resource($"deployment-{role}.yaml"), "spec.replicas"));
        var fixedSize = TemplateExpander.ForChart(Repo.ChartDir, $"{role}:\n  autoscaling:\n    enabled: false\n  replicas: 3\n");
        Assert.Equal("3", YamlTree.ScalarAt(ChartFixture.Render(fixedSize, $"deployment-{role}.yaml").Single(), "spec.replicas"));
        Assert.Empty(ChartFixture.Render(fixedSize, $"hpa-{role}.yaml"));
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public void DisruptionBudget_SelectsItsRolePods(string role)
    {
        var pdb = ChartFixture.Resource($"pdb-{role}.yaml");
        Assert.Equal("policy/v1", YamlTree.ScalarAt(pdb, "apiVersion"));
        Assert.Equal(role, Selector(pdb));
    }

    [Theory]
    [InlineData("servicemonitor.yaml", "serviceMonitor")]
    [InlineData("prometheusrule.yaml", "prometheusRule")]
    [InlineData("configmap-dashboards.yaml", "dashboards")]
    public void MonitoringResource_IsOffByDefaultAndOnWhenEnabled(string file, string section)
    {
        Assert.Equal("false", YamlTree.ScalarAt(ChartFixture.Values, section + ".enabled"));
        Assert.Empty(ChartFixture.Render(ChartFixture.Defaults, file));
        var enabled = TemplateExpander.ForChart(Repo.ChartDir, $"{section}:\n  enabled: true\n");
        Assert.Single(ChartFixture.Render(enabled, file));
    }

    [Theory]
    [InlineData("secret-keys.yaml", "keys")]
    [InlineData("secret-connections.yaml", "connections")]
    public void Secret_IsReplacedByAnExistingSecret(string file, string section)
    {
        Assert.Single(ChartFixture.Render(ChartFixture.Defaults, file));
        var existing = TemplateExpander.ForChart(Repo.ChartDir, $"{section}:\n  existingSecret: mine\n");
        Assert.Empty(ChartFixture.Render(existing, file));
        var deployment = ChartFixture.Render(existing, "deployment-respond.yaml").Single();
        var referenced = section == "keys"
            ? ((YamlSequenceNode)YamlTree.At(deployment, "spec.template.spec.volumes")!).Children.Select(v => YamlTree.ScalarAt(v, "secret.secretName"))
            : Env(deployment).Values.Select(e => YamlTree.ScalarAt(e, "valueFrom.secretKeyRef.name"));
        Assert.Contains("mine", referenced);
    }

    [Fact]
    public void Subcharts_WhenEnabled_SupplyTheConnectionStrings()
    {
        var env = Env(ChartFixture.EnabledResource("deployment-tail.yaml"));
        // The subchart's name depends on whether the release name contains the chart's (a condition the
        // expander keeps unevaluated, so either form may come out).
        Assert.Matches(@"^placeholder(-redis)?-master:6379,password=\$\(REDIS_PASSWORD\)$", YamlTree.ScalarAt(env["Tower__Redis"], "value"));
        Assert.Equal("redis-password", YamlTree.ScalarAt(env["REDIS_PASSWORD"], "valueFrom.secretKeyRef.key"));
        Assert.Matches(@"^amqp://watchtower:\$\(RABBITMQ_PASSWORD\)@placeholder(-rabbitmq)?:5672/$", YamlTree.ScalarAt(env["Tower__RabbitMq"], "value"));
        Assert.Equal("rabbitmq-password", YamlTree.ScalarAt(env["RABBITMQ_PASSWORD"], "valueFrom.secretKeyRef.key"));

        // $(VAR) expansion only sees variables defined earlier in the list.
        var names = env.Keys.ToList();
        Assert.True(names.IndexOf("REDIS_PASSWORD") < names.IndexOf("Tower__Redis"));
        Assert.True(names.IndexOf("RABBITMQ_PASSWORD") < names.IndexOf("Tower__RabbitMq"));

        var external = Env(ChartFixture.Resource("deployment-tail.yaml"));
        Assert.Equal("redis-configuration", YamlTree.ScalarAt(external["Tower__Redis"], "valueFrom.secretKeyRef.key"));
        Assert.Equal("rabbitmq-uri", YamlTree.ScalarAt(external["Tower__RabbitMq"], "valueFrom.secretKeyRef.key"));
    }

    [Fact]
    public void KeysSecret_HoldsTheGivenKeyFiles()
    {
        var secret = ChartFixture.EnabledResource("secret-keys.yaml");
        var data = (YamlMappingNode)YamlTree.At(secret, "data")!;
        Assert.Equal("c2VjcmV0", ((YamlScalarNode)Assert.Single(data.Children, kv => ((YamlScalarNode)kv.Key).Value == "tower.key").Value).Value);
    }

    [Fact]
    public void ServiceAndServiceMonitor_ExposeMetricsOnThePodPort()
    {
        var service = ChartFixture.Resource("service.yaml");
        var port = Assert.Single(((YamlSequenceNode)YamlTree.At(service, "spec.ports")!).Children);
        Assert.Equal("8080", YamlTree.ScalarAt(port, "port"));
        Assert.Equal("http", YamlTree.ScalarAt(port, "targetPort"));

        var monitor = ChartFixture.EnabledResource("servicemonitor.yaml");
        Assert.Equal("monitoring.coreos.com/v1", YamlTree.ScalarAt(monitor, "apiVersion"));
        var endpoint = Assert.Single(((YamlSequenceNode)YamlTree.At(monitor, "spec.endpoints")!).Children);
        Assert.Equal("http", YamlTree.ScalarAt(endpoint, "port"));
        Assert.Equal("/metrics", YamlTree.ScalarAt(endpoint, "path"));

        // The ServiceMonitor selects the Service by its labels.
        var selector = (YamlMappingNode)YamlTree.At(monitor, "spec.selector.matchLabels")!;
        var labels = (YamlMappingNode)YamlTree.At(service, "metadata.labels")!;
        Assert.All(selector.Children, kv => Assert.Equal(kv.Value, labels.Children[kv.Key]));
    }

    [Fact]
    public void ConfigMap_CarriesTheServiceSettings()
    {
        var data = (YamlMappingNode)YamlTree.At(ChartFixture.Resource("configmap.yaml"), "data")!;
        var keys = data.Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToHashSet();
        foreach (var key in new[]
                 {
                     "Ledger__Kind", "Ledger__Url", "Ledger__NetworkPassphrase", "Tower__KeyPrefix",
                     "Tower__Keys__ReceiptSecretFile", "Tower__Keys__SealingKeyFile", "Tower__Deadline__SafetyMargin",
                     "Tower__Fees__MaxFeePerOperation", "Tower__Responder__Concurrency", "Tower__Tailer__LeaseTtl",
                     "Tower__Store__MinReplicas", "Tower__Store__ReplicaTimeout", "Tower__Store__RecoveryWindow",
                 })
        {
            Assert.Contains(key, keys);
        }

        Assert.Equal("Test SDF Network ; September 2015", YamlTree.ScalarAt(data, "Ledger__NetworkPassphrase"));
        Assert.Equal("/etc/watchtower/keys/receipt-secret", YamlTree.ScalarAt(data, "Tower__Keys__ReceiptSecretFile"));
        Assert.Equal("100000", YamlTree.ScalarAt(data, "Tower__Fees__MaxFeePerOperation"));

        // No fee account file unless one is configured (the service would fail to read a missing file).
        Assert.DoesNotContain("Tower__Keys__FeeAccountSecretFile", keys);
        var withFeeAccount = TemplateExpander.ForChart(Repo.ChartDir, "keys:\n  feeAccountSecretFile: fee-account\n");
        Assert.Equal("/etc/watchtower/keys/fee-account", YamlTree.ScalarAt(ChartFixture.Render(withFeeAccount, "configmap.yaml").Single(), "data.Tower__Keys__FeeAccountSecretFile"));

        // Credentials never go to the ConfigMap.
        Assert.DoesNotContain(keys, k => k!.Contains("Redis", StringComparison.Ordinal) || k.Contains("RabbitMq", StringComparison.Ordinal));
    }

    [Fact]
    public void DashboardsConfigMap_LoadsEveryDashboardForTheSidecar()
    {
        var configMap = ChartFixture.EnabledResource("configmap-dashboards.yaml");
        Assert.Equal("1", YamlTree.ScalarAt(configMap, "metadata.labels.grafana_dashboard"));
        var data = (YamlMappingNode)YamlTree.At(configMap, "data")!;
        var expected = Directory.GetFiles(Path.Combine(Repo.ChartDir, "dashboards"), "*.json").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(expected, data.Children.Keys.Select(k => ((YamlScalarNode)k).Value).Order().ToList());
        foreach (var (key, value) in data.Children)
        {
            var text = ((YamlScalarNode)value).Value!;
            Assert.Equal(File.ReadAllText(Path.Combine(Repo.ChartDir, "dashboards", ((YamlScalarNode)key).Value!)).TrimEnd('\n'), text);
            using var _ = JsonDocument.Parse(text);
        }
    }

    [Fact]
    public void PrometheusRule_HasTheRequiredAlertsOverExportedMetrics()
    {
        var ruleNodes = ((YamlSequenceNode)YamlTree.At(ChartFixture.EnabledResource("prometheusrule.yaml"), "spec.groups")!).Children
            .SelectMany(g => ((YamlSequenceNode)YamlTree.At(g, "rules")!).Children)
            .ToList();
        Assert.All(ruleNodes, r =>
        {
            Assert.Contains(YamlTree.ScalarAt(r, "labels.severity"), new[] { "warning", "critical" });
            Assert.False(string.IsNullOrWhiteSpace(YamlTree.ScalarAt(r, "annotations.summary")));
            Assert.False(string.IsNullOrWhiteSpace(YamlTree.ScalarAt(r, "annotations.description")));
            Assert.Matches("^[0-9]+[smh]$", YamlTree.ScalarAt(r, "for"));
        });
        var rules = ruleNodes.ToDictionary(r => YamlTree.ScalarAt(r, "alert")!, r => YamlTree.ScalarAt(r, "expr")!);

        Assert.Contains("watchtower_ledger_lag_seconds", rules["WatchtowerLedgerLag"], StringComparison.Ordinal);
        Assert.Contains("sum(watchtower_tailer_leader{", rules["WatchtowerNoActiveTailer"], StringComparison.Ordinal);
        Assert.Contains("== 0", rules["WatchtowerNoActiveTailer"], StringComparison.Ordinal);
        Assert.Contains("watchtower_deadline_margin_min_seconds", rules["WatchtowerDeadlineMarginBelowD"], StringComparison.Ordinal);
        Assert.Contains("< 604800", rules["WatchtowerDeadlineMarginBelowD"], StringComparison.Ordinal);
        Assert.Contains("watchtower_responder_failures_total", rules["WatchtowerResponderFailures"], StringComparison.Ordinal);
        Assert.Contains("watchtower_bundles_rejected_total", rules["WatchtowerRejectedBundlesSpike"], StringComparison.Ordinal);
        Assert.All(rules, rule => Assert.Empty(PromQl.Problems(rule.Value, MetricCatalog.Tower)));
    }

    private static Dictionary<string, YamlNode> Env(YamlNode deployment)
    {
        var container = ((YamlSequenceNode)YamlTree.At(deployment, "spec.template.spec.containers")!).Children[0];
        return ((YamlSequenceNode)YamlTree.At(container, "env")!).Children.ToDictionary(e => YamlTree.ScalarAt(e, "name")!);
    }

    /// <summary>The component label under metadata.labels of a resource or pod template.</summary>
    private static string? Label(YamlNode resource)
    {
        var labels = (YamlMappingNode?)YamlTree.At(resource, "metadata.labels");
        return labels is not null && labels.Children.TryGetValue(new YamlScalarNode("app.kubernetes.io/component"), out var v) ? ((YamlScalarNode)v).Value : null;
    }

    private static string? Selector(YamlNode resource)
    {
        var labels = (YamlMappingNode?)YamlTree.At(resource, "spec.selector.matchLabels");
        return labels is not null && labels.Children.TryGetValue(new YamlScalarNode("app.kubernetes.io/component"), out var v) ? ((YamlScalarNode)v).Value : null;
    }
}
