using Watchtower.Stellar;

namespace Watchtower.Standalone.Engine;

/// <summary>
/// A nestable view over the ledger entries, like stellar-core's LedgerTxn: reads fall through to
/// the parent, writes stay local until <see cref="Commit"/>. Dropping an uncommitted view rolls
/// its changes back, which is how a failed operation undoes the whole transaction.
/// </summary>
internal sealed class LedgerView
{
    private readonly LedgerView? _parent;
    private readonly LedgerEntries? _root;
    private readonly Dictionary<AccountId, AccountState?> _accounts = new();
    private readonly Dictionary<TrustLineKey, TrustLineState?> _trustLines = new();

    public LedgerView(LedgerEntries root) => _root = root;

    private LedgerView(LedgerView parent) => _parent = parent;

    public LedgerView Nest() => new(this);

    public AccountState? Account(AccountId id)
    {
        if (_accounts.TryGetValue(id, out var local))
        {
            return local;
        }

        return _parent is not null ? _parent.Account(id) : _root!.Accounts.GetValueOrDefault(id);
    }

    public TrustLineState? TrustLine(AccountId account, Asset asset)
    {
        var key = new TrustLineKey(account, asset);
        if (_trustLines.TryGetValue(key, out var local))
        {
            return local;
        }

        return _parent is not null ? _parent.TrustLine(account, asset) : _root!.TrustLines.GetValueOrDefault(key);
    }

    public void Put(AccountState account) => _accounts[account.Id] = account;

    public void RemoveAccount(AccountId id) => _accounts[id] = null;

    public void Put(TrustLineState line) => _trustLines[new TrustLineKey(line.Account, line.Asset)] = line;

    public void RemoveTrustLine(AccountId account, Asset asset) => _trustLines[new TrustLineKey(account, asset)] = null;

    public void Commit()
    {
        foreach (var (id, account) in _accounts)
        {
            if (_parent is not null)
            {
                _parent._accounts[id] = account;
            }
            else if (account is null)
            {
                _root!.Accounts.Remove(id);
            }
            else
            {
                _root!.Accounts[id] = account;
            }
        }

        foreach (var (key, line) in _trustLines)
        {
            if (_parent is not null)
            {
                _parent._trustLines[key] = line;
            }
            else if (line is null)
            {
                _root!.TrustLines.Remove(key);
            }
            else
            {
                _root!.TrustLines[key] = line;
            }
        }

        _accounts.Clear();
        _trustLines.Clear();
    }
}

/// <summary>The committed ledger entries.</summary>
internal sealed class LedgerEntries
{
    public Dictionary<AccountId, AccountState> Accounts { get; } = new();

    public Dictionary<TrustLineKey, TrustLineState> TrustLines { get; } = new();
}
