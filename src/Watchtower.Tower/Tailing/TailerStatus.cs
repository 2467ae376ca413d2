namespace Watchtower.Tower.Tailing;

public enum TailerState
{
    /// <summary>Not running, or waiting for the lease (another replica tails).</summary>
    Standby,
    /// <summary>Leader, processing ledgers that closed a while ago (catching up).</summary>
    Syncing,
    /// <summary>Leader, at the network's head.</summary>
    Synced,
    /// <summary>Leader, but no progress for longer than the stall timeout, or failing.</summary>
    Stalled,
}

/// <summary>The tailer's explicit sync state, read by health checks and tests.</summary>
public sealed class TailerStatus
{
    private volatile StatusSnapshot _current = new(TailerState.Standby, null, null, null);

    public StatusSnapshot Current => _current;

    public event Action<StatusSnapshot>? Changed;

    internal void Set(TailerState state, uint? cursor = null, DateTimeOffset? closeTime = null, string? problem = null)
    {
        var prev = _current;
        var next = new StatusSnapshot(state, cursor ?? prev.Cursor, closeTime ?? prev.LastCloseTime, problem);
        _current = next;
        if (prev != next)
        {
            Changed?.Invoke(next);
        }
    }
}

/// <param name="Cursor">Last ledger fully processed (triggers confirmed, cursor stored).</param>
public sealed record StatusSnapshot(TailerState State, uint? Cursor, DateTimeOffset? LastCloseTime, string? Problem);
