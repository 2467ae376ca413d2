using System.Diagnostics;
using System.Globalization;
using Watchtower.Stellar;

namespace Watchtower.Demo;

/// <summary>
/// The demo's step-by-step account: numbered steps, indented details, the wall-clock time since
/// the start on every step, and the ledger time where it matters. Writes are serialized because
/// tower log lines (verbose mode) arrive from other threads.
/// </summary>
public sealed class DemoNarrator(TextWriter output)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private int _step;

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Title(string text) => Write(text + Environment.NewLine + new string('=', text.Length));

    public void Step(string text) =>
        Write(string.Create(CultureInfo.InvariantCulture, $"{Environment.NewLine}[{++_step,2}] {text}  (+{_clock.Elapsed.TotalSeconds:0.0}s)"));

    public void Detail(string text) => Write("     " + text);

    public void Good(string text) => Write("     ✓ " + text);

    public void Bad(string text) => Write("     ✗ " + text);

    public void Tower(string text) => Write("     tower| " + text);

    public static string Lumens(Stroops amount) => amount.ToAmountString() + " XLM";

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private void Write(string line)
    {
        lock (_gate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
