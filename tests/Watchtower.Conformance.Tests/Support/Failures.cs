using System.Text;

namespace Watchtower.Conformance.Tests.Support;

/// <summary>Collects per-case mismatches and fails once with the first few in full and the run's seed.</summary>
public sealed class Failures
{
    private const int Shown = 8;
    private readonly List<string> _cases = [];

    public int Count => _cases.Count;

    public void Add(int index, string context, IEnumerable<string> problems)
    {
        var list = problems.ToList();
        if (list.Count > 0)
        {
            _cases.Add($"case {index}: {context}\n    " + string.Join("\n    ", list));
        }
    }

    public void ThrowIfAny(string what, int total)
    {
        if (_cases.Count == 0)
        {
            return;
        }

        var message = new StringBuilder()
            .Append(what).Append(": ").Append(_cases.Count).Append(" of ").Append(total).Append(" cases differ; ")
            .Append(RunSeed.Replay).Append('\n')
            .AppendJoin("\n", _cases.Take(Shown));
        if (_cases.Count > Shown)
        {
            message.Append("\n… and ").Append(_cases.Count - Shown).Append(" more");
        }

        Assert.Fail(message.ToString());
    }
}
