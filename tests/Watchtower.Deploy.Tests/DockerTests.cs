using Watchtower.Deploy.Tests.Docker;
using Xunit;

namespace Watchtower.Deploy.Tests;

public sealed class DockerTests
{
    [Fact]
    public void Dockerfile_PassesTheStaticChecks()
    {
        Assert.Empty(DockerfileChecks.Problems(Repo.Read("Dockerfile"), Repo.Root, Repo.Read(".dockerignore"), Repo.Read("docs", "deployment.md")));
    }

    [Fact]
    public void Dockerfile_PublishesTheServiceAndTheCli()
    {
        var text = Repo.Read("Dockerfile");
        Assert.Contains("dotnet publish " + DockerfileChecks.ServiceProject, text, StringComparison.Ordinal);
        Assert.Contains("dotnet publish src/Watchtower.Cli/Watchtower.Cli.csproj", text, StringComparison.Ordinal);
        Assert.Equal("Watchtower.Service", DockerfileChecks.AssemblyName(Repo.PathOf(DockerfileChecks.ServiceProject)));
    }

    [Fact]
    public void ChartRunsPodsAsTheImageUser()
    {
        // The chiseled image's `app` user is UID/GID 1654 ($APP_UID); the chart pins the same ids.
        var user = DockerfileParser.Stages(Repo.Read("Dockerfile"))[^1].Instructions.Last(i => i.Keyword == "USER").Arguments;
        Assert.True(user is "$APP_UID" or "1654", $"USER {user}");
        var values = Chart.ChartFixture.Values;
        Assert.Equal("1654", Chart.YamlTree.ScalarAt(values, "podSecurityContext.runAsUser"));
        Assert.Equal("1654", Chart.YamlTree.ScalarAt(values, "podSecurityContext.runAsGroup"));
    }

    [Fact]
    public void DockerIgnore_KeepsHostBuildOutputsAndTheRepositoryMetadataOut()
    {
        var ignore = new DockerIgnore(Repo.Read(".dockerignore"));
        Assert.True(ignore.Excludes("src/Watchtower.Service/bin/Debug/net10.0/Watchtower.Service.dll"));
        Assert.True(ignore.Excludes("src/Watchtower.Tower/obj/project.assets.json"));
        Assert.True(ignore.Excludes(".git/HEAD"));
        Assert.True(ignore.Excludes("tests/oracle/node_modules/x/index.js"));
        Assert.False(ignore.Excludes("src/Watchtower.Service/Program.cs"));
        Assert.False(ignore.Excludes("Directory.Packages.props"));
    }
}
