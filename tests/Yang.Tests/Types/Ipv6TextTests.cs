using System.Net;
using System.Net.Sockets;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Tests.Types;

/// <summary>
/// <see cref="Ipv6Text"/> against <see cref="IPAddress"/>: the same text for random addresses rich in zero runs and
/// in the forms written with a dotted quad, and the same address for every spelling it accepts (upper case,
/// leading zeros, full, compressed, dotted tails); a spelling it turns down is left to <see cref="IPAddress"/>.
/// </summary>
public sealed class Ipv6TextTests
{
    private static UInt128 RandomAddress(Random rng)
    {
        Span<ushort> g = stackalloc ushort[8];
        for (var k = 0; k < 8; k++)
            g[k] = rng.Next(3) == 0 ? (ushort)rng.Next(65536) : rng.Next(3) == 0 ? (ushort)rng.Next(1, 16) : (ushort)0;
        switch (rng.Next(8))
        {
            case 0: g[0] = g[1] = g[2] = g[3] = g[4] = 0; g[5] = 0xFFFF; break; // IPv4-mapped
            case 1: g[0] = g[1] = g[2] = g[3] = g[4] = g[5] = 0; break; // IPv4-compatible
            case 2: g[4] = 0; g[5] = 0x5EFE; break; // ISATAP interface id
            case 3: g[0] = g[1] = g[2] = g[3] = 0; g[4] = 0xFFFF; g[5] = 0; break;
        }
        UInt128 a = 0;
        for (var k = 0; k < 8; k++) a = a << 16 | g[k];
        return a;
    }

    private static IPAddress ToIp(UInt128 a)
    {
        Span<byte> b = stackalloc byte[16];
        for (var k = 0; k < 16; k++) b[k] = (byte)(a >> (120 - 8 * k));
        return new IPAddress(b);
    }

    private static UInt128 FromIp(IPAddress ip)
    {
        UInt128 a = 0;
        foreach (var x in ip.GetAddressBytes()) a = a << 8 | x;
        return a;
    }

    [Fact]
    public void Formats_every_address_as_IPAddress_does()
    {
        var rng = new Random(11);
        Span<char> text = stackalloc char[Ipv6Text.MaxLength];
        for (var i = 0; i < 200_000; i++)
        {
            var a = RandomAddress(rng);
            var n = Ipv6Text.Format(a, text);
            Assert.Equal(ToIp(a).ToString(), new string(text[..n]));
        }
    }

    [Fact]
    public void Reads_every_spelling_it_accepts_as_IPAddress_does()
    {
        var rng = new Random(12);
        var accepted = 0;
        for (var i = 0; i < 100_000; i++)
        {
            var a = RandomAddress(rng);
            foreach (var spelling in Spellings(a, rng))
            {
                var ours = Ipv6Text.TryParse(spelling, out var parsed);
                var theirs = IPAddress.TryParse(spelling, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 && ip.ScopeId == 0;
                if (ours)
                {
                    accepted++;
                    Assert.True(theirs, spelling);
                    Assert.Equal(FromIp(ip!), parsed);
                }
            }
        }
        Assert.True(accepted > 300_000, $"{accepted}"); // the usual spellings are all read without IPAddress
    }

    [Theory]
    [InlineData("")]
    [InlineData(":")]
    [InlineData(":::")]
    [InlineData("1:2:3:4:5:6:7")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1::2::3")]
    [InlineData("1:")]
    [InlineData(":1")]
    [InlineData("12345::")]
    [InlineData("g::")]
    [InlineData("::1.2.3")]
    [InlineData("::1.2.3.256")]
    [InlineData("1:2:3:4:5:6:7:1.2.3.4")]
    [InlineData("::1%eth0")]
    public void Turns_down_what_is_no_address(string text) => Assert.False(Ipv6Text.TryParse(text, out _));

    private static IEnumerable<string> Spellings(UInt128 a, Random rng)
    {
        var ip = ToIp(a);
        yield return ip.ToString();
        yield return ip.ToString().ToUpperInvariant();
        var groups = Enumerable.Range(0, 8).Select(k => (ushort)(a >> (112 - 16 * k))).ToArray();
        yield return string.Join(':', groups.Select(g => g.ToString("x4")));
        yield return string.Join(':', groups.Select(g => g.ToString("x")));
        // A run of zeros compressed somewhere other than where RFC 5952 puts it.
        var s = rng.Next(8);
        var e = s;
        while (e < 8 && groups[e] == 0) e++;
        if (e > s) yield return string.Join(':', groups[..s].Select(g => g.ToString("X"))) + "::" + string.Join(':', groups[e..].Select(g => g.ToString("x")));
        // The last 32 bits as a dotted quad.
        yield return string.Join(':', groups[..6].Select(g => g.ToString("x"))) + $":{groups[6] >> 8}.{groups[6] & 255}.{groups[7] >> 8}.{groups[7] & 255}";
    }
}
