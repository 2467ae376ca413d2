namespace Watchtower.Conformance.Tests.Oracle;

/// <summary>One oracle process for every test of the collection (started once per test run).</summary>
public sealed class OracleFixture : IDisposable
{
    private readonly Lazy<OracleClient> _client = new(OracleClient.Start);

    public OracleClient Client => _client.Value;

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class OracleCollection : ICollectionFixture<OracleFixture>
{
    public const string Name = "JavaScript SDK oracle";
}
