using System.Diagnostics;
using System.Globalization;

namespace Watchtower.Chaos.Tests;

/// <summary>
/// One OS process the harness owns: started with its own environment, every output line appended
/// to its log file (kept across restarts), killed with SIGKILL, paused with SIGSTOP. Disposing
/// kills it whatever state it is in, so a failed run leaves nothing behind.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly ProcessStartInfo _start;
    private readonly StreamWriter _log;
    private readonly Lock _gate = new();
    private readonly List<string> _recent = [];
    private Process? _process;
    private bool _paused;

    public ChildProcess(string name, string logDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        Name = name;
        LogPath = Path.Combine(logDirectory, name + ".log");
        _log = new StreamWriter(LogPath, append: true) { AutoFlush = true };
        _start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            _start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            _start.Environment[k] = v;
        }
    }

    public string Name { get; }

    public string LogPath { get; }

    public int Starts { get; private set; }

    public bool Running => _process is { HasExited: false };

    /// <summary>Raised for every output line (stdout and stderr), from the reader threads.</summary>
    public event Action<string>? Line;

    public void Start()
    {
        var process = new Process { StartInfo = _start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        Write($"== start #{Starts + 1} at {DateTimeOffset.UtcNow:O}");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        _paused = false;
        Starts++;
    }

    /// <summary>SIGKILL: no shutdown hook runs, as when a node dies.</summary>
    public void KillHard()
    {
        Write($"== kill -9 at {DateTimeOffset.UtcNow:O}");
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
    }

    public Task PauseAsync() => SignalAsync("STOP", paused: true);

    public Task ResumeAsync() => SignalAsync("CONT", paused: false);

    /// <summary>The last lines it wrote (for a failure's report).</summary>
    public string Tail(int lines)
    {
        lock (_gate)
        {
            return string.Join('\n', _recent.TakeLast(lines));
        }
    }

    public void Dispose()
    {
        if (_paused && _process is { HasExited: false } p)
        {
            // A stopped process ignores nothing but SIGKILL; continue it anyway so its tree exits cleanly.
            using var cont = Process.Start("kill", ["-CONT", p.Id.ToString(CultureInfo.InvariantCulture)]);
            cont.WaitForExit(5_000);
        }

        KillHard();
        _process?.Dispose();
        lock (_gate)
        {
            _log.Dispose();
        }
    }

    private async Task SignalAsync(string signal, bool paused)
    {
        if (_process is not { HasExited: false } p)
        {
            return;
        }

        Write($"== kill -{signal} at {DateTimeOffset.UtcNow:O}");
        using var kill = Process.Start("kill", [$"-{signal}", p.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync().ConfigureAwait(false);
        _paused = paused;
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _recent.Add(line);
            if (_recent.Count > 400)
            {
                _recent.RemoveRange(0, 200);
            }

            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // a line that arrives after disposal
            }
        }

        Line?.Invoke(line);
    }
}
