using System.Collections.Immutable;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Ledger;

internal static class AccountEntries
{
    /// <summary>An account from a LedgerEntryData XDR (RPC getLedgerEntries' "xdr").</summary>
    public static AccountSnapshot FromLedgerEntryData(byte[] xdr)
    {
        var r = new XdrReader(xdr);
        var type = r.ReadInt32();
        if (type != 0)
        {
            throw new LedgerClientException($"ledger entry type {type} is not an account");
        }
        var a = r.Read<AccountEntry>();
        r.EnsureEnd();
        return FromEntry(a);
    }

    public static AccountSnapshot FromEntry(AccountEntry a) => new(
        a.AccountId,
        a.SeqNum,
        a.Balance,
        a.Thresholds,
        a.Signers,
        a.SeqLedger,
        a.SeqTime);
}
