using Mgmt.Datastore.Users;

namespace Mgmt.Northbound.Netconf.Transport;

/// <summary>The outcome of identifying a local-socket peer.</summary>
/// <param name="User">The Mgmt user the session acts as.</param>
/// <param name="IsRecovery">The daemon's own account without a claim: the RFC 8341 §3.4.6 recovery session.</param>
public sealed record LocalPeer(string User, bool IsRecovery);

/// <summary>
/// Decides who a connection on the daemon's NETCONF socket is. A forwarder run by sshd for a system account
/// that belongs to a Mgmt user is that user (the kernel vouches for the uid). The daemon's own uid (or root) is
/// trusted to name the user: that is the forced command of a key the daemon wrote; without a name it is the
/// recovery session. Anyone else is refused.
/// </summary>
public sealed class LocalSocketAuthenticator(UserStore users, uint daemonUid, Func<uint, string?> accountName)
{
    public LocalPeer? Identify(PeerCredentials peer, string? claimedUser)
    {
        var trusted = peer.Uid == daemonUid || peer.Uid == 0;
        if (trusted)
        {
            if (string.IsNullOrEmpty(claimedUser)) return new LocalPeer(accountName(peer.Uid) ?? "root", IsRecovery: true);
            return users.Find(claimedUser) is null ? null : new LocalPeer(claimedUser, false);
        }
        var account = accountName(peer.Uid);
        if (account is null || users.Find(account) is null) return null;
        // An untrusted peer may not speak for anyone but itself.
        if (!string.IsNullOrEmpty(claimedUser) && claimedUser != account) return null;
        return new LocalPeer(account, false);
    }
}
