using System.Reflection;
using Watchtower.Tower.Tests.Storage;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("Watchtower.Tower.Tests.Support.ClusterAwareTestFramework", "Watchtower.Tower.Tests")]

namespace Watchtower.Tower.Tests.Support;

/// <summary>
/// The class's tests need the clustered engines scripts/services.sh starts (3-node RabbitMQ,
/// Sentinel-watched Redis): without their environment variables they are reported skipped, with
/// the reason, instead of failing (scripts/test.sh sets WATCHTOWER_TEST_REQUIRE_CLUSTER, so there
/// they run or fail).
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresClusterAttribute : Attribute;

/// <summary>
/// xUnit's framework, except that a <see cref="RequiresClusterAttribute"/> class is discovered as
/// skipped when the cluster is absent. At class level, so the store contract tests' inherited
/// [Fact]s skip for the Sentinel subclass alone.
/// </summary>
public sealed class ClusterAwareTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkDiscoverer CreateDiscoverer(IAssemblyInfo assemblyInfo) =>
        new ClusterAwareDiscoverer(assemblyInfo, SourceInformationProvider, DiagnosticMessageSink);

    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new ClusterAwareExecutor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);
}

internal sealed class ClusterAwareExecutor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
    : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
{
    protected override ITestFrameworkDiscoverer CreateDiscoverer() =>
        new ClusterAwareDiscoverer(AssemblyInfo, SourceInformationProvider, DiagnosticMessageSink);
}

internal sealed class ClusterAwareDiscoverer(IAssemblyInfo assemblyInfo, ISourceInformationProvider sourceProvider, IMessageSink diagnosticMessageSink)
    : XunitTestFrameworkDiscoverer(assemblyInfo, sourceProvider, diagnosticMessageSink)
{
    protected override bool FindTestsForMethod(ITestMethod testMethod, bool includeSourceInformation, IMessageBus messageBus, ITestFrameworkDiscoveryOptions discoveryOptions)
    {
        if (TestServers.ClusterSkipReason is { } reason
            && testMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresClusterAttribute)).Any()
            && testMethod.Method.GetCustomAttributes(typeof(FactAttribute)).Any())
        {
            var skipped = new XunitSkippedDataRowTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
                discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason);
            return ReportDiscoveredTestCase(skipped, includeSourceInformation, messageBus);
        }
        return base.FindTestsForMethod(testMethod, includeSourceInformation, messageBus, discoveryOptions);
    }
}
